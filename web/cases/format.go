package cases

import (
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/playground-dev/playground/web/units"
)

// Format is how a table is written as text.
type Format string

// The formats.
const (
	// CSV is RFC 4180: commas, a cell quoted with " when it holds a comma,
	// a quote (doubled), a line break or a leading byte order mark; lines
	// end with CRLF when written, CRLF or LF when read.
	CSV Format = "csv"
	// TSV is what a spreadsheet copies: tabs between cells, LF between
	// lines, a cell with a tab, a line break or a quote quoted as in CSV
	// (as Excel and Google Sheets do).
	TSV Format = "tsv"
	// JSONL is one JSON object a line, its keys the columns.
	JSONL Format = "jsonl"
)

// Formats are the formats, in the order a page offers them.
var Formats = []Format{CSV, TSV, JSONL}

const bom = "\uFEFF"

// Detect picks the format of a text: JSONL when its first line that is
// not blank starts with {, TSV when that line has a tab, else CSV. A
// leading byte order mark is skipped.
func Detect(text string) Format {
	text = strings.TrimPrefix(text, bom)
	for line := range strings.SplitSeq(text, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case t == "":
			continue
		case t[0] == '{':
			return JSONL
		case strings.Contains(line, "\t"):
			return TSV
		}
		return CSV
	}
	return CSV
}

// FormatOfName is the format a file name's extension says: .csv, .tsv
// or .tab, .jsonl or .ndjson (any case); false for another.
func FormatOfName(name string) (Format, bool) {
	switch strings.ToLower(path.Ext(name)) {
	case ".csv":
		return CSV, true
	case ".tsv", ".tab":
		return TSV, true
	case ".jsonl", ".ndjson":
		return JSONL, true
	}
	return "", false
}

// Parse reads a table from text in format f ("" picks it with Detect).
// The first line (the first object's keys, for JSONL) names the columns,
// their names trimmed of spaces; every other line is a case, and blank
// lines are skipped. A leading byte order mark is skipped. Errors are an
// *Error with the line (and the character on it) of what is wrong.
func Parse(text string, f Format) (Table, error) {
	if f == "" {
		f = Detect(text)
	}
	if len(text) > MaxBytes {
		return Table{}, &Error{Reason: fmt.Sprintf("the table is %s, at most %s", units.Bytes(int64(len(text))), units.Bytes(MaxBytes))}
	}
	text = strings.TrimPrefix(text, bom)
	if !utf8.ValidString(text) {
		at := 0
		for at < len(text) {
			r, n := utf8.DecodeRuneInString(text[at:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			at += n
		}
		return Table{}, errorAt(text, at, "not UTF-8 text")
	}
	switch f {
	case CSV:
		return readDelimited(text, ',', false)
	case TSV:
		return readDelimited(text, '\t', true)
	case JSONL:
		return readJSONL(text)
	}
	return Table{}, &Error{Reason: fmt.Sprintf("no table format %q (csv, tsv or jsonl)", string(f))}
}

// Read reads a table from r in format f ("" picks it with Detect),
// reading at most MaxBytes.
func Read(r io.Reader, f Format) (Table, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return Table{}, err
	}
	return Parse(string(b), f)
}

// Export writes t in format f. The error is Check's, or a JSONL table
// of no cases (JSONL names its columns in its cases).
//
// CSV and TSV stop spreadsheet formula injection: a cell that a
// spreadsheet would run as a formula (it starts with = + - @, a tab, a
// carriage return or a NUL byte, and is not a plain number such as -5)
// is written with a ' before it, which spreadsheets read as "this is
// text" and do not show. Parse takes the ' off again, so the table reads
// back as it was; a cell that already starts with ' before such a
// character gets one more, for the same reason.
func (t Table) Export(f Format) (string, error) {
	if err := t.Check(); err != nil {
		return "", err
	}
	switch f {
	case CSV:
		return writeDelimited(t, ',', "\r\n"), nil
	case TSV:
		return writeDelimited(t, '\t', "\n"), nil
	case JSONL:
		if len(t.Rows) == 0 {
			return "", &Error{Reason: "a table with no cases has no JSONL form (export it as CSV or TSV)"}
		}
		return writeJSONL(t), nil
	}
	return "", &Error{Reason: fmt.Sprintf("no table format %q (csv, tsv or jsonl)", string(f))}
}

// plainNumber is a cell a spreadsheet reads as a number, not a formula.
var plainNumber = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// formula reports whether a spreadsheet would run s, after any leading
// 's, as a formula. It looks past the 's so that guard and unguard
// are each other's inverse.
func formula(s string) bool {
	r := strings.TrimLeft(s, "'")
	if r == "" {
		return false
	}
	switch r[0] {
	case '=', '+', '-', '@', '\t', '\r', 0:
		return !plainNumber.MatchString(r)
	}
	return false
}

// guard is s as a CSV or TSV cell is written: a ' before a formula.
func guard(s string) string {
	if formula(s) {
		return "'" + s
	}
	return s
}

// unguard is the inverse of guard.
func unguard(s string) string {
	if formula(s) && s[0] == '\'' {
		return s[1:]
	}
	return s
}

// errorAt is an Error at byte offset at of text: its line and the
// character on it, from 1.
func errorAt(text string, at int, reason string) *Error {
	line := 1 + strings.Count(text[:at], "\n")
	start := strings.LastIndexByte(text[:at], '\n') + 1
	return &Error{Line: line, Column: utf8.RuneCountInString(text[start:at]) + 1, Reason: reason}
}

// lineOf is an Error on the line of byte offset at of text.
func lineOf(text string, at int, reason string) *Error {
	e := errorAt(text, at, reason)
	e.Column = 0
	return e
}
