// Package cases is the case table of an experiment: one row per case,
// one column per variable of the prompt, and optional expected values.
//
// A column named "expected", or "expected.NAME" (expected.json,
// expected.city), holds an expected value, not a variable: Values leaves
// it out, Expected reads it (an empty cell is no expectation), and
// Missing does not count it as a variable's column. So a prompt cannot
// have a variable called expected or expected.NAME.
//
// Tables are read from and written to CSV, TSV and JSONL (format.go):
// Parse and Table.Export, with Parse(t.Export(f)) == t for every table
// Check accepts (a JSONL table needs at least one case).
package cases

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/units"
)

// The limits of a table. More is an error naming the limit; nothing is
// cut silently.
const (
	MaxRows      = 1000     // cases
	MaxColumns   = 100      // columns
	MaxCellBytes = 1 << 20  // bytes of one cell (1 MB)
	MaxBytes     = 16 << 20 // bytes of one file or paste (16 MB)
)

// Table is a case table: the column names and, per case, one cell per
// column.
type Table struct {
	Columns []string
	Rows    [][]string
}

// Expected is the name of the column of a case's expected value.
const ExpectedColumn = "expected"

// ExpectedName reads a column name as an expected value's: "expected"
// is ("", true), "expected.json" ("json", true), any other (name, false).
func ExpectedName(col string) (string, bool) {
	if col == ExpectedColumn {
		return "", true
	}
	if rest, ok := strings.CutPrefix(col, ExpectedColumn+"."); ok {
		return rest, true
	}
	return "", false
}

// Values are case i's variables: its cells by column, expected columns
// left out.
func (t Table) Values(i int) map[string]string {
	out := map[string]string{}
	for j, c := range t.Columns {
		if _, exp := ExpectedName(c); !exp && j < len(t.Rows[i]) {
			out[c] = t.Rows[i][j]
		}
	}
	return out
}

// Expected are case i's expected values by the name after "expected."
// ("" for the column "expected"); an empty cell is no expectation.
func (t Table) Expected(i int) map[string]string {
	out := map[string]string{}
	for j, c := range t.Columns {
		if name, exp := ExpectedName(c); exp && j < len(t.Rows[i]) && t.Rows[i][j] != "" {
			out[name] = t.Rows[i][j]
		}
	}
	return out
}

// Missing are the variables of names that no column of the table gives
// (expected columns give none), in the order of names. Columns no
// variable names are allowed.
func (t Table) Missing(names []string) []string {
	have := map[string]bool{}
	for _, c := range t.Columns {
		if _, exp := ExpectedName(c); !exp {
			have[c] = true
		}
	}
	var out []string
	for _, n := range names {
		if !have[n] {
			out = append(out, n)
		}
	}
	return out
}

// Check reports the first thing that makes t no table: no columns or
// more than MaxColumns, a column name empty, with spaces around it or
// twice, more than MaxRows cases, a case with another number of cells
// than there are columns, a cell over MaxCellBytes or not UTF-8.
func (t Table) Check() error {
	if reason := checkHeader(t.Columns); reason != "" {
		return &Error{Reason: reason}
	}
	if len(t.Rows) > MaxRows {
		return &Error{Reason: tooManyRows(len(t.Rows))}
	}
	for i, row := range t.Rows {
		if len(row) != len(t.Columns) {
			return &Error{Case: i + 1, Reason: fmt.Sprintf("%s, the table has %s", units.Plural(len(row), "cell", "cells"),
				units.Plural(len(t.Columns), "column", "columns"))}
		}
		for j, cell := range row {
			if reason := checkCell(cell); reason != "" {
				return &Error{Case: i + 1, Reason: fmt.Sprintf("column %q: %s", t.Columns[j], reason)}
			}
		}
	}
	return nil
}

// checkHeader is why cols cannot name a table's columns ("" when they
// can).
func checkHeader(cols []string) string {
	switch {
	case len(cols) == 0:
		return "the table has no columns: its first line names them"
	case len(cols) > MaxColumns:
		return fmt.Sprintf("%d columns, at most %d", len(cols), MaxColumns)
	}
	seen := map[string]bool{}
	for i, c := range cols {
		switch {
		case c == "":
			return fmt.Sprintf("column %d has no name", i+1)
		case strings.TrimSpace(c) != c:
			return fmt.Sprintf("the column name %q has spaces around it", c)
		case seen[c]:
			return fmt.Sprintf("the column %q is named twice", c)
		}
		if reason := checkCell(c); reason != "" {
			return fmt.Sprintf("column %d: %s", i+1, reason)
		}
		seen[c] = true
	}
	return ""
}

// checkCell is why s cannot be a cell ("" when it can).
func checkCell(s string) string {
	switch {
	case len(s) > MaxCellBytes:
		return fmt.Sprintf("a cell of %s, at most %s", units.Bytes(int64(len(s))), units.Bytes(MaxCellBytes))
	case !utf8.ValidString(s):
		return "not UTF-8 text"
	}
	return ""
}

func tooManyRows(n int) string {
	return fmt.Sprintf("more than %s cases (%s), the most one table holds; split it", units.Thousands(MaxRows), units.Thousands(n))
}

// Error is a table that cannot be read or is not a table: what is wrong
// and where, by the line (and the character on it, from 1) of the text
// read, or by the case (from 1) of a table checked.
type Error struct {
	Line, Column int
	Case         int
	Reason       string
}

// Error is "line 7: 3 cells, the header has 4", "line 2, column 5: …",
// "case 3: …" or the reason alone.
func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Reason)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	case e.Case > 0:
		return fmt.Sprintf("case %d: %s", e.Case, e.Reason)
	}
	return e.Reason
}

// Problem is the error as a person reads it.
func (e *Error) Problem() *problem.Error {
	msg := e.Error()
	return &problem.Error{Kind: problem.KindInvalid, Message: strings.ToUpper(msg[:1]) + msg[1:] + ".", Err: e,
		Hint: "The first line names the columns; each line after it is one case with a cell per column."}
}
