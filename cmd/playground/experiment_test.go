package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/experiment"
	"github.com/playground-dev/playground/web/history"
)

// experimentRun is what "playground experiment …" gave: the exit status
// main would end with, what it printed, and its error (main prints it on
// stderr, after "playground: ").
type experimentRun struct {
	code           int
	stdout, stderr string
	err            error
}

// runExperimentCmd runs the command in-process, its data directory
// dataDir (unless args say --data-dir), and no other environment.
func runExperimentCmd(t *testing.T, dataDir string, args ...string) experimentRun {
	t.Helper()
	getenv := func(k string) string {
		if k == "PLAYGROUND_DATA_DIR" {
			return dataDir
		}
		return ""
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"experiment"}, args...), getenv, &out, &errOut)
	r := experimentRun{stdout: out.String(), stderr: errOut.String(), err: err}
	var ee *exitError
	switch {
	case err == nil, errors.Is(err, errHelp):
	case errors.As(err, &ee):
		r.code = ee.code
	default:
		r.code = 1
	}
	if err != nil {
		r.stderr += "playground: " + err.Error() + "\n"
	}
	return r
}

// exampleFile is docs/examples/experiment.yaml.
func exampleFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join("..", "..", "docs", "examples", "experiment.yaml")
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// junitReport is the JUnit XML as read back.
type junitReport struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Suites   []struct {
		Name  string `xml:"name,attr"`
		Tests int    `xml:"tests,attr"`
	} `xml:"testsuite"`
}

// jsonReport is the JSON report as read back.
type jsonReport struct {
	Name     string
	Total    int
	Passed   int
	PassRate float64 `json:"pass_rate"`
	OK       bool
	Verdict  string
	Cost     map[string]string
	Panes    []struct{ Label string }
	Cells    []struct {
		RunID string `json:"run_id"`
		Pass  bool
	}
}

// readReport reads the report written at path with unmarshal (JSON's or
// XML's).
func readReport[R any](t *testing.T, path string, unmarshal func([]byte, any) error) R {
	t.Helper()
	var r R
	data, err := os.ReadFile(path)
	if err == nil {
		err = unmarshal(data, &r)
	}
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return r
}

