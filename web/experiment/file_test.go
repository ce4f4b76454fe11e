package experiment

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

const goodYAML = `name: Capitals
provider: sim
model: seed001.gpt-5.4
request:
  messages:
    - {role: user, content: "The capital of {{country}}, in one word?"}
panes:
  - {params: {temperature: 0}}
  - {name: hot, model: seed002.gpt-5.4, params: {temperature: 1.4}}
repeats: 2
cases:
  - {country: France, expected: Paris}
  - vars: {country: Japan, expected: Tokyo}
    checks:
      - {type: not-contains, values: [Kyoto]}
checks:
  - {type: contains, values: ["{{expected}}"]}
min_pass_rate: 0.8
concurrency: 3
`

const goodJSON = `{
  "provider": "sim",
  "model": "seed001.gpt-5.4",
  "request": {"messages": [{"role": "user", "content": "Tell me about {{city}}."}]},
  "repeats": 3,
  "cases": "cities.csv",
  "checks": [{"type": "length", "min": 1}, {"type": "max-cost", "amount": 0.01, "currency": "USD"}]
}`

// TestParseFileGood: a YAML and a JSON file read into every field.
func TestParseFileGood(t *testing.T) {
	f, err := ParseFile("capitals.yaml", []byte(goodYAML))
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "Capitals" || f.Provider != "sim" || f.Model != "seed001.gpt-5.4" || f.Repeats != 2 || f.Concurrency != 3 {
		t.Errorf("file %+v", f)
	}
	if f.MinPassRate == nil || *f.MinPassRate != 0.8 {
		t.Errorf("min_pass_rate %v", f.MinPassRate)
	}
	if len(f.Panes) != 2 || f.Panes[0].Params["temperature"] != 0 || f.Panes[1].Name != "hot" || f.Panes[1].Model != "seed002.gpt-5.4" ||
		f.Panes[1].Params["temperature"] != 1.4 || f.Panes[0].Model != "" {
		t.Errorf("panes %+v", f.Panes)
	}
	if len(f.Cases.Rows) != 2 || f.Cases.Path != "" || f.Cases.Rows[0].Vars["country"] != "France" || f.Cases.Rows[1].Vars["expected"] != "Tokyo" ||
		len(f.Cases.Rows[0].Checks) != 0 || len(f.Cases.Rows[1].Checks) != 1 || f.Cases.Rows[1].Checks[0].Values[0] != "Kyoto" {
		t.Errorf("cases %+v", f.Cases)
	}
	if len(f.Checks) != 1 || f.Checks[0].Type != "contains" || f.Checks[0].Values[0] != "{{expected}}" {
		t.Errorf("checks %+v", f.Checks)
	}
	msgs, _ := f.Request["messages"].([]any)
	if len(msgs) != 1 || msgs[0].(map[string]any)["content"] != "The capital of {{country}}, in one word?" {
		t.Errorf("request %v", f.Request)
	}

	j, err := ParseFile("cities.json", []byte(goodJSON))
	if err != nil {
		t.Fatal(err)
	}
	if j.Repeats != 3 || j.Cases.Path != "cities.csv" || len(j.Cases.Rows) != 0 || j.MinPassRate != nil || len(j.Panes) != 0 {
		t.Errorf("json file %+v", j)
	}
	// A JSON number for a string field is kept as its exact text.
	if len(j.Checks) != 2 || *j.Checks[0].Min != 1 || j.Checks[1].Amount != "0.01" {
		t.Errorf("json checks %+v", j.Checks)
	}
}

