package experiment

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
)

// defaultCatalog is the built-in catalog (the simulator's models).
func defaultCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// mustParse parses an experiment file that must be good.
func mustParse(t testing.TB, name, src string) *File {
	t.Helper()
	f, err := ParseFile(name, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// readBeside reads cases files relative to dir, as the command does.
func readBeside(dir string) CaseReader {
	return func(path string) ([]Case, error) { return ReadCasesFile(filepath.Join(dir, path)) }
}

// TestLoadResolvesPanes: each pane has its model (the draft's, or its
// own), its parameters in its form, a label; the variables are listed
// once in order of first appearance; the cells go case by case.
func TestLoadResolvesPanes(t *testing.T) {
	const src = `provider: sim
model: seed001.gpt-5.4
request:
  messages:
    - {role: system, content: "You answer about {{topic}}."}
    - {role: user, content: "{{question}} ({{topic}})"}
panes:
  - {params: {temperature: 0}}
  - {name: other model, model: seed002.gpt-5.4, params: {temperature: 1.4}}
repeats: 2
cases:
  - {topic: maths, question: "2+2?", expected: "4"}
  - {topic: art, question: "Who painted it?"}
`
	p, err := Load(mustParse(t, "e.yaml", src), defaultCatalog(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Panes) != 2 || p.Panes[0].Provider != "sim" || p.Panes[0].Model != "seed001.gpt-5.4" || p.Panes[1].Model != "seed002.gpt-5.4" {
		t.Fatalf("panes %+v", p.Panes)
	}
	if !strings.HasSuffix(p.Panes[0].Label, " · temperature=0") || p.Panes[1].Label != "other model" {
		t.Errorf("labels %q, %q", p.Panes[0].Label, p.Panes[1].Label)
	}
	if got := p.Panes[0].Form["temperature"].Text; got != "0" {
		t.Errorf("pane 0's temperature %q (form %v)", got, p.Panes[0].Form)
	}
	if got := p.Panes[1].Form["temperature"].Text; got != "1.4" {
		t.Errorf("pane 1's temperature %q", got)
	}
	if !slices.Equal(p.Vars, []string{"topic", "question"}) {
		t.Errorf("vars %v", p.Vars)
	}
	if p.Repeats != 2 || len(p.Cases) != 2 || p.Cases[0].Vars["expected"] != "4" {
		t.Errorf("repeats %d, cases %+v", p.Repeats, p.Cases)
	}
	cells := p.Cells()
	if len(cells) != 8 || cells[0] != (Cell{0, 0, 0}) || cells[1] != (Cell{0, 1, 0}) || cells[2] != (Cell{1, 0, 0}) || cells[4] != (Cell{0, 0, 1}) {
		t.Errorf("cells %v", cells)
	}
}

// TestLoadNoPanesNoCases: no panes is one pane of the draft as it is; a
// draft without variables and without cases is one empty case.
func TestLoadNoPanesNoCases(t *testing.T) {
	p, err := Load(mustParse(t, "e.yaml", "provider: sim\nmodel: seed001.gpt-5.4\nrequest: {messages: [{role: user, content: hi}]}\n"), defaultCatalog(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Panes) != 1 || p.Panes[0].Model != "seed001.gpt-5.4" || len(p.Cases) != 1 || len(p.Vars) != 0 || p.Repeats != 1 || len(p.Cells()) != 1 {
		t.Errorf("plan %+v", p)
	}
}

// TestLoadErrors: what only the catalog or the cases can say is a
// FileError at the field's line.
func TestLoadErrors(t *testing.T) {
	const head = "provider: sim\nmodel: seed001.gpt-5.4\nrequest:\n  messages:\n    - {role: user, content: \"Tell me about {{city}} in {{year}}.\"}\n"
	for _, tc := range []struct {
		name, file string
		line       int
		field, msg string
	}{
		{"a case missing a variable", head + "cases:\n  - {city: Paris, year: 1900}\n  - {city: Rome}\n", 8, "cases[1]", "no value for year"},
		{"a case missing both", head + "cases:\n  - {town: Paris}\n", 7, "cases[0]", "no value for city, year"},
		{"no cases for variables", head, 1, "cases", "no cases: the draft has variables (city, year)"},
		{"unknown provider", "provider: nowhere\nmodel: x\nrequest: {}\n", 1, "provider", `no provider "nowhere" in the catalog`},
		{"unknown model", "provider: sim\nmodel: nope\nrequest: {}\n", 2, "model", `provider sim has no model "nope"`},
		{"a pane's unknown model", head + "cases: [{city: a, year: b}]\npanes:\n  - {}\n  - {model: nope}\n", 9, "panes[1].model", `provider sim has no model "nope"`},
		{"a pane on another provider without a model", head + "cases: [{city: a, year: b}]\npanes:\n  - {provider: openai}\n", 8, "panes[0].model", `provider openai has no model "seed001.gpt-5.4"`},
		{"a parameter the form lacks", head + "cases: [{city: a, year: b}]\npanes:\n  - params: {colour: red}\n", 8, "panes[0].params.colour", "colour is not in the form of"},
		{"a request field the form lacks", "provider: sim\nmodel: seed001.gpt-5.4\nrequest:\n  colour: red\n  messages: [{role: user, content: hi}]\n", 4, "request.colour", "colour is not in the form of"},
		{"a cases path without a reader", head + "cases: cities.csv\n", 6, "cases", "cases are read from files only by the command line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Load(mustParse(t, "e.yaml", tc.file), defaultCatalog(t), nil)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v, plan %+v: want a *FileError", err, p)
			}
			if fe.File != "e.yaml" || fe.Line != tc.line || fe.Field != tc.field || !strings.Contains(fe.Msg, tc.msg) {
				t.Errorf("got %#v\nwant line %d, field %q, message with %q", fe, tc.line, tc.field, tc.msg)
			}
		})
	}
}

// TestLoadCasesFromCSV: cases: a path is read relative to the experiment
// file, its columns the variables (and expected columns for the checks);
// a missing file is an error at cases naming it.
func TestLoadCasesFromCSV(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "cities.csv"), []byte("city,expected\nParis,France\nKyoto,Japan\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := "provider: sim\nmodel: seed001.gpt-5.4\nrequest: {messages: [{role: user, content: \"Where is {{city}}?\"}]}\ncases: data/cities.csv\n" +
		"checks: [{type: contains, values: [\"{{expected}}\"]}]\n"
	p, err := Load(mustParse(t, filepath.Join(dir, "e.yaml"), src), defaultCatalog(t), readBeside(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Cases) != 2 || p.Cases[0].Vars["city"] != "Paris" || p.Cases[1].Vars["expected"] != "Japan" || !slices.Equal(p.Vars, []string{"city"}) {
		t.Fatalf("cases %+v, vars %v", p.Cases, p.Vars)
	}
	if cs := p.ChecksOf(1); len(cs) != 1 || !slices.Equal(cs[0].Values, []string{"Japan"}) {
		t.Errorf("case 1's checks %+v", cs)
	}

	missing := strings.Replace(src, "data/cities.csv", "data/towns.csv", 1)
	_, err = Load(mustParse(t, "e.yaml", missing), defaultCatalog(t), readBeside(dir))
	var fe *FileError
	if !errors.As(err, &fe) || fe.Field != "cases" || fe.Line != 4 || !strings.Contains(fe.Msg, "towns.csv") {
		t.Errorf("a missing cases file: %#v", err)
	}
	// A CSV lacking a variable's column: the case is named.
	if err := os.WriteFile(filepath.Join(dir, "data", "bad.csv"), []byte("town\nParis\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(mustParse(t, "e.yaml", strings.Replace(src, "data/cities.csv", "data/bad.csv", 1)), defaultCatalog(t), readBeside(dir))
	if !errors.As(err, &fe) || fe.Field != "cases[0]" || !strings.Contains(fe.Msg, "no value for city") {
		t.Errorf("a CSV without the variable's column: %v", err)
	}
}