// TestExperimentCommand runs docs/examples/experiment.yaml as a script
// would, then a copy made to fail, with and without a threshold, and a
// bad file; the runs go into the history of the data directory.
func TestExperimentCommand(t *testing.T) {
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	jsonPath, junitPath := filepath.Join(dir, "out.json"), filepath.Join(dir, "out.xml")

	r := runExperimentCmd(t, filepath.Join(dir, "unused"), "run", exampleFile(t), "-json", jsonPath, "--junit="+junitPath, "--data-dir", dataDir)
	if r.code != 0 {
		t.Fatalf("exit %d: %v\n%s\n%s", r.code, r.err, r.stdout, r.stderr)
	}
	// Progress: a line per cell at most (not a terminal), the last one
	// of all 30 (5 cases × 3 panes × 2 repeats) with no failure and a cost.
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var last string
	for _, l := range lines {
		if strings.HasPrefix(l, "[") {
			last = l
		}
	}
	if !strings.HasPrefix(last, "[##############################] 30/30 done · 0 failed · $") {
		t.Errorf("last progress line %q\n%s", last, r.stdout)
	}
	if !strings.Contains(r.stdout, "pane ") || !strings.Contains(r.stdout, "temperature=1.4") ||
		!strings.HasSuffix(strings.TrimSpace(r.stdout), "passed: 30 of 30 cells passed (100 %); every cell must pass") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	js := readReport[jsonReport](t, jsonPath, json.Unmarshal)
	if js.Name != "Answers about a city" || js.Total != 30 || js.Passed != 30 || js.PassRate != 1 || !js.OK || len(js.Cells) != 30 ||
		len(js.Panes) != 3 || js.Cost["USD"] == "" {
		t.Errorf("json report %+v", js)
	}
	ju := readReport[junitReport](t, junitPath, xml.Unmarshal)
	if ju.Tests != 30 || ju.Failures != 0 || ju.Errors != 0 || len(ju.Suites) != 3 || ju.Suites[0].Tests != 10 {
		t.Errorf("junit %+v", ju)
	}
	// The progress's cost is the report's: the judges' runs counted too.
	total, ok := new(big.Rat).SetString(js.Cost["USD"])
	if cost := last[strings.LastIndex(last, "· ")+len("· "):]; !ok || (experiment.Costs{"USD": total}).String() != cost {
		t.Errorf("progress cost %s, report cost %s", cost, js.Cost["USD"])
	}

	// The history has each cell's run (in the experiment's group) and
	// each judge's, under the command line's owner.
	hist, err := history.Open(context.Background(), "", dataDir)
	if err != nil {
		t.Fatal(err)
	}
	runs, grouped, group := 0, 0, ""
	err = hist.Export(context.Background(), experiment.CommandLineOwner, func(e history.Entry) error {
		runs++
		if e.GroupID != "" {
			grouped++
			if group == "" {
				group = e.GroupID
			}
			if e.GroupID != group || !strings.HasPrefix(group, "experiment-") {
				t.Errorf("run %s in group %q, another %q", e.ID, e.GroupID, group)
			}
		}
		return nil
	})
	hist.Close()
	if err != nil {
		t.Fatal(err)
	}
	if runs != 60 || grouped != 30 {
		t.Errorf("history of %q: %d runs, %d in the experiment's group; want 60 (30 cells, 30 judges) and 30", experiment.CommandLineOwner, runs, grouped)
	}

	// A copy whose judge asks for a phrase no answer has: every cell fails.
	src, err := os.ReadFile(exampleFile(t))
	if err != nil {
		t.Fatal(err)
	}
	failing := strings.Replace(string(src), "rubric: The answer is not empty.", `rubric: 'The answer says "zzqx-never-said".'`, 1)
	if failing == string(src) {
		t.Fatal("the example's judge rubric changed: update this test")
	}
	failPath := filepath.Join(dir, "failing.yaml")
	if err := os.WriteFile(failPath, []byte(failing), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runExperimentCmd(t, dataDir, "run", failPath, "-junit", junitPath)
	if r.code != 1 || !strings.Contains(r.stderr, "playground: FAILED: 0 of 30 cells passed (0 %); every cell must pass") {
		t.Errorf("failing: exit %d, stderr %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "30/30 done · 30 failed") {
		t.Errorf("failing: stdout\n%s", r.stdout)
	}
	if ju := readReport[junitReport](t, junitPath, xml.Unmarshal); ju.Tests != 30 || ju.Failures != 30 {
		t.Errorf("failing: junit %+v", ju)
	}
	// The command line's threshold overrides: 0 passes.
	r = runExperimentCmd(t, dataDir, "run", "-min-pass-rate", "0", failPath)
	if r.code != 0 || !strings.Contains(r.stdout, "passed: 0 of 30 cells passed (0 %); the threshold is 0 %") {
		t.Errorf("-min-pass-rate 0: exit %d %v\n%s", r.code, r.err, r.stdout)
	}

	// A bad file: exit 2, the error names the file, line and field.
	bad := strings.Replace(string(src), "repeats: 2", "repeats: 11", 1)
	badPath := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badPath, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runExperimentCmd(t, dataDir, "run", badPath)
	if want := "playground: " + badPath + ":17: repeats: 11: repeats are 1 to 10"; r.code != 2 || !strings.Contains(r.stderr, want) {
		t.Errorf("bad file: exit %d, stderr %q, want %q", r.code, r.stderr, want)
	}
	var fe *experiment.FileError
	if !errors.As(r.err, &fe) || fe.Line != 17 || fe.Field != "repeats" {
		t.Errorf("bad file error %#v", r.err)
	}
	// What only the catalog says (Load) is exit 2 as well.
	unknown := strings.Replace(string(src), "model: seed001.gpt-5.4\nrequest", "model: nope\nrequest", 1)
	if err := os.WriteFile(badPath, []byte(unknown), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runExperimentCmd(t, dataDir, "run", badPath)
	if want := badPath + ":6: model: provider sim has no model \"nope\""; r.code != 2 || !strings.Contains(r.stderr, want) {
		t.Errorf("unknown model: exit %d, stderr %q, want %q", r.code, r.stderr, want)
	}
	// A missing file, bad arguments: exit 2.
	if r = runExperimentCmd(t, dataDir, "run", filepath.Join(dir, "none.yaml")); r.code != 2 || !strings.Contains(r.stderr, "none.yaml") {
		t.Errorf("missing file: exit %d, %q", r.code, r.stderr)
	}
	for _, args := range [][]string{{"run", failPath, "--no-such-flag", "x"}, {"run", failPath, "-min-pass-rate", "2"}, {"run", failPath, "-min-pass-rate", "NaN"}, {"run"}, {"go"}} {
		if r = runExperimentCmd(t, dataDir, args...); r.code != 2 {
			t.Errorf("%q: exit %d, %q", args, r.code, r.stderr)
		}
	}
	// -h prints the usage.
	if r = runExperimentCmd(t, dataDir, "run", "-h"); r.code != 0 || !strings.HasPrefix(r.stdout, "Usage: playground experiment run FILE") {
		t.Errorf("-h: exit %d\n%s", r.code, r.stdout)
	}
}

// TestExperimentArgs: the command's own arguments, before or after FILE,
// and the playground's flags passed on.
func TestExperimentArgs(t *testing.T) {
	rate := func(r float64) *float64 { return &r }
	for _, tc := range []struct {
		name string
		args []string
		want experimentArgs
		err  string
	}{
		{"file only", []string{"run", "e.yaml"}, experimentArgs{file: "e.yaml"}, ""},
		{"flags after the file", []string{"run", "e.yaml", "-json", "o.json", "--junit=o.xml", "-min-pass-rate", "0.5"},
			experimentArgs{file: "e.yaml", jsonPath: "o.json", junitPath: "o.xml", minPassRate: rate(0.5)}, ""},
		{"flags before the file", []string{"run", "-min-pass-rate=1", "--json", "o.json", "e.yaml"},
			experimentArgs{file: "e.yaml", jsonPath: "o.json", minPassRate: rate(1)}, ""},
		{"min pass rate 0", []string{"run", "e.yaml", "-min-pass-rate", "0"}, experimentArgs{file: "e.yaml", minPassRate: rate(0)}, ""},
		{"playground flags", []string{"run", "--data-dir", "/d", "e.yaml", "--log-prompts", "--catalog=c.json"},
			experimentArgs{file: "e.yaml", config: []string{"--data-dir", "/d", "--log-prompts", "--catalog=c.json"}}, ""},
		{"unknown flag", []string{"run", "e.yaml", "--nope", "1"}, experimentArgs{}, "unknown flag --nope (the command's are -json, -junit and -min-pass-rate"},
		{"unknown flag before FILE", []string{"run", "--nope", "e.yaml"}, experimentArgs{}, "unknown flag --nope"},
		{"unknown flag with a value", []string{"run", "-nope=1", "e.yaml"}, experimentArgs{}, "unknown flag -nope=1"},
		{"min pass rate 2", []string{"run", "e.yaml", "-min-pass-rate", "2"}, experimentArgs{}, `-min-pass-rate "2": a share from 0 to 1`},
		{"min pass rate -1", []string{"run", "e.yaml", "-min-pass-rate=-1"}, experimentArgs{}, `-min-pass-rate "-1": a share from 0 to 1`},
		{"min pass rate abc", []string{"run", "e.yaml", "-min-pass-rate", "abc"}, experimentArgs{}, `-min-pass-rate "abc": a share from 0 to 1`},
		{"min pass rate NaN", []string{"run", "e.yaml", "-min-pass-rate", "NaN"}, experimentArgs{}, `-min-pass-rate "NaN": a share from 0 to 1`},
		{"min pass rate without a value", []string{"run", "e.yaml", "-min-pass-rate"}, experimentArgs{}, "-min-pass-rate needs a value"},
		{"json without a value", []string{"run", "e.yaml", "-json"}, experimentArgs{}, "-json needs a value"},
		{"missing FILE", []string{"run", "-json", "o.json"}, experimentArgs{}, "no experiment file: playground experiment run FILE"},
		{"two files", []string{"run", "a.yaml", "b.yaml"}, experimentArgs{}, `unexpected argument "b.yaml": one experiment file at a time`},
		{"no run", []string{"e.yaml"}, experimentArgs{}, "the experiment command is: playground experiment run FILE"},
		{"nothing", nil, experimentArgs{}, "the experiment command is"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseExperimentArgs(tc.args)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.file != tc.want.file || got.jsonPath != tc.want.jsonPath || got.junitPath != tc.want.junitPath ||
				strings.Join(got.config, " ") != strings.Join(tc.want.config, " ") ||
				(got.minPassRate == nil) != (tc.want.minPassRate == nil) ||
				(got.minPassRate != nil && *got.minPassRate != *tc.want.minPassRate) {
				t.Errorf("got %+v (rate %v), want %+v", got, got.minPassRate, tc.want)
			}
		})
	}
	if _, err := parseExperimentArgs([]string{"run", "-h"}); !errors.Is(err, errHelp) {
		t.Errorf("-h: %v", err)
	}
}

// TestExperimentCommandCasesFile: the cases file an experiment names is
// read beside it, wherever the command runs from.
func TestExperimentCommandCasesFile(t *testing.T) {
	dir := t.TempDir()
	exp := "provider: sim\nmodel: seed001.gpt-5.4\nrequest: {messages: [{role: user, content: \"Tell me about {{city}}.\"}]}\n" +
		"cases: cities.csv\nchecks: [{type: length, min: 1}]\n"
	for name, data := range map[string]string{"e.yaml": exp, "cities.csv": "city\nParis\nLisbon\nKyoto\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	jsonPath := filepath.Join(dir, "out.json")
	r := runExperimentCmd(t, filepath.Join(dir, "data"), "run", filepath.Join(dir, "e.yaml"), "-json", jsonPath)
	if r.code != 0 || !strings.Contains(r.stdout, "3/3 done · 0 failed") {
		t.Fatalf("exit %d %v\n%s", r.code, r.err, r.stdout)
	}
	if js := readReport[jsonReport](t, jsonPath, json.Unmarshal); js.Total != 3 || js.Passed != 3 {
		t.Errorf("json %+v", js)
	}
}
