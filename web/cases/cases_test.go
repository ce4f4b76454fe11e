package cases

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/problem"
)

func same(a, b Table) bool {
	return slices.Equal(a.Columns, b.Columns) && slices.EqualFunc(a.Rows, b.Rows, slices.Equal)
}

func tbl(cols string, rows ...[]string) Table {
	return Table{Columns: strings.Split(cols, ","), Rows: rows}
}

func row(cells ...string) []string { return cells }

type parseCase struct {
	text string
	want Table
	err  string
}

func runParse(t *testing.T, f Format, tests map[string]parseCase) {
	t.Helper()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Parse(tc.text, f)
			if tc.err != "" {
				var e *Error
				if !errors.As(err, &e) || err.Error() != tc.err {
					t.Fatalf("Parse(%q) error = %v, want %q", tc.text, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.text, err)
			}
			if !same(got, tc.want) {
				t.Fatalf("Parse(%q) =\n%q\nwant\n%q", tc.text, got, tc.want)
			}
		})
	}
}

func TestParseCSV(t *testing.T) {
	runParse(t, CSV, map[string]parseCase{
		"simple":                    {text: "city,date\nOslo,Monday\nLima,Friday\n", want: tbl("city,date", row("Oslo", "Monday"), row("Lima", "Friday"))},
		"CRLF, no final line break": {text: "a,b\r\n1,2\r\n3,4", want: tbl("a,b", row("1", "2"), row("3", "4"))},
		"BOM":                       {text: "\uFEFFa,b\n1,2\n", want: tbl("a,b", row("1", "2"))},
		"quotes":                    {text: "a,b\n\"x, y\",\"say \"\"hi\"\"\"\n", want: tbl("a,b", row("x, y", `say "hi"`))},
		"line breaks in a cell":     {text: "a,b\n\"one\ntwo\",\"three\r\nfour\"\n", want: tbl("a,b", row("one\ntwo", "three\r\nfour"))},
		"empty cells":               {text: "a,b,c\n,,\n\"\",x,\n", want: tbl("a,b,c", row("", "", ""), row("", "x", ""))},
		"blank lines skipped":       {text: "\n\na,b\n\n1,2\r\n\r\n3,4\n\n", want: tbl("a,b", row("1", "2"), row("3", "4"))},
		"one column, empty quoted":  {text: "a\n\"\"\nx\n", want: tbl("a", row(""), row("x"))},
		"header trimmed":            {text: " city , date\n1,2\n", want: tbl("city,date", row("1", "2"))},
		"cells not trimmed":         {text: "a,b\n 1 , 2 \n", want: tbl("a,b", row(" 1 ", " 2 "))},
		"bare quote in a cell":      {text: "a\n5\" nail\n", want: tbl("a", row(`5" nail`))},
		"header only":               {text: "a,b\n", want: tbl("a,b")},
		"formula guard read back":   {text: "a,b\n'=cmd|' /C calc'!A0,'-5\n", want: tbl("a,b", row("=cmd|' /C calc'!A0", "'-5"))},
		"unicode":                   {text: "città,emoji\nRoma,😀\n", want: tbl("città,emoji", row("Roma", "😀"))},
		"tab in a CSV cell":         {text: "a,b\nx\ty,z\n", want: tbl("a,b", row("x\ty", "z"))},

		"too few cells":         {text: "a,b,c,d\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3\n", err: "line 7: 3 cells, the header has 4"},
		"too many cells":        {text: "a\n1,2\n", err: "line 2: 2 cells, the header has 1"},
		"one cell":              {text: "a,b\n1\n", err: "line 2: 1 cell, the header has 2"},
		"line counts breaks":    {text: "a,b\n\"x\ny\",1\n1\n", err: "line 4: 1 cell, the header has 2"},
		"unclosed quote":        {text: "a,b\n1,\"oops\n2,3\n", err: "line 2, column 3: a quoted cell is never closed"},
		"text after a quote":    {text: "a,b\n\"x\"y,1\n", err: `line 2, column 4: text after a quoted cell's closing quote (a quote inside a quoted cell is written "")`},
		"duplicate column":      {text: "a,b,a\n1,2,3\n", err: `line 1: the column "a" is named twice`},
		"column with no name":   {text: "a,,c\n1,2,3\n", err: "line 1: column 2 has no name"},
		"empty":                 {text: "", err: "the table is empty: its first line names the columns"},
		"only blank lines":      {text: "\n\r\n\n", err: "the table is empty: its first line names the columns"},
		"not UTF-8":             {text: "a,b\nok,é\xff\n", err: "line 2, column 5: not UTF-8 text"},
		"duplicate after trim":  {text: "a, a\n1,2\n", err: `line 1: the column "a" is named twice`},
		"lone CR after a quote": {text: "a\n\"x\"\ry\n", err: `line 2, column 4: text after a quoted cell's closing quote (a quote inside a quoted cell is written "")`},
	})
	if _, err := Parse("a\n1\n", "xml"); err == nil || err.Error() != `no table format "xml" (csv, tsv or jsonl)` {
		t.Fatalf("an unknown format: %v", err)
	}
}

