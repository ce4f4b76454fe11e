package experiment

import (
	"os"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/compare"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/tokens"
)

func testDrafts(t *testing.T) *draft.Service {
	t.Helper()
	c, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	return &draft.Service{Catalog: c, Getenv: func(string) string { return "" }, Tokens: &tokens.Counter{}}
}

// columnsOf resolves an import as the compare view would.
func columnsOf(svc *draft.Service, im Imported) Columns {
	return Columns{Base: im.Base, Panes: compare.Resolve(svc, im.Base, im.Layout)}
}

// The example file goes into the page and comes back out as a file with
// the same plan: the same panes, cases, variables, repeats and checks.
func TestImportComposeRoundTrip(t *testing.T) {
	svc := testDrafts(t)
	data, err := os.ReadFile("../../docs/examples/experiment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want, err := loadData("experiment.yaml", data, svc.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	im, errs := Import(svc.Catalog, "experiment.yaml", data)
	if errs != nil {
		t.Fatal(errs)
	}
	if len(im.Layout.Panes) != 3 || im.Setup.Repeats != "2" || !strings.HasPrefix(im.Setup.Cases, "city\n") {
		t.Fatalf("import: %+v", im)
	}
	out, plan, errs := Compose(svc.Catalog, columnsOf(svc, im), im.Setup)
	if errs != nil {
		t.Fatalf("compose: %v\n%s", errs, out)
	}
	if len(plan.Panes) != len(want.Panes) || len(plan.Cases) != len(want.Cases) || plan.Repeats != want.Repeats ||
		strings.Join(plan.Vars, ",") != strings.Join(want.Vars, ",") || len(plan.File.Checks) != len(want.File.Checks) {
		t.Fatalf("plan differs:\n%s", out)
	}
	for i := range plan.Panes {
		if plan.Panes[i].Label != want.Panes[i].Label {
			t.Errorf("pane %d: %q, want %q", i, plan.Panes[i].Label, want.Panes[i].Label)
		}
	}
	again, errs := Import(svc.Catalog, "again.yaml", out)
	if errs != nil {
		t.Fatal(errs)
	}
	if again.Setup != im.Setup {
		t.Errorf("setup after a round trip:\n%+v\nwant\n%+v", again.Setup, im.Setup)
	}
}

func TestComposeErrorsByField(t *testing.T) {
	svc := testDrafts(t)
	data, _ := os.ReadFile("../../docs/examples/experiment.yaml")
	im, errs := Import(svc.Catalog, "experiment.yaml", data)
	if errs != nil {
		t.Fatal(errs)
	}
	cols := columnsOf(svc, im)
	for _, tc := range []struct {
		name  string
		edit  func(*Setup)
		field string
		says  string
	}{
		{"repeats", func(s *Setup) { s.Repeats = "11" }, FieldRepeats, "1 to 10"},
		{"repeats text", func(s *Setup) { s.Repeats = "two" }, FieldRepeats, "whole number"},
		{"pass rate", func(s *Setup) { s.MinPassRate = "1.5" }, FieldMinPassRate, "from 0 to 1"},
		{"checks yaml", func(s *Setup) { s.Checks = "- type: contains\n  values: [a\n" }, FieldChecks, "line"},
		{"checks kind", func(s *Setup) { s.Checks = "- type: nope\n" }, FieldChecks, "nope"},
		{"cases quote", func(s *Setup) { s.Cases = "city\n\"Paris\n" }, FieldCases, "never closed"},
		{"cases column", func(s *Setup) { s.Cases = "town\nParis\n" }, FieldCases, "case 1: no value for city"},
		{"check of no column", func(s *Setup) { s.Checks = "- type: contains\n  values: [\"{{expected}}\"]\n" }, FieldChecks,
			"check 1 reads {{expected}}, which no column of the case table gives (its columns are city"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := im.Setup
			tc.edit(&s)
			_, _, errs := Compose(svc.Catalog, cols, s)
			if !strings.Contains(errs[tc.field], tc.says) {
				t.Errorf("errors %v: want %s to say %q", errs, tc.field, tc.says)
			}
		})
	}
	if _, _, errs := Compose(svc.Catalog, cols, Setup{Cases: im.Setup.Cases, MinPassRate: "80%"}); errs != nil {
		t.Errorf("80%%: %v", errs)
	}
}

func TestImportRefuses(t *testing.T) {
	svc := testDrafts(t)
	one := "provider: sim\nmodel: seed001.gpt-5.4\nrequest: {messages: [{role: user, content: hi}]}\n"
	for _, tc := range []struct{ name, file, says string }{
		{"one pane", one, "2 to 6 panes"},
		{"bad yaml", "provider: [", "f.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := Import(svc.Catalog, "f.yaml", []byte(tc.file))
			if !strings.Contains(errs[FieldFile], tc.says) {
				t.Errorf("errors %v: want %q", errs, tc.says)
			}
		})
	}
}

// A case's own checks go into the case table's checks column and come
// back out as the case's checks; a bad one is named beside the table.
func TestCaseChecksColumn(t *testing.T) {
	svc := testDrafts(t)
	file := `provider: sim
model: seed001.gpt-5.4
request: {messages: [{role: user, content: "About {{city}}"}]}
panes: [{params: {temperature: 0}}, {params: {temperature: 1}}]
cases:
  - {city: Paris}
  - {vars: {city: Kyoto}, checks: [{type: contains, values: ["{{city}}", temple], match: all}, {type: length, max: 900}]}
checks: [{type: length, min: 1}]
`
	im, errs := Import(svc.Catalog, "f.yaml", []byte(file))
	if errs != nil {
		t.Fatal(errs)
	}
	// The cell is JSON, quoted as TSV quotes a cell holding quotes.
	if !strings.HasPrefix(im.Setup.Cases, "city\tchecks\nParis\t\nKyoto\t\"[{\"\"type\"\":\"\"contains\"\"") {
		t.Fatalf("the case table:\n%s", im.Setup.Cases)
	}
	_, plan, errs := Compose(svc.Catalog, columnsOf(svc, im), im.Setup)
	if errs != nil {
		t.Fatal(errs)
	}
	if len(plan.Cases) != 2 || len(plan.Cases[0].Checks) != 0 || len(plan.Cases[1].Checks) != 2 || plan.Cases[1].Vars["checks"] != "" {
		t.Fatalf("cases %+v", plan.Cases)
	}
	if got := plan.ChecksOf(1); len(got) != 3 || got[1].Values[0] != "Kyoto" {
		t.Errorf("the second case's checks: %+v", got)
	}
	// YAML in a cell reads too; a bad check names its case and column.
	s := im.Setup
	s.Cases = "city\tchecks\nParis\t[{type: is-json}]\n"
	if _, plan, errs = Compose(svc.Catalog, columnsOf(svc, im), s); errs != nil || len(plan.Cases[0].Checks) != 1 {
		t.Errorf("YAML in the column: %v", errs)
	}
	s.Cases = "city\tchecks\nParis\t\nLima\t[{type: nope}]\n"
	if _, _, errs = Compose(svc.Catalog, columnsOf(svc, im), s); !strings.Contains(errs[FieldCases], `case 2, column "checks"`) || !strings.Contains(errs[FieldCases], "nope") {
		t.Errorf("a bad check in the column: %v", errs)
	}
}
