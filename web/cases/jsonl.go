package cases

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// readJSONL reads one JSON object a line. The keys are the columns, in
// the order they first appear in the file (trimmed of spaces); a case
// without a key has an empty cell there. A string value is its cell; any
// other value (a number, true, null, an object, an array) is kept as its
// JSON text, compacted. Blank lines are skipped.
func readJSONL(text string) (Table, error) {
	var t Table
	index := map[string]int{}
	for start := 0; start < len(text); {
		end := strings.IndexByte(text[start:], '\n')
		next := start + end + 1
		if end < 0 {
			end, next = len(text)-start, len(text)
		}
		line := strings.TrimSuffix(text[start:start+end], "\r")
		if strings.TrimSpace(line) != "" {
			if len(t.Rows) == MaxRows {
				return Table{}, lineOf(text, start, tooManyRows(MaxRows+1+countLines(text[next:])))
			}
			row, err := readObject(text, start, line, &t, index)
			if err != nil {
				return Table{}, err
			}
			t.Rows = append(t.Rows, row)
		}
		start = next
	}
	if t.Columns == nil {
		return Table{}, &Error{Reason: "the table is empty: each line is one case, a JSON object"}
	}
	for i, row := range t.Rows {
		for len(row) < len(t.Columns) {
			row = append(row, "")
		}
		t.Rows[i] = row
	}
	return t, nil
}

// readObject reads the object on the line that starts at offset start of
// text into a row, adding the columns it names first to t.
func readObject(text string, start int, line string, t *Table, index map[string]int) ([]string, error) {
	dec := json.NewDecoder(strings.NewReader(line))
	fail := func(err error) error {
		at := int(dec.InputOffset())
		var se *json.SyntaxError
		if errors.As(err, &se) {
			at = int(se.Offset) - 1
		}
		at = max(0, min(at, len(line)))
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return errorAt(text, start+len(line), "not JSON: the line ends inside the object")
		}
		return errorAt(text, start+at, "not JSON: "+strings.TrimPrefix(err.Error(), "json: "))
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, fail(err)
	}
	if tok != json.Delim('{') {
		return nil, errorAt(text, start+len(line)-len(strings.TrimLeft(line, " \t")), "not a JSON object: each line is one case, {\"column\": \"value\", …}")
	}
	row := make([]string, len(t.Columns))
	seen := map[string]bool{}
	for dec.More() {
		at := start + int(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return nil, fail(err)
		}
		key := strings.TrimSpace(tok.(string))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fail(err)
		}
		switch {
		case key == "":
			return nil, lineOf(text, at, "a key with no name")
		case seen[key]:
			return nil, lineOf(text, at, fmt.Sprintf("the key %q appears twice", key))
		}
		seen[key] = true
		cell, err := jsonCell(raw)
		if err != nil {
			return nil, fail(err)
		}
		if reason := checkCell(cell); reason != "" {
			return nil, lineOf(text, at, fmt.Sprintf("key %q: %s", key, reason))
		}
		i, ok := index[key]
		if !ok {
			if len(t.Columns) == MaxColumns {
				return nil, lineOf(text, at, fmt.Sprintf("more than %d columns", MaxColumns))
			}
			i = len(t.Columns)
			index[key] = i
			t.Columns = append(t.Columns, key)
		}
		for len(row) <= i {
			row = append(row, "")
		}
		row[i] = cell
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, fail(err)
	}
	if end := int(dec.InputOffset()); strings.TrimSpace(line[end:]) != "" {
		at := start + end + len(line[end:]) - len(strings.TrimLeft(line[end:], " \t"))
		return nil, errorAt(text, at, "more after the object: each line is one case")
	}
	return row, nil
}

// jsonCell is a JSON value as a cell: a string's text, or any other
// value compacted.
func jsonCell(raw json.RawMessage) (string, error) {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var b bytes.Buffer
	err := json.Compact(&b, raw)
	return b.String(), err
}

// countLines counts the lines of text that are not blank.
func countLines(text string) int {
	n := 0
	for line := range strings.SplitSeq(text, "\n") {
		if strings.TrimSpace(line) != "" {
			n++
		}
	}
	return n
}

// writeJSONL writes each case as one object, its keys in column order
// and every cell a JSON string (so "1.5" read from a number comes back a
// string).
func writeJSONL(t Table) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	str := func(s string) {
		_ = enc.Encode(s) // a string always encodes
		b.Truncate(b.Len() - 1)
	}
	for _, row := range t.Rows {
		b.WriteByte('{')
		for i, c := range t.Columns {
			if i > 0 {
				b.WriteByte(',')
			}
			str(c)
			b.WriteByte(':')
			str(row[i])
		}
		b.WriteString("}\n")
	}
	return b.String()
}