func TestParseTSV(t *testing.T) {
	runParse(t, TSV, map[string]parseCase{
		"pasted from a spreadsheet": {text: "city\tnote\r\nOslo\t\"two\r\nlines\"\r\nLima\t\"a\ttab\"\r\n", want: tbl("city,note", row("Oslo", "two\r\nlines"), row("Lima", "a\ttab"))},
		"doubled quotes":            {text: "a\tb\n\"say \"\"hi\"\"\"\tx\n", want: tbl("a,b", row(`say "hi"`, "x"))},
		"commas are text":           {text: "a\tb\n1,2\t3\n", want: tbl("a,b", row("1,2", "3"))},
		"trailing empty cell":       {text: "a\tb\n1\t\n", want: tbl("a,b", row("1", ""))},
		"a quote that is text":      {text: "a\tb\n\"Hi,\" she said\t2\n", want: tbl("a,b", row(`"Hi," she said`, "2"))},
		"an opening quote alone":    {text: "a\tb\n\"oops\t2\n", want: tbl("a,b", row(`"oops`, "2"))},
		"BOM":                       {text: "\uFEFFa\tb\n1\t2", want: tbl("a,b", row("1", "2"))},
		"too few cells":             {text: "a\tb\tc\n1\t2\n", err: "line 2: 2 cells, the header has 3"},
	})
}

func TestParseJSONL(t *testing.T) {
	runParse(t, JSONL, map[string]parseCase{
		"keys in first-appearance order": {text: `{"city":"Oslo","date":"Mon"}` + "\n" + `{"date":"Fri","lang":"es","city":"Lima"}` + "\n",
			want: tbl("city,date,lang", row("Oslo", "Mon", ""), row("Lima", "Fri", "es"))},
		"non-string values kept as JSON": {text: `{"n": 1.50, "ok": true, "none": null, "expected": {"a": [1, 2]}}`,
			want: tbl("n,ok,none,expected", row("1.50", "true", "null", `{"a":[1,2]}`))},
		"blank lines and CRLF":  {text: "\n" + `{"a":"1"}` + "\r\n   \r\n" + `{"a":"2"}` + "\r\n\n", want: tbl("a", row("1"), row("2"))},
		"escapes":               {text: `{"a":"line\nbreak \"q\" \u00e9 \t"}`, want: tbl("a", row("line\nbreak \"q\" é \t"))},
		"BOM":                   {text: "\uFEFF" + `{"a":"1"}`, want: tbl("a", row("1"))},
		"keys trimmed":          {text: `{" a ":"1"}`, want: tbl("a", row("1"))},
		"an empty object":       {text: `{"a":"1"}` + "\n{}\n", want: tbl("a", row("1"), row(""))},
		"not an object":         {text: `{"a":"1"}` + "\n  [1,2]\n", err: `line 2, column 3: not a JSON object: each line is one case, {"column": "value", …}`},
		"duplicate key":         {text: `{"a":"1","a":"2"}`, err: `line 1: the key "a" appears twice`},
		"duplicate after trim":  {text: `{"a":"1"," a":"2"}`, err: `line 1: the key "a" appears twice`},
		"empty key":             {text: `{"":"1"}`, err: "line 1: a key with no name"},
		"more after the object": {text: `{"a":"1"} {"a":"2"}`, err: "line 1, column 11: more after the object: each line is one case"},
		"syntax error":          {text: `{"a":"1"}` + "\n" + `{"a": tru}`, err: "line 2, column 8: not JSON: invalid character '}' in literal true (expecting 'e')"},
		"cut short":             {text: `{"a":`, err: "line 1, column 6: not JSON: the line ends inside the object"},
		"empty":                 {text: "\n \n", err: "the table is empty: each line is one case, a JSON object"},
	})
}

