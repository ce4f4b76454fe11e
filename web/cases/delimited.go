package cases

import (
	"fmt"
	"strings"

	"github.com/playground-dev/playground/web/units"
)

// readDelimited reads CSV (sep ',') or TSV (sep '\t'), RFC 4180's
// grammar for both: a cell that starts with " is quoted and ends at the
// next " that is not doubled, and may hold the separator and line
// breaks (kept as they are, CRLF too); a " inside an unquoted cell is
// text. Lines end with LF or CRLF; a blank line is skipped (a case of
// one empty cell is written ""). A quoted cell that is not closed, or
// whose closing quote is followed by text, is an error for CSV; TSV
// reads such a cell as unquoted text up to the next tab or line break,
// as a spreadsheet pastes a cell like "Hi," she said.
func readDelimited(text string, sep byte, lenient bool) (Table, error) {
	r := delimited{text: text, sep: sep, lenient: lenient}
	var t Table
	for r.at < len(text) {
		if r.blank() {
			continue
		}
		start := r.at
		cells, starts, err := r.record()
		if err != nil {
			return Table{}, err
		}
		for i := range cells {
			cells[i] = unguard(cells[i])
			if reason := checkCell(cells[i]); reason != "" {
				return Table{}, errorAt(text, starts[i], reason)
			}
		}
		if t.Columns == nil {
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			if reason := checkHeader(cells); reason != "" {
				return Table{}, lineOf(text, start, reason)
			}
			t.Columns = cells
			continue
		}
		if len(cells) != len(t.Columns) {
			return Table{}, lineOf(text, start, fmt.Sprintf("%s, the header has %d", units.Plural(len(cells), "cell", "cells"), len(t.Columns)))
		}
		if len(t.Rows) == MaxRows {
			return Table{}, lineOf(text, start, tooManyRows(len(t.Rows)+1+r.countRecords()))
		}
		t.Rows = append(t.Rows, cells)
	}
	if t.Columns == nil {
		return Table{}, &Error{Reason: "the table is empty: its first line names the columns"}
	}
	return t, nil
}

// delimited is a reader of CSV or TSV records.
type delimited struct {
	text    string
	sep     byte
	lenient bool
	at      int
}

// blank skips a blank line at r.at, if there is one.
func (r *delimited) blank() bool {
	switch {
	case strings.HasPrefix(r.text[r.at:], "\n"):
		r.at++
	case strings.HasPrefix(r.text[r.at:], "\r\n"):
		r.at += 2
	default:
		return false
	}
	return true
}

// record reads the record at r.at: its cells, the offset each starts at,
// and r.at past its line break.
func (r *delimited) record() (cells []string, starts []int, err error) {
	for {
		starts = append(starts, r.at)
		cell, err := r.cell()
		if err != nil {
			return nil, nil, err
		}
		cells = append(cells, cell)
		switch {
		case r.at == len(r.text):
			return cells, starts, nil
		case r.text[r.at] == r.sep:
			r.at++
		default: // a line break: cell stops only at one
			if r.text[r.at] == '\r' {
				r.at++
			}
			r.at++
			return cells, starts, nil
		}
	}
}

// cell reads one cell at r.at, leaving r.at at the separator, line break
// or end after it.
func (r *delimited) cell() (string, error) {
	if strings.HasPrefix(r.text[r.at:], `"`) {
		s, end, reason := r.quoted()
		if reason == "" {
			r.at = end
			return s, nil
		}
		if !r.lenient {
			return "", errorAt(r.text, end, reason)
		}
	}
	rest := r.text[r.at:]
	n := strings.IndexAny(rest, string(r.sep)+"\n")
	if n < 0 {
		n = len(rest)
	}
	s := rest[:n]
	if n < len(rest) && rest[n] == '\n' {
		s = strings.TrimSuffix(s, "\r")
	}
	r.at += len(s)
	return s, nil
}

// quoted reads the quoted cell at r.at: its text and the offset after its
// closing quote, or why it is no quoted cell and where.
func (r *delimited) quoted() (string, int, string) {
	var b strings.Builder
	j := r.at + 1
	for {
		k := strings.IndexByte(r.text[j:], '"')
		if k < 0 {
			return "", r.at, "a quoted cell is never closed"
		}
		b.WriteString(r.text[j : j+k])
		j += k + 1
		if strings.HasPrefix(r.text[j:], `"`) {
			b.WriteByte('"')
			j++
			continue
		}
		rest := r.text[j:]
		if rest == "" || rest[0] == r.sep || rest[0] == '\n' || strings.HasPrefix(rest, "\r\n") {
			return b.String(), j, ""
		}
		return "", j, `text after a quoted cell's closing quote (a quote inside a quoted cell is written "")`
	}
}

// countRecords counts the records from r.at on (for the message of a
// table over MaxRows).
func (r *delimited) countRecords() int {
	n := 0
	for r.at < len(r.text) {
		if r.blank() {
			continue
		}
		if _, _, err := r.record(); err != nil {
			break
		}
		n++
	}
	return n
}

// writeDelimited writes t as CSV or TSV: cells guarded against formulas,
// quoted when they must be, each line ended with eol.
func writeDelimited(t Table, sep byte, eol string) string {
	var b strings.Builder
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				b.WriteByte(sep)
			}
			c = guard(c)
			if c == "" && len(cells) == 1 || strings.HasPrefix(c, bom) || strings.ContainsAny(c, string(sep)+"\"\r\n") {
				c = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
			}
			b.WriteString(c)
		}
		b.WriteString(eol)
	}
	line(t.Columns)
	for _, row := range t.Rows {
		line(row)
	}
	return b.String()
}