// TestParseFileBad: each bad file is a FileError at the field's line,
// naming the field and saying what is wrong.
func TestParseFileBad(t *testing.T) {
	const base = "provider: sim\nmodel: m\nrequest: {messages: [{role: user, content: hi}]}\n"
	for _, tc := range []struct {
		name, file string
		line       int
		field      string
		msg        string // in the message
	}{
		{"unknown key", base + "colour: red\n", 4, "colour", `"colour" is not a field of an experiment file (the fields are name,`},
		{"unknown pane key", base + "panes:\n  - params: {temperature: 0}\n    colour: red\n", 6, "panes[0].colour", `"colour" is not a field of a pane`},
		{"unknown check key", base + "checks:\n  - type: contains\n    colour: [a]\n", 6, "checks[0].colour", `"colour" is not a field of a check`},
		{"repeats 0", base + "repeats: 0\n", 4, "repeats", "0: repeats are 1 to 10"},
		{"repeats 11", base + "repeats: 11\n", 4, "repeats", "11: repeats are 1 to 10"},
		{"min pass rate NaN", base + "min_pass_rate: .nan\n", 4, "min_pass_rate", "NaN: a pass rate is from 0 to 1"},
		{"min pass rate 1.5", base + "min_pass_rate: 1.5\n", 4, "min_pass_rate", "1.5: a pass rate is from 0 to 1"},
		{"concurrency 0", base + "concurrency: 0\n", 4, "concurrency", "0: from 1 to 32 runs at once per provider"},
		{"repeats -1", base + "repeats: -1\n", 4, "repeats", "-1: repeats are 1 to 10"},
		{"repeats not a number", base + "repeats: many\n", 4, "repeats", "cannot unmarshal !!str `many` into int"},
		{"too many panes", base + "panes:\n  - {}\n  - {}\n  - {}\n  - {}\n  - {}\n  - {}\n  - {}\n", 4, "panes", "7 panes: an experiment has at most 6"},
		{"bad check kind", base + "checks:\n  - type: contains\n    values: [a]\n  - type: nope\n", 7, "checks[1].type", `"nope" is not a check (one of equals,`},
		{"check without type", base + "checks:\n  - values: [a]\n", 5, "checks[0].type", "missing"},
		{"bad regex in a case's check", base + "cases:\n  - {a: 1}\n  - vars: {a: 2}\n    checks:\n      - type: regex\n        pattern: \"(\"\n",
			9, "cases[1].checks[0].pattern", "missing closing )"},
		{"a case not a map", base + "cases:\n  - {a: 1}\n  - [1, 2]\n", 6, "cases[1]", "a case is a map of its variables' values"},
		{"cases a map", base + "cases: {a: 1}\n", 4, "cases", "cases are a list of rows or the path of a CSV, TSV or JSONL file"},
		{"min_pass_rate 1.5", base + "min_pass_rate: 1.5\n", 4, "min_pass_rate", "1.5: a pass rate is from 0 to 1"},
		{"min_pass_rate -0.1", base + "min_pass_rate: -0.1\n", 4, "min_pass_rate", "a pass rate is from 0 to 1"},
		{"concurrency 0", base + "concurrency: 0\n", 4, "concurrency", "from 1 to 32 runs at once"},
		{"concurrency 99", "concurrency: 99\n" + base, 1, "concurrency", "99: from 1 to 32 runs at once"},
		{"no provider", "model: m\nrequest: {}\n", 1, "provider", "missing: the provider"},
		{"no model", "provider: sim\nrequest: {}\n", 1, "model", "missing: the model"},
		{"no request", "provider: sim\nmodel: m\n", 1, "request", "missing: the request body"},
		{"JSON unknown key", "{\"provider\": \"sim\", \"model\": \"m\", \"request\": {},\n \"colour\": 12}", 2, "colour", `"colour" is not a field`},
		{"JSON repeats 12", "{\"provider\": \"sim\",\n \"model\": \"m\",\n \"request\": {},\n \"repeats\": 12}", 4, "repeats", "12: repeats are 1 to 10"},
		{"syntax", base + "panes: [\n", 4, "", "did not find expected node content"},
		{"empty", "", 0, "", "the file is empty"},
		{"a list", "[1, 2]\n", 1, "", "cannot unmarshal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseFile("exp.yaml", []byte(tc.file))
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T), file %+v: want a *FileError", err, err, f)
			}
			if f != nil {
				t.Errorf("a file with an error: %+v", f)
			}
			if fe.File != "exp.yaml" || fe.Line != tc.line || fe.Field != tc.field || !strings.Contains(fe.Msg, tc.msg) {
				t.Errorf("got %#v\nwant line %d, field %q, message with %q", fe, tc.line, tc.field, tc.msg)
			}
			// The error says the file, line and field, as the command prints it.
			want := "exp.yaml"
			if tc.line > 0 {
				want += ":" + strconv.Itoa(tc.line)
			}
			if tc.field != "" {
				want += ": " + tc.field + ": "
			}
			if !strings.HasPrefix(fe.Error(), want) {
				t.Errorf("Error() %q, want it to start %q", fe.Error(), want)
			}
		})
	}
}

// TestParseFileTooLarge: a file over MaxFileBytes is refused before it is
// parsed.
func TestParseFileTooLarge(t *testing.T) {
	data := []byte("provider: sim\nmodel: m\nrequest: {}\ndescription: " + strings.Repeat("x", MaxFileBytes) + "\n")
	_, err := ParseFile("big.yaml", data)
	var fe *FileError
	if !errors.As(err, &fe) || fe.File != "big.yaml" || !strings.Contains(fe.Msg, "more than the 4194304 an experiment may have") {
		t.Errorf("error %v", err)
	}
	// Just under the limit is read.
	ok := []byte("provider: sim\nmodel: m\nrequest: {}\n#")
	ok = append(ok, strings.Repeat("x", MaxFileBytes-len(ok))...)
	if _, err := ParseFile("big.yaml", ok); err != nil {
		t.Errorf("a file of exactly MaxFileBytes: %v", err)
	}
}

// FuzzParseFile: ParseFile never panics, and its error is always a
// *FileError, with the file's name.
func FuzzParseFile(f *testing.F) {
	for _, s := range []string{goodYAML, goodJSON, "", "a: [", "cases: [[1]]", "checks: [{type: regex, pattern: '('}]",
		"provider: sim\nmodel: m\nrequest: {}\npanes: [{params: {temperature: x}}]\nrepeats: 0\n", "- 1\n- 2\n", "&a [*a]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ParseFile("fuzz.yaml", data)
		if err == nil {
			if file == nil {
				t.Fatal("no file and no error")
			}
			return
		}
		fe, ok := err.(*FileError)
		if !ok {
			t.Fatalf("error %T %v, want a *FileError", err, err)
		}
		if fe.File != "fuzz.yaml" || fe.Msg == "" || file != nil {
			t.Fatalf("error %#v, file %v", fe, file)
		}
	})
}