func TestDetect(t *testing.T) {
	tests := map[string]Format{
		"a,b\n1,2":            CSV,
		"a\tb\n1\t2":          TSV,
		`{"a":1}`:             JSONL,
		"\n  \n  {\"a\":1}":   JSONL,
		"\uFEFF{\"a\":1}":     JSONL,
		"single":              CSV,
		"":                    CSV,
		"a,b\nx\ty":           CSV,
		"\"a\tb\",c\n":        TSV, // the first line has a tab
		"\t\n\"x\"\t\"y\"\n":  TSV,
		"\r\n\r\na;b\r\n1;2":  CSV,
		"  {\"a\":\"1\"}\r\n": JSONL,
	}
	for text, want := range tests {
		if got := Detect(text); got != want {
			t.Errorf("Detect(%q) = %s, want %s", text, got, want)
		}
	}
	got, err := Parse("a\tb\n1\t2\n", "")
	if err != nil || !same(got, tbl("a,b", row("1", "2"))) {
		t.Fatalf("Parse with no format = %q, %v", got, err)
	}
}

func TestFormatOfName(t *testing.T) {
	tests := map[string]Format{"cases.csv": CSV, "a/b.TSV": TSV, "x.tab": TSV, "c.jsonl": JSONL, "c.ndjson": JSONL, "c.json": "", "noext": ""}
	for name, want := range tests {
		got, ok := FormatOfName(name)
		if got != want || ok != (want != "") {
			t.Errorf("FormatOfName(%q) = %q, %v", name, got, ok)
		}
	}
}

// hostile is a table of the cells that break naive readers and writers.
func hostile() Table {
	cells := []string{
		"", " ", `"`, `""`, `"quoted"`, "a,b", "a\tb", "line\nbreak", "crlf\r\nbreak", "cr\ronly", "\n", "\r",
		"=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=x", "\r=x", "'=already", "''=twice", "'plain", "-5", "+3.25", "1e9",
		"=", "-", "'", "\uFEFFbom", "é😀", `{"json": true}`, "{{city}}", "trailing space ", "\x00nul", "a\"b", "\"start", "end\"",
	}
	t := Table{Columns: []string{"case", "=col", "tab\tcol", "expected", "expected.json"}}
	for i, c := range cells {
		t.Rows = append(t.Rows, []string{fmt.Sprint(i), c, strings.ToUpper(c), c + c, c})
	}
	t.Rows = append(t.Rows, []string{"", "", "", "", ""})
	return t
}

func TestRoundTrip(t *testing.T) {
	big := Table{Columns: []string{"n", "text"}}
	for i := range MaxRows {
		big.Rows = append(big.Rows, []string{fmt.Sprint(i), strings.Repeat("x,\"\n", i%7)})
	}
	tables := map[string]Table{
		"hostile":         hostile(),
		"1,000 rows":      big,
		"one column":      tbl("a", row(""), row(""), row("x")),
		"no cases":        tbl("a,b"),
		"bom column name": {Columns: []string{"\uFEFFa", "b"}, Rows: [][]string{{"1", "2"}}},
	}
	for name, tb := range tables {
		for _, f := range Formats {
			t.Run(name+"/"+string(f), func(t *testing.T) {
				text, err := tb.Export(f)
				if f == JSONL && len(tb.Rows) == 0 {
					if err == nil {
						t.Fatal("a JSONL table of no cases exported")
					}
					return
				}
				if err != nil {
					t.Fatalf("Export: %v", err)
				}
				if got := Detect(text); got != f && !slices.ContainsFunc(tb.Columns, func(c string) bool { return strings.Contains(c, "\t") }) && name != "no cases" && name != "one column" {
					t.Errorf("Detect(export) = %s, want %s", got, f)
				}
				got, err := Parse(text, f)
				if err != nil {
					t.Fatalf("Parse(Export): %v\n%s", err, text)
				}
				if !same(got, tb) {
					t.Fatalf("Parse(Export(t)) =\n%q\nwant\n%q", got, tb)
				}
			})
		}
	}
}

