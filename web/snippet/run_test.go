package snippet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/snippet"
	"github.com/playground-dev/playground/web/upstream"
)

// testKey is the key the runs get, through the request's KeyEnv only.
const testKey = "sk-snippet-'\"$`\\key"

// arrival is what the capture server received.
type arrival struct {
	body   []byte
	header http.Header
	path   string
	query  string
}

// capture is a local server that records each request by its first two
// path segments (/case/lang) and answers, by the rest of the path's API
// style and the request's Accept, a small event stream or a JSON answer.
type capture struct {
	srv *httptest.Server
	mu  sync.Mutex
	got map[string]arrival
	// gates hold a stream back after its first event, by /case/lang,
	// until the client has printed it (or a while has passed).
	gates map[string]chan struct{}
}

// gateWait is how long a stream waits for its first event to be printed.
const gateWait = 20 * time.Second

// gate makes key's stream wait after its first event until the returned
// channel is closed.
func (c *capture) gate(key string) chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan struct{})
	c.gates[key] = ch
	return ch
}

func newCapture(t *testing.T) *capture {
	c := &capture{got: map[string]arrival{}, gates: map[string]chan struct{}{}}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		segs := strings.SplitN(r.URL.Path, "/", 4) // "", case, lang, rest
		if len(segs) < 4 {
			http.Error(w, "no case", 400)
			return
		}
		c.mu.Lock()
		c.got[segs[1]+"/"+segs[2]] = arrival{body: b, header: r.Header.Clone(), path: "/" + segs[3], query: r.URL.RawQuery}
		gate := c.gates[segs[1]+"/"+segs[2]]
		c.mu.Unlock()
		style := catalog.Chat
		switch {
		case strings.HasSuffix(r.URL.Path, "/responses"):
			style = catalog.Responses
		case strings.HasSuffix(r.URL.Path, "/completions") && !strings.HasSuffix(r.URL.Path, "/chat/completions"):
			style = catalog.Completions
		}
		if r.Header.Get("Accept") == "text/event-stream" || bytes.Contains(b, []byte(`"stream": true`)) || bytes.Contains(b, []byte(`"stream":true`)) {
			w.Header().Set("Content-Type", "text/event-stream")
			for i, e := range streamOf(style) {
				fmt.Fprint(w, e)
				w.(http.Flusher).Flush()
				if gate != nil && strings.Contains(e, deltas[0]) && i < 2 {
					select {
					case <-gate:
					case <-time.After(gateWait):
					}
				}
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(answerOf[style]))
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *capture) arrived(key string) (arrival, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.got[key]
	return a, ok
}

// The answer the capture server sends, in pieces for the streams.
var deltas = []string{"Hel", "lo, \"wörld\" ", "🙂 \\ $HOME", "\nbye"}

const answerText = "Hello, \"wörld\" 🙂 \\ $HOME\nbye"

var answerOf = map[catalog.Style]string{
	catalog.Chat:        `{"id":"c1","choices":[{"index":0,"message":{"role":"assistant","content":"Hello, \"wörld\" 🙂 \\ $HOME\nbye"}}]}`,
	catalog.Completions: `{"id":"c1","choices":[{"index":0,"text":"Hello, \"wörld\" 🙂 \\ $HOME\nbye"}]}`,
	catalog.Responses:   `{"id":"r1","output":[{"type":"reasoning","summary":[]},{"type":"message","content":[{"type":"output_text","text":"Hello, \"wörld\" 🙂 \\ $HOME\nbye"}]}]}`,
}

func streamOf(style catalog.Style) []string {
	var out []string
	q := func(s string) string { return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) }
	if style == catalog.Responses {
		out = append(out, "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"r1\"}}\n\n")
	}
	for _, d := range deltas {
		switch style {
		case catalog.Chat:
			out = append(out, `data: {"choices":[{"index":0,"delta":{"content":"`+q(d)+`"}}]}`+"\n\n")
		case catalog.Completions:
			out = append(out, `data: {"choices":[{"index":0,"text":"`+q(d)+`"}]}`+"\n\n")
		case catalog.Responses:
			out = append(out, "event: response.output_text.delta\n"+`data: {"type":"response.output_text.delta","delta":"`+q(d)+`"}`+"\n\n")
		}
	}
	switch style {
	case catalog.Chat:
		out = append(out, `data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\n", "data: [DONE]\n\n")
	case catalog.Completions:
		out = append(out, `data: {"choices":[{"index":0,"text":"","finish_reason":"stop"}]}`+"\n\n", "data: [DONE]\n\n")
	case catalog.Responses:
		out = append(out, "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"r1\",\"output_text\":\"not printed\"}}\n\n")
	}
	return out
}

// tool is one program a snippet runs with, and where to get it.
type tool struct {
	lang, bin, install string
	check              []string // arguments that fail when the tool is unusable
}

var tools = []tool{
	{"curl", "curl", "apt-get install -y curl", []string{"--version"}},
	{"httpie", "http", "apt-get install -y httpie", []string{"--version"}},
	{"python", "python3", "apt-get install -y python3 python3-requests", []string{"-c", "import requests"}},
	{"python-httpx", httpxPython, "apt-get install -y python3-httpx", []string{"-c", "import httpx"}},
	{"js", "node", "install Node.js 18 or later (apt-get install -y nodejs)", []string{"-e", "if (typeof fetch !== 'function') process.exit(1)"}},
	{"go", "go", "install Go (https://go.dev/dl)", []string{"version"}},
}

// httpxPython is the first python3 that has httpx: the one on PATH (a
// pyenv's may not), else Debian's, which python3-httpx installs into;
// the one on PATH when none has it (needTools then fails).
var httpxPython = func() string {
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(py, "-c", "import httpx").Run() == nil {
			return py
		}
	}
	return "python3"
}()

// needTools fails (never skips) when a program the snippets run with is
// missing, saying what to install.
func needTools(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatal("bash is required for the shell snippets (apt-get install -y bash)")
	}
	for _, tl := range tools {
		if out, err := exec.Command(tl.bin, tl.check...).CombinedOutput(); err != nil {
			t.Fatalf("the %s snippets run with %s, which is missing or unusable (%v %s): %s", tl.lang, tl.bin, err, bytes.TrimSpace(out), tl.install)
		}
	}
}

// command is how snippet s, saved as file, is run; goBin is the program
// holding the Go snippets, which runs case id's.
func command(ctx context.Context, s snippet.Snippet, file, goBin, id string) *exec.Cmd {
	switch s.Lang {
	case "curl", "httpie":
		return exec.CommandContext(ctx, "bash", file)
	case "python":
		return exec.CommandContext(ctx, "python3", file)
	case "python-httpx":
		return exec.CommandContext(ctx, httpxPython, file)
	case "js":
		return exec.CommandContext(ctx, "node", file)
	default:
		return exec.CommandContext(ctx, goBin, id)
	}
}

// TestSnippetsSendWhatThePlaygroundSends runs every snippet of every case
// with its real tool against the capture server, with only the key's
// variable (and the variables the request names) set, and compares what
// arrived with what upstream.NewHTTPRequest sends: the body byte for byte,
// the path, every header the playground sets, and nothing more than the
// snippet's AlsoSends. The programs must print the answer's text.
func TestSnippetsSendWhatThePlaygroundSends(t *testing.T) {
	needTools(t)
	cap := newCapture(t)
	ps := prepareCases(t)
	dir := t.TempDir()

	// Write every snippet. The Go ones are linked into one program (a
	// link per snippet would take minutes on two cores): each becomes
	// package cN with main renamed Main, and the program's main runs the
	// one its argument names. goRunOne proves a snippet runs as written.
	mod := filepath.Join(dir, "gomod")
	must(t, os.MkdirAll(mod, 0o755))
	must(t, os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module snippets\n\ngo 1.22\n"), 0o644))
	var imports, dispatch strings.Builder
	for _, p := range ps {
		for _, l := range rawLangs() {
			r, _ := cap.aim(p, l.Lang)
			s, _ := snippet.Render(l.Lang, r)
			d := filepath.Join(dir, p.id, l.Lang)
			must(t, os.MkdirAll(d, 0o755))
			must(t, os.WriteFile(filepath.Join(d, s.File), []byte(s.Code), 0o644))
			if l.Lang != "go" {
				continue
			}
			linkGo(t, mod, "snippets", p, s, &imports, &dispatch)
		}
	}
	must(t, os.WriteFile(filepath.Join(mod, "main.go"), []byte("package main\n\nimport (\n\t\"os\"\n"+imports.String()+
		")\n\nfunc main() {\n\tswitch os.Args[1] {\n"+dispatch.String()+"\t}\n}\n"), 0o644))
	goBin := filepath.Join(dir, "gosnippets")
	build := exec.Command("go", "build", "-o", goBin, ".")
	build.Dir = mod
	build.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build of the Go snippets: %v\n%s", err, out)
	}

	for _, p := range ps {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			sent := cap.sendAsPlayground(t, p)
			for _, l := range rawLangs() {
				r, base := cap.aim(p, l.Lang)
				s, _ := snippet.Render(l.Lang, r)
				if strings.Contains(s.Code, "sk-snippet") || strings.Contains(s.Code, "value-9") {
					t.Errorf("%s: the code holds the key or a secret:\n%s", l.Lang, s.Code)
				}
				env := snippetEnv(p, r, base)
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				d := filepath.Join(dir, p.id, l.Lang)
				cmd := command(ctx, s, filepath.Join(d, s.File), goBin, p.id)
				cmd.Dir, cmd.Env = d, env
				var stdout watch
				var stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if r.Stream {
					stdout.want, stdout.seen = deltas[0], cap.gate(p.id+"/"+l.Lang)
				}
				start := time.Now()
				err := cmd.Run()
				if r.Stream && time.Since(start) > gateWait {
					t.Errorf("%s did not print the stream's first event before the rest came (it waited %s)", l.Lang, gateWait)
				}
				cancel()
				if err != nil {
					t.Errorf("%s failed: %v\n%s\n%s\ncode:\n%s", l.Lang, err, stderr.Bytes(), stdout.Bytes(), s.Code)
					continue
				}
				got, ok := cap.arrived(p.id + "/" + l.Lang)
				if !ok {
					t.Errorf("%s: nothing arrived", l.Lang)
					continue
				}
				compare(t, l.Lang, r, s, got, sent)
				checkOutput(t, l.Lang, r, stdout.String())
			}
		})
	}
}

// linkGo adds Go snippet s of case p to the program in mod, whose module
// path is modPath: its package main as package p.id with main renamed
// Main, and the import and the case of the program's switch that run it.
func linkGo(t *testing.T, mod, modPath string, p prepared, s snippet.Snippet, imports, dispatch *strings.Builder) {
	t.Helper()
	code, ok := strings.CutPrefix(s.Code[strings.Index(s.Code, "package main\n"):], "package main\n")
	if !ok || strings.Count(code, "\nfunc main() {\n") != 1 {
		t.Fatalf("%s: not a package main with one func main:\n%s", p.name, s.Code)
	}
	code = "package " + p.id + "\n" + strings.Replace(code, "\nfunc main() {\n", "\nfunc Main() {\n", 1)
	must(t, os.MkdirAll(filepath.Join(mod, p.id), 0o755))
	must(t, os.WriteFile(filepath.Join(mod, p.id, s.File), []byte(code), 0o644))
	fmt.Fprintf(imports, "\t%q\n", modPath+"/"+p.id)
	fmt.Fprintf(dispatch, "\tcase %q:\n\t\t%s.Main()\n", p.id, p.id)
}

// prepared is a case with its id, the first segment of the paths it is
// sent to.
type prepared struct {
	testCase
	id string
}

// prepareCases are every default-catalog model's cases and the hostile
// ones, each with its id.
func prepareCases(t *testing.T) []prepared {
	var ps []prepared
	for i, tc := range append(modelCases(t), hostileCases()...) {
		ps = append(ps, prepared{testCase: tc, id: fmt.Sprintf("c%03d", i)})
	}
	return ps
}

// aim is p's request aimed at the capture server under /ID/WHO, and the
// base URL it then has.
func (c *capture) aim(p prepared, who string) (*request.Request, string) {
	base := c.srv.URL + "/" + p.id + "/" + who
	if p.r.BaseURL == "" {
		return p.r, base
	}
	path := p.r.BaseURL
	if i := strings.Index(path, "://"); i >= 0 {
		path = path[i+3:]
		path = path[strings.IndexByte(path+"/", '/'):]
	}
	return p.r.WithBaseURL(base + path), base + path
}

// sendAsPlayground sends p as the playground does (upstream.NewHTTPRequest),
// under /ID/sender, and returns what arrived.
func (c *capture) sendAsPlayground(t *testing.T, p prepared) arrival {
	t.Helper()
	r, base := c.aim(p, "sender")
	hr, err := upstream.NewHTTPRequest(context.Background(), r, base, testKey)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	sent, ok := c.arrived(p.id + "/sender")
	if !ok {
		t.Fatal("the sender's request did not arrive")
	}
	return sent
}

// snippetEnv is the environment a snippet of r runs with: only the key's
// variable, the base URL's when unconfigured, and those p's secret
// headers read.
func snippetEnv(p prepared, r *request.Request, base string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), r.KeyEnv + "=" + testKey}
	if r.BaseURL == "" {
		env = append(env, r.BaseURLEnv+"="+base)
	}
	for k, v := range p.env {
		env = append(env, k+"="+v)
	}
	return env
}

// rawLangs are the languages that send the playground's bytes (not an SDK).
func rawLangs() []snippet.Info {
	var out []snippet.Info
	for _, l := range snippet.Langs() {
		if !l.SDK {
			out = append(out, l)
		}
	}
	return out
}

// sdkLangs are the languages that send an equal request through an SDK.
func sdkLangs() []snippet.Info {
	var out []snippet.Info
	for _, l := range snippet.Langs() {
		if l.SDK {
			out = append(out, l)
		}
	}
	return out
}

// compareEqual checks what an SDK snippet sent against what the sender
// sent: the same JSON value (numbers compared as written), the same path,
// every header the playground sets (apart from those the SDK sets its own
// way, listed in own), and beyond them only the snippet's AlsoSends.
func compareEqual(t *testing.T, lang string, r *request.Request, s snippet.Snippet, got, sent arrival) {
	t.Helper()
	var a, b any
	da, db := json.NewDecoder(bytes.NewReader(got.body)), json.NewDecoder(bytes.NewReader(sent.body))
	da.UseNumber()
	db.UseNumber()
	if err := da.Decode(&a); err != nil {
		t.Errorf("%s: the body is not JSON: %v\n%s", lang, err, got.body)
		return
	}
	if err := db.Decode(&b); err != nil {
		t.Fatalf("the sender's body is not JSON: %v", err)
	}
	if !reflect.DeepEqual(normalNumbers(a), normalNumbers(b)) {
		t.Errorf("%s: body is not the same JSON value\nsnippet: %s\nsender:  %s", lang, got.body, sent.body)
	}
	if got.path != sent.path || got.query != sent.query {
		t.Errorf("%s: path %q?%s, the sender's %q?%s", lang, got.path, got.query, sent.path, sent.query)
	}
	compareHeaders(t, lang, r, s, got, sent)
}

// normalNumbers replaces each json.Number in v by its value as a float64
// and its text when that does not fit (so 1 and 1.0 are equal, as they are
// to every JSON reader, but a long integer is compared exactly).
func normalNumbers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = normalNumbers(e)
		}
	case []any:
		for i, e := range v {
			v[i] = normalNumbers(e)
		}
	case json.Number:
		if f, err := v.Float64(); err == nil && math.Abs(f) < 1<<53 {
			return f
		}
		return v.String()
	}
	return v
}

// compare checks what a snippet sent against what the sender sent.
func compare(t *testing.T, lang string, r *request.Request, s snippet.Snippet, got, sent arrival) {
	t.Helper()
	if !bytes.Equal(got.body, sent.body) || !bytes.Equal(sent.body, r.Body) {
		t.Errorf("%s: body differs\nsnippet: %q\nsender:  %q", lang, got.body, sent.body)
	}
	if got.path != sent.path || got.query != sent.query {
		t.Errorf("%s: path %q?%s, the sender's %q?%s", lang, got.path, got.query, sent.path, sent.query)
	}
	compareHeaders(t, lang, r, s, got, sent)
}

// compareHeaders checks a snippet sent every header the playground sets,
// as it sets them, and beyond them only its AlsoSends.
func compareHeaders(t *testing.T, lang string, r *request.Request, s snippet.Snippet, got, sent arrival) {
	t.Helper()
	own := map[string]bool{"Host": true, "Content-Length": true}
	if r.KeyEnv != "" {
		own["Authorization"] = true
	}
	for _, h := range r.Header {
		own[http.CanonicalHeaderKey(h.Name)] = true
	}
	for name := range own {
		if name == "Content-Length" && s.SDK {
			// An equal request, not the same bytes: its own length.
			if cl := got.header.Get(name); cl != "" && cl != strconv.Itoa(len(got.body)) {
				t.Errorf("%s: Content-Length %s for a body of %d bytes", lang, cl, len(got.body))
			}
			continue
		}
		if !slices.Equal(got.header.Values(name), sent.header.Values(name)) {
			t.Errorf("%s: %s: the snippet sent %q, the sender %q", lang, name, got.header.Values(name), sent.header.Values(name))
		}
	}
	var extra []string
	for name := range got.header {
		if !own[name] {
			extra = append(extra, name)
		}
	}
	slices.Sort(extra)
	if !slices.Equal(extra, s.AlsoSends) {
		t.Errorf("%s: the client added %q, AlsoSends lists %q", lang, extra, s.AlsoSends)
	}
}

// checkOutput checks a snippet printed the answer: the shell scripts the
// response as it came, the programs its text.
func checkOutput(t *testing.T, lang string, r *request.Request, out string) {
	t.Helper()
	switch lang {
	case "curl", "httpie":
		want := answerOf[r.Style]
		if r.Stream {
			want = strings.Join(streamOf(r.Style), "")
		}
		if !strings.Contains(strings.ReplaceAll(out, "\r\n", "\n"), strings.TrimSpace(want)) {
			t.Errorf("%s printed %q, want the response %q", lang, out, want)
		}
	default:
		if out != answerText+"\n" {
			t.Errorf("%s printed %q, want %q", lang, out, answerText+"\n")
		}
	}
}

// watch is a program's output; it closes seen once want shows in it,
// which lets the capture server send the rest of its stream.
type watch struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
}

func (w *watch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.seen != nil && strings.Contains(w.buf.String(), w.want) {
		close(w.seen)
		w.seen = nil
	}
	return len(p), nil
}

func (w *watch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func (w *watch) Bytes() []byte { return []byte(w.String()) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
