package handlers

import (
	"bytes"
	"math/big"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/experiment"
	"github.com/playground-dev/playground/web/sim"
	"github.com/playground-dev/playground/web/tokens"
	"go.yaml.in/yaml/v3"
)

// experimentApp is an app on a zero-delay simulator, with the experiment
// page's confirmation threshold set (nil: the default).
func experimentApp(t *testing.T, confirm map[string]*big.Rat) *testApp {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	simSrv := httptest.NewServer(sim.New(sim.Config{ZeroDelay: true}, sim.ModelsFromCatalog(cat), &tokens.Counter{}))
	t.Cleanup(simSrv.Close)
	return newTestAppWith(t, map[string]string{"PLAYGROUND_SIM_URL": simSrv.URL}, func(d *Deps) { d.ExperimentConfirm = confirm })
}

// importFile posts an experiment file as the page's import form does.
func importFile(t *testing.T, app *testApp, name string, data []byte) (*http.Response, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	w.Close()
	req := httptest.NewRequest("POST", "/experiment/import", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("HX-Request", "true")
	return do(t, app, req)
}

// setupOf is the page's setup as the import left it, as a posted form.
func setupOf(t *testing.T, page string) url.Values {
	t.Helper()
	area := func(name string) string {
		m := regexp.MustCompile(`(?s)<textarea name="` + name + `"[^>]*>(.*?)</textarea>`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no %s box on the page", name)
		}
		return htmlUnescape(m[1])
	}
	name := regexp.MustCompile(`name="name" value="([^"]*)"`).FindStringSubmatch(page)
	if name == nil {
		t.Fatal("no name box on the page")
	}
	return url.Values{"name": {htmlUnescape(name[1])}, "cases": {area("cases")}, "checks": {area("checks")}, "repeats": {"2"}}
}

var htmlUnescape = strings.NewReplacer("&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&amp;", "&").Replace

var gridIDRE = regexp.MustCompile(`hx-get="/experiment/([^/"]+)/grid`)

func TestExperimentPageImportExportRun(t *testing.T) {
	app := experimentApp(t, nil)
	data, err := os.ReadFile("../docs/examples/experiment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// A bad file changes nothing and says where it is wrong.
	resp, page := importFile(t, app, "bad.yaml", []byte("provider: sim\nmodel: nope\nrequest: {}\n"))
	if resp.StatusCode != 200 || !strings.Contains(page, "bad.yaml:2: model") {
		t.Fatalf("bad import: %d %s", resp.StatusCode, page)
	}
	_, page = importFile(t, app, "experiment.yaml", data)
	for _, want := range []string{"30 runs", "5 cases × 3 panes × 2 repeats", "temperature=1.4", "Nairobi", "finish-reason"} {
		if !strings.Contains(page, want) {
			t.Fatalf("the imported page lacks %q", want)
		}
	}
	// The export is the same experiment.
	resp, exported := do(t, app, httptest.NewRequest("GET", "/experiment/export.yaml", nil))
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "experiment.yaml") {
		t.Fatalf("export: %d %v", resp.StatusCode, resp.Header)
	}
	f, err := experiment.ParseFile("export.yaml", []byte(exported))
	if err != nil || len(f.Panes) != 3 || f.Repeats != 2 || len(f.Cases.Rows) != 5 || len(f.Checks) != 4 {
		t.Fatalf("the export: %v\n%s", err, exported)
	}
	// The same experiment as a promptfoo config: a prompt, a provider per
	// pane, a test per case.
	resp, pf := do(t, app, httptest.NewRequest("GET", "/experiment/export.promptfoo.yaml", nil))
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "promptfooconfig.yaml") {
		t.Fatalf("promptfoo export: %d %v %s", resp.StatusCode, resp.Header, pf)
	}
	var cfg struct {
		Prompts   []any `yaml:"prompts"`
		Providers []any `yaml:"providers"`
		Tests     []any `yaml:"tests"`
	}
	if err := yaml.Unmarshal([]byte(pf), &cfg); err != nil || len(cfg.Prompts) != 1 || len(cfg.Providers) != 3 || len(cfg.Tests) != 5 {
		t.Fatalf("the promptfoo export: %v\n%s", err, pf)
	}
	// The case table in each format.
	for format, want := range map[string]string{"csv": "city\r\nParis\r\n", "tsv": "city\nParis\n", "jsonl": `{"city":"Paris"}`} {
		resp, body := do(t, app, httptest.NewRequest("GET", "/experiment/cases."+format, nil))
		if resp.StatusCode != 200 || !strings.HasPrefix(body, want) {
			t.Errorf("cases.%s: %d %q", format, resp.StatusCode, body)
		}
	}
	if resp, _ := do(t, app, httptest.NewRequest("GET", "/experiment/cases.xls", nil)); resp.StatusCode != 404 {
		t.Errorf("cases.xls: %d", resp.StatusCode)
	}

	// A bad field is named beside it, and nothing starts.
	form := setupOf(t, page)
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("repeats", "0")
	resp, body := do(t, app, post("/experiment/run", bad))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="error-repeats"`) || !strings.Contains(body, "1 to 10") {
		t.Fatalf("bad repeats: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, app, post("/experiment/preview", bad))
	if !strings.Contains(body, `hx-swap-oob="outerHTML"`) || !strings.Contains(body, "1 to 10") {
		t.Fatalf("preview: %d %s", resp.StatusCode, body)
	}

	// It runs: the grid polls itself until every cell has ended.
	_, body = do(t, app, post("/experiment/run", form))
	m := gridIDRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no live grid: %s", body)
	}
	id := m[1]
	deadline := time.Now().Add(60 * time.Second)
	for strings.Contains(body, `data-running="true"`) {
		if time.Now().After(deadline) {
			t.Fatal("the experiment did not end")
		}
		time.Sleep(50 * time.Millisecond)
		_, body = do(t, app, httptest.NewRequest("GET", "/experiment/"+id+"/grid", nil))
	}
	if !strings.Contains(body, "30 of 30 done") || strings.Count(body, `data-testid="experiment-cell"`) != 30 {
		t.Fatalf("the ended grid: %s", body)
	}
	// Another session cannot see it.
	other := app.newSession(t)
	if resp, _ := do(t, other, httptest.NewRequest("GET", "/experiment/"+id+"/grid", nil)); resp.StatusCode != 404 {
		t.Errorf("another session's grid: %d", resp.StatusCode)
	}
	// The history keeps it, with its runs.
	_, hist := do(t, app, httptest.NewRequest("GET", "/history", nil))
	if !strings.Contains(hist, `href="/history/experiments/`+id+`"`) || !strings.Contains(hist, "Answers about a city") {
		t.Fatalf("the history does not list the experiment")
	}
	resp, rec := do(t, app, httptest.NewRequest("GET", "/history/experiments/"+id, nil))
	if resp.StatusCode != 200 || strings.Count(rec, `data-testid="experiment-cell"`) != 30 || strings.Contains(rec, "cell-retry") {
		t.Fatalf("the kept experiment: %d", resp.StatusCode)
	}
	if resp, _ := do(t, other, httptest.NewRequest("GET", "/history/experiments/"+id, nil)); resp.StatusCode != 404 {
		t.Errorf("another session's kept experiment: %d", resp.StatusCode)
	}
	resp, file := do(t, app, httptest.NewRequest("GET", "/history/experiments/"+id+"/export.yaml", nil))
	if resp.StatusCode != 200 || file != exported {
		t.Errorf("the kept file differs from the export")
	}
}

func TestExperimentConfirmsAboveTheThreshold(t *testing.T) {
	// A threshold of zero: any priced experiment asks.
	app := experimentApp(t, map[string]*big.Rat{"USD": new(big.Rat)})
	data, _ := os.ReadFile("../docs/examples/experiment.yaml")
	_, page := importFile(t, app, "experiment.yaml", data)
	form := setupOf(t, page)
	_, body := do(t, app, post("/experiment/run", form))
	if !strings.Contains(body, `data-testid="experiment-confirm"`) || gridIDRE.MatchString(body) || !strings.Contains(body, "may cost up to") {
		t.Fatalf("no question before a costly experiment: %s", body)
	}
	_, body = do(t, app, post("/experiment/run?confirm=1", form))
	m := gridIDRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("confirmed, it did not start: %s", body)
	}
	// A second one while it runs is refused; Stop ends every cell.
	resp, _ := do(t, app, post("/experiment/run?confirm=1", form))
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("a second experiment at once: %d", resp.StatusCode)
	}
	_, body = do(t, app, post("/experiment/"+m[1]+"/stop", nil))
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(body, `data-running="false"`) {
		if time.Now().After(deadline) {
			t.Fatal("the experiment did not stop")
		}
		time.Sleep(20 * time.Millisecond)
		_, body = do(t, app, httptest.NewRequest("GET", "/experiment/"+m[1]+"/grid", nil))
	}
	if !strings.Contains(body, "stopped") {
		t.Errorf("the stopped grid does not say so")
	}
	// The history's list says how it ended.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, list := get(t, app, "/history")
		if strings.Contains(list, `data-testid="experiment-record-summary"`) {
			if !strings.Contains(list, "FAILED") && !strings.Contains(list, "passed") && !strings.Contains(list, "Stopped") {
				t.Errorf("the list's summary: %s", between(list, `data-testid="experiment-record-summary">`, "<"))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the history lists the experiment without its outcome")
		}
	}
	// No cell waits for good: those never started say "not run", and the
	// verdict says how many.
	if strings.Contains(body, `data-state="waiting"`) {
		t.Errorf("a stopped grid with cells still waiting")
	}
	if strings.Contains(body, `data-state="skipped"`) != strings.Contains(body, "did not run.") || (strings.Contains(body, `data-state="skipped"`) && !strings.Contains(body, "not run")) {
		t.Errorf("the cells not run and the verdict disagree")
	}
}

func TestExperimentThresholds(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		bad  bool
	}{
		{"USD=1,CNY=7.2", "CNY=36/5 USD=1", false},
		{" usd = 0.5 ", "USD=1/2", false},
		{"", "", false},
		{"USD", "", true},
		{"USD=-1", "", true},
		{"=1", "", true},
		{"USD=lots", "", true},
	} {
		got, err := experiment.ParseThresholds(tc.in)
		if (err != nil) != tc.bad {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		var parts []string
		for _, k := range []string{"CNY", "USD"} {
			if r, ok := got[k]; ok {
				parts = append(parts, k+"="+r.RatString())
			}
		}
		if s := strings.Join(parts, " "); !tc.bad && s != tc.want {
			t.Errorf("%q: %s, want %s", tc.in, s, tc.want)
		}
	}
}