func TestExportGuardsFormulas(t *testing.T) {
	tb := tbl("a", row("=cmd|' /C calc'!A0"), row("@SUM(A1)"), row("-5"), row("-2+3"), row("'=x"), row("plain"), row("+3.25"))
	for _, f := range []Format{CSV, TSV} {
		text, err := tb.Export(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimRight(text, "\r\n"), "\n")
		for i := range lines {
			lines[i] = strings.TrimSuffix(lines[i], "\r")
		}
		want := []string{"a", "'=cmd|' /C calc'!A0", "'@SUM(A1)", "-5", "'-2+3", "''=x", "plain", "+3.25"}
		if !slices.Equal(lines, want) {
			t.Errorf("%s export = %q, want %q", f, lines, want)
		}
	}
	text, _ := tb.Export(JSONL)
	if !strings.HasPrefix(text, `{"a":"=cmd|' /C calc'!A0"}`+"\n") {
		t.Errorf("JSONL is not guarded, but got %q", text)
	}
	csv, _ := tbl("a,b", row("1", "x\ny")).Export(CSV)
	if csv != "a,b\r\n1,\"x\ny\"\r\n" {
		t.Errorf("CSV export = %q", csv)
	}
}

func TestLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("n\n")
	for i := range MaxRows + 5 {
		fmt.Fprintf(&b, "%d\n", i)
	}
	over := b.String()
	jl := strings.Repeat(`{"n":"1"}`+"\n", MaxRows+5)
	many := strings.Repeat("c,", MaxColumns) + "c\n"
	cell := "a\n" + strings.Repeat("x", MaxCellBytes+1) + "\n"
	tests := map[string]struct {
		text string
		f    Format
		err  string
	}{
		"rows, CSV":    {over, CSV, "line 1002: more than 1,000 cases (1,005), the most one table holds; split it"},
		"rows, TSV":    {over, TSV, "line 1002: more than 1,000 cases (1,005), the most one table holds; split it"},
		"rows, JSONL":  {jl, JSONL, "line 1001: more than 1,000 cases (1,005), the most one table holds; split it"},
		"columns":      {many, CSV, "line 1: 101 columns, at most 100"},
		"cell":         {cell, CSV, "line 2, column 1: a cell of 1.0 MB, at most 1 MB"},
		"cell, JSONL":  {`{"a":"` + strings.Repeat("x", MaxCellBytes+1) + `"}`, JSONL, `line 1: key "a": a cell of 1.0 MB, at most 1 MB`},
		"file":         {strings.Repeat("a\n", MaxBytes/2+1), CSV, "the table is 16.0 MB, at most 16 MB"},
		"exactly 1000": {strings.Join(strings.Split(over, "\n")[:MaxRows+1], "\n"), CSV, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Parse(tc.text, tc.f)
			if tc.err == "" {
				if err != nil || len(got.Rows) != MaxRows {
					t.Fatalf("Parse: %d rows, %v", len(got.Rows), err)
				}
				return
			}
			if err == nil || err.Error() != tc.err {
				t.Fatalf("error = %v, want %q", err, tc.err)
			}
		})
	}
	if _, err := Read(strings.NewReader(strings.Repeat("a\n", MaxBytes)), CSV); err == nil || !strings.Contains(err.Error(), "at most 16 MB") {
		t.Fatalf("Read of a file too large: %v", err)
	}
	if got, err := Read(strings.NewReader("a\n1\n"), ""); err != nil || !same(got, tbl("a", row("1"))) {
		t.Fatalf("Read = %q, %v", got, err)
	}
}

func TestCheck(t *testing.T) {
	rows := make([][]string, MaxRows+1)
	for i := range rows {
		rows[i] = []string{"x"}
	}
	tests := map[string]struct {
		t   Table
		err string
	}{
		"ok":              {tbl("a,b", row("1", "2")), ""},
		"no columns":      {Table{}, "the table has no columns: its first line names them"},
		"short row":       {tbl("a,b", row("1")), "case 1: 1 cell, the table has 2 columns"},
		"long row":        {tbl("a", row("1"), row("1", "2")), "case 2: 2 cells, the table has 1 column"},
		"spaced column":   {tbl("a, b"), `the column name " b" has spaces around it`},
		"duplicate":       {tbl("a,a"), `the column "a" is named twice`},
		"empty column":    {tbl("a,"), "column 2 has no name"},
		"too many rows":   {Table{Columns: []string{"a"}, Rows: rows}, "more than 1,000 cases (1,001), the most one table holds; split it"},
		"bad UTF-8 cell":  {tbl("a", row("\xff")), `case 1: column "a": not UTF-8 text`},
		"bad UTF-8 name":  {tbl("\xff"), "column 1: not UTF-8 text"},
		"cell too large":  {tbl("a", row(strings.Repeat("x", MaxCellBytes+1))), `case 1: column "a": a cell of 1.0 MB, at most 1 MB`},
		"1,000 rows fine": {Table{Columns: []string{"a"}, Rows: rows[:MaxRows]}, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := tc.t.Check()
			if tc.err == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tc.err {
				t.Fatalf("Check = %v, want %q", err, tc.err)
			}
			if _, err := tc.t.Export(CSV); err == nil || err.Error() != tc.err {
				t.Fatalf("Export = %v, want Check's error", err)
			}
		})
	}
}

func TestProblem(t *testing.T) {
	_, err := Parse("a,b\n1\n", CSV)
	p := problem.Of(err)
	if p.Kind != problem.KindInvalid || p.Message != "Line 2: 1 cell, the header has 2." || p.Hint == "" {
		t.Fatalf("problem = %+v", p)
	}
}

func TestColumnsAndVariables(t *testing.T) {
	tb := tbl("city,date,expected,expected.json,notes", row("Oslo", "Mon", "sunny", "", "n1"), row("Lima", "", "", `{"a":1}`, ""))
	if got := tb.Missing([]string{"date", "city", "lang", "expected", "expected.json"}); !slices.Equal(got, []string{"lang", "expected", "expected.json"}) {
		t.Errorf("Missing = %q", got)
	}
	if got := tb.Missing(nil); got != nil {
		t.Errorf("Missing(nil) = %q", got)
	}
	if got, want := tb.Values(0), map[string]string{"city": "Oslo", "date": "Mon", "notes": "n1"}; !maps.Equal(got, want) {
		t.Errorf("Values(0) = %q, want %q", got, want)
	}
	if got, want := tb.Values(1), map[string]string{"city": "Lima", "date": "", "notes": ""}; !maps.Equal(got, want) {
		t.Errorf("Values(1) = %q, want %q", got, want)
	}
	if got, want := tb.Expected(0), map[string]string{"": "sunny"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Expected(0) = %q, want %q", got, want)
	}
	if got, want := tb.Expected(1), map[string]string{"json": `{"a":1}`}; !reflect.DeepEqual(got, want) {
		t.Errorf("Expected(1) = %q, want %q", got, want)
	}
	for col, want := range map[string][2]any{"expected": {"", true}, "expected.json": {"json", true}, "expected.": {"", true}, "expectedx": {"", false}, "city": {"", false}} {
		name, ok := ExpectedName(col)
		if name != want[0] || ok != want[1] {
			t.Errorf("ExpectedName(%q) = %q, %v", col, name, ok)
		}
	}
}

// fuzzRoundTrip: a text that parses exports to every format and parses
// back to the same table.
func fuzzRoundTrip(t *testing.T, text string, f Format) {
	tb, err := Parse(text, f)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("Parse(%q) error %T is not an *Error", text, err)
		}
		return
	}
	if err := tb.Check(); err != nil {
		t.Fatalf("Parse(%q) gave a table Check refuses: %v", text, err)
	}
	for _, to := range Formats {
		if to == JSONL && len(tb.Rows) == 0 {
			continue
		}
		out, err := tb.Export(to)
		if err != nil {
			t.Fatalf("Export(%s) of %q: %v", to, tb, err)
		}
		back, err := Parse(out, to)
		if err != nil {
			t.Fatalf("Parse(Export(%s)) of %q: %v\n%q", to, tb, err, out)
		}
		if !same(back, tb) {
			t.Fatalf("%s round trip of %q =\n%q\nwant\n%q", to, out, back, tb)
		}
	}
}

func addSeeds(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "a\tb\n\"x\ny\"\t2\r\n", `{"a":"1","b":2}` + "\n" + `{"c":null}`, "\uFEFFa\n\"\"\n", "a\n'=x\n",
		"a,b\n\"q\"\"\",\n", "a\n\"Hi,\" she said\n", "\n\n", "a\n\r\n1\r", `{"a":{"b":[1,"x"]}}`} {
		f.Add(s)
	}
}

func FuzzParseCSV(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, text string) { fuzzRoundTrip(t, text, CSV) })
}

func FuzzParseTSV(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, text string) { fuzzRoundTrip(t, text, TSV) })
}

func FuzzParseJSONL(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, text string) { fuzzRoundTrip(t, text, JSONL) })
}

func FuzzDetect(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, text string) { fuzzRoundTrip(t, text, Detect(text)) })
}
