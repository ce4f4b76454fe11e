package main

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/snippet"
)

// The keys of the hygiene test: each must reach the upstream and nothing
// else.
const (
	operatorKey = "sk-operator-HYGIENE-0000aaaa"
	sessionKey  = "sk-session-HYGIENE-1111bbbb"
	houseKey    = "sk-house-HYGIENE-2222cccc"
	wrongKey    = "sk-wrong-HYGIENE-3333dddd"
	promptMark  = "PROMPT-MARKER-otters-and-kelp"
)

// echoUpstream is a provider that echoes what it was sent, the key
// included, in every way providers have been seen to: in error bodies, in
// a mid-stream error event, in its model list, in response headers, cut
// across two deltas (text, reasoning, tool arguments), JSON-escaped and
// URL-encoded.
func echoUpstream(tb testing.TB) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		mu.Lock()
		seen = append(seen, auth)
		mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/v1/models" {
			if auth == "Bearer "+wrongKey {
				w.WriteHeader(401)
				fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s"}}`, wrongKey)
				return
			}
			fmt.Fprintf(w, `{"data":[{"id":"gpt-4o-mini"},{"id":"echo-%s"}]}`, strings.TrimPrefix(auth, "Bearer "))
			return
		}
		var req struct {
			Model string `json:"model"`
		}
		json.Unmarshal(body, &req)
		echo, _ := json.Marshal(fmt.Sprintf("Invalid request with %s: %s", auth, body))
		switch req.Model {
		case "fail":
			w.WriteHeader(401)
			fmt.Fprintf(w, `{"error":{"message":%s,"type":"invalid_request_error","code":"invalid_api_key","param":%q}}`, echo, auth)
		default:
			key := strings.TrimPrefix(auth, "Bearer ")
			w.Header().Set("Content-Type", "text/event-stream")
			w.Header().Set("X-Debug-Key", key)
			w.Header().Set("X-Echo-Authorization", auth)
			w.Header().Set("X-Echo-Escaped", strings.ReplaceAll(key, "-", `\u002d`))
			half := len(key) / 2
			q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
			delta := func(d string) {
				fmt.Fprintf(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":%s,\"finish_reason\":null}]}\n\n", d)
				w.(http.Flusher).Flush()
				time.Sleep(20 * time.Millisecond) // each piece its own flush
			}
			delta(`{"reasoning_content":` + q("r:"+key[:half]) + `}`)
			delta(`{"reasoning_content":` + q(key[half:]+" thought") + `}`)
			delta(`{"content":` + q("split "+key[:half]) + `}`)
			delta(`{"content":` + q(key[half:]+" then ") + `}`)
			delta(`{"content":"escaped ` + strings.ReplaceAll(key, "-", `\u002d`) + ` and ` + strings.ReplaceAll(key, "-", "%2D") + ` "}`)
			delta(`{"tool_calls":[{"index":1,"id":"call_2","type":"function","function":{"name":"split","arguments":` + q(`{"k":"`+key[:half]) + `}}]}`)
			delta(`{"tool_calls":[{"index":1,"function":{"arguments":` + q(key[half:]+`"}`) + `}}]}`)
			fmt.Fprintf(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hello, you sent %s. \"},\"finish_reason\":null}]}\n\n", auth)
			fmt.Fprintf(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"echo\",\"arguments\":\"{\\\"auth\\\":\\\"%s\\\"}\"}}]},\"finish_reason\":null}]}\n\n", auth)
			fmt.Fprintf(w, "data: {\"error\":{\"message\":%s,\"code\":%q}}\n\n", echo, auth)
		}
	}))
	tb.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// browserClient is a cookie-keeping HTTP client that records every
// response (headers and body) it receives.
type browserClient struct {
	tb   testing.TB
	base string
	c    *http.Client
	csrf string
	seen strings.Builder
}

var csrfTokenRE = regexp.MustCompile(`X-CSRF-Token&#34;:&#34;([0-9a-f]{64})`)

func newBrowserClient(tb testing.TB, base string) *browserClient {
	jar, _ := cookiejar.New(nil)
	bc := &browserClient{tb: tb, base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	page := bc.get("/")
	m := csrfTokenRE.FindStringSubmatch(page)
	if m == nil {
		tb.Fatal("no CSRF token on the page")
	}
	bc.csrf = m[1]
	return bc
}

func (bc *browserClient) record(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for k, v := range resp.Header {
		fmt.Fprintf(&bc.seen, "%s: %s\n", k, strings.Join(v, ", "))
	}
	bc.seen.Write(b)
	return string(b)
}

func (bc *browserClient) get(path string) string {
	bc.tb.Helper()
	resp, err := bc.c.Get(bc.base + path)
	if err != nil {
		bc.tb.Fatal(err)
	}
	return bc.record(resp)
}

// post sends a form the way the page does: htmx with the token header, or
// a plain form with the hidden field.
func (bc *browserClient) post(path string, v url.Values, htmx bool) (int, string) {
	bc.tb.Helper()
	if !htmx {
		v.Set("_csrf", bc.csrf)
	}
	req, _ := http.NewRequest("POST", bc.base+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if htmx {
		req.Header.Set("HX-Request", "true")
		req.Header.Set("X-CSRF-Token", bc.csrf)
	}
	resp, err := bc.c.Do(req)
	if err != nil {
		bc.tb.Fatal(err)
	}
	return resp.StatusCode, bc.record(resp)
}

var runRE = regexp.MustCompile(`id="run-([0-9a-f]{32})"`)

// runAndFollow starts a run, follows its events to the end and opens its
// inspector and transcript.
func (bc *browserClient) runAndFollow(form url.Values) string {
	bc.tb.Helper()
	_, panel := bc.post("/runs", form, true)
	m := runRE.FindStringSubmatch(panel)
	if m == nil {
		bc.tb.Fatalf("no run: %s", panel)
	}
	events := bc.get("/runs/" + m[1] + "/events")
	bc.get("/runs/" + m[1] + "/inspector")
	bc.get("/runs/" + m[1] + "/transcript.sse")
	return events
}

// TestKeyHygiene runs whole flows with known keys and checks that no key
// appears in any response, event, log line or file in the data directory,
// and that prompts stay out of the log unless prompt logging is on.
func TestKeyHygiene(t *testing.T) {
	for _, logPrompts := range []bool{false, true} {
		t.Run(fmt.Sprintf("log-prompts=%v", logPrompts), func(t *testing.T) {
			up, seen := echoUpstream(t)
			args := []string{"--log-level", "debug", "--allow-private-upstreams"}
			if logPrompts {
				args = append(args, "--log-prompts")
			}
			srv := startTestServer(t, map[string]string{"OPENAI_API_KEY": operatorKey, "OPENAI_BASE_URL": up.URL + "/v1"}, args...)
			bc := newBrowserClient(t, srv.URL)
			chat := func(provider, model string) url.Values {
				return url.Values{"_provider": {provider}, "_model": {model}, "messages.role": {"user"},
					"messages.content": {"Tell me about " + promptMark}, "stream": {"true"}}
			}

			// The operator's key, with errors that echo the request.
			ev := bc.runAndFollow(chat("openai", "gpt-4o-mini"))
			if !strings.Contains(ev, "Hello, ") || !strings.Contains(ev, "[redacted]") {
				t.Errorf("operator run events: %.500s", ev)
			}
			// The session's key, set in Settings.
			if st, body := bc.post("/settings/keys/openai", url.Values{"key": {sessionKey}}, false); st != 200 || !strings.Contains(body, "••••bbbb") {
				t.Fatalf("set key: %d", st)
			}
			bc.get("/settings")
			bc.post("/draft/preview", chat("openai", "gpt-4o-mini"), true)
			bc.post("/draft/switch", url.Values{"provider": {"openai"}, "model": {"gpt-5-mini"}, "_provider": {"openai"}, "_model": {"gpt-4o-mini"}}, true)
			bc.runAndFollow(chat("openai", "gpt-4o-mini"))
			failed := bc.runAndFollow(url.Values{"_provider": {"openai"}, "_model": {"fail"}, "messages.role": {"user"}, "messages.content": {promptMark}})
			_ = failed
			// A provider of the session's own, with its key.
			if st, body := bc.post("/settings/providers", url.Values{"name": {"House"}, "base_url": {up.URL + "/v1"}, "key": {houseKey}, "styles": {"chat"}}, false); st != 200 || !strings.Contains(body, "Added House") {
				t.Fatalf("add provider: %d %.300s", st, body)
			}
			settings := bc.get("/settings")
			house := regexp.MustCompile(`data-testid="my-provider-(my-[0-9a-f]{8})"`).FindStringSubmatch(settings)
			if house == nil {
				t.Fatal("no provider row")
			}
			// The session's draft as code, in every language, with its own
			// provider's key kept in the session.
			for _, l := range snippet.Langs() {
				bc.get("/draft/snippet/" + l.Lang + "?download=1")
			}
			// A command pasted with a key written in it: the key is
			// neither kept nor shown anywhere after.
			bc.post("/draft/import", url.Values{"_provider": {"openai"}, "_model": {"gpt-4o-mini"},
				"import": {"curl https://api.openai.com/v1/chat/completions -H 'Authorization: Bearer " + sessionKey + "' -d '{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"" + promptMark + "\"}]}'"}}, true)
			page := bc.get("/?provider=" + house[1] + "&model=gpt-4o-mini")
			if !strings.Contains(page, "$MY_HOUSE_API_KEY") {
				t.Error("the curl does not read the added provider's key from $MY_HOUSE_API_KEY")
			}
			bc.runAndFollow(chat(house[1], "gpt-4o-mini"))
			// A wrong key whose error echoes it, in Settings' model listing.
			if st, body := bc.post("/settings/keys/"+house[1], url.Values{"key": {wrongKey}}, false); st != 200 || !strings.Contains(body, "[redacted]") {
				t.Errorf("wrong key: %d %.300s", st, body)
			}
			// A comparison of the operator's provider and the session's own.
			_, runs := bc.post("/compare/run", url.Values{"messages.role": {"user"}, "messages.content": {"Compare " + promptMark},
				"pane.0.provider": {"openai"}, "pane.0.model": {"gpt-4o-mini"}, "pane.0.f.stream": {"true"},
				"pane.1.provider": {house[1]}, "pane.1.model": {"gpt-4o-mini"}, "pane.1.f.stream": {"true"}}, true)
			group := regexp.MustCompile(`data-group-events="/compare/([^/"]+)/events"`).FindStringSubmatch(runs)
			if group == nil {
				t.Fatalf("no comparison: %.500s", runs)
			}
			if ev := bc.get("/compare/" + group[1] + "/events"); strings.Count(ev, "event: done") != 2 {
				t.Errorf("comparison events: %.500s", ev)
			}
			// The comparison's panes as an experiment: its page, its exports,
			// its grid and its kept record, shared.
			bc.get("/experiment")
			_, started := bc.post("/experiment/run", url.Values{"name": {"Keys " + promptMark}, "cases": {"city\nParis\n"},
				"checks": {"- type: contains\n  values: [a]\n"}, "repeats": {"1"}}, true)
			exp := regexp.MustCompile(`hx-get="/experiment/([^/"]+)/grid`).FindStringSubmatch(started)
			if exp == nil {
				t.Fatalf("no experiment: %.800s", started)
			}
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				if grid := bc.get("/experiment/" + exp[1] + "/grid"); strings.Contains(grid, `data-running="false"`) {
					// Both panes' runs reached the upstream (which answers with
					// the key echoed in an error, redacted on the way).
					if !strings.Contains(grid, "2 of 2 done") || !strings.Contains(grid, "Bearer [redacted]") {
						t.Errorf("the experiment on both panes: %s", grid)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the experiment never ended")
				}
			}
			for _, u := range []string{"/experiment", "/experiment/export.yaml", "/experiment/export.promptfoo.yaml", "/experiment/cases.csv",
				"/history/experiments/" + exp[1], "/history/experiments/" + exp[1] + "/export.yaml"} {
				bc.get(u)
			}
			bc.post("/history/experiments/"+exp[1]+"/share", url.Values{}, false)
			if link := regexp.MustCompile(`data-testid="share-url">([^<]+)<`).FindStringSubmatch(bc.get("/history/experiments/" + exp[1])); link != nil {
				if resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(link[1]); err == nil {
					bc.record(resp)
				}
			} else {
				t.Error("no experiment share link")
			}
			// Every stored run, its exports and its share link.
			list := bc.get("/history")
			ids := regexp.MustCompile(`href="/history/runs/([0-9a-f]{32})"`).FindAllStringSubmatch(list, -1)
			if len(ids) < 6 {
				t.Errorf("the history lists %d runs, want 6", len(ids))
			}
			anon := &http.Client{Timeout: 30 * time.Second}
			for _, id := range ids {
				suffixes := []string{"", "/export.json", "/export.sh", "/transcript.sse"}
				for _, l := range snippet.Langs() {
					suffixes = append(suffixes, "/snippet/"+l.Lang)
				}
				for _, suffix := range suffixes {
					bc.get("/history/runs/" + id[1] + suffix)
				}
				bc.get("/runs/" + id[1] + "/answer/0")
				bc.post("/runs/"+id[1]+"/continue", url.Values{}, true) // the next turn's form, from the history
				bc.post("/history/runs/"+id[1]+"/share", url.Values{}, false)
				page := bc.get("/history/runs/" + id[1])
				link := regexp.MustCompile(`data-testid="share-url">([^<]+)<`).FindStringSubmatch(page)
				if link == nil {
					t.Fatal("no share link")
				}
				resp, err := anon.Get(link[1])
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Fatalf("share link: %v", err)
				}
				bc.record(resp)
			}
			bc.post("/history/comparisons/"+group[1]+"/share", url.Values{}, false)
			cmpPage := bc.get("/history/comparisons/" + group[1])
			if link := regexp.MustCompile(`data-testid="share-url">([^<]+)<`).FindStringSubmatch(cmpPage); link != nil {
				if resp, err := anon.Get(link[1]); err == nil {
					bc.record(resp)
				}
			} else {
				t.Error("no comparison share link")
			}
			if export := bc.get("/history/export.jsonl"); strings.Count(export, "\n") < len(ids) || !strings.Contains(export, promptMark) {
				t.Error("the history export lacks the runs")
			}
			bc.post("/settings/providers/"+house[1]+"/refresh", url.Values{}, false)
			bc.get("/settings")
			bc.post("/settings/keys/openai/clear", url.Values{}, false)
			bc.get("/")
			srv.Stop()

			// The keys did reach the upstream: the test is real.
			got := strings.Join(seen(), "\n")
			for _, k := range []string{operatorKey, sessionKey, houseKey, wrongKey} {
				if !strings.Contains(got, "Bearer "+k) {
					t.Errorf("the upstream never got %s", k)
				}
			}
			// And nothing else did.
			responses := bc.seen.String()
			logs := srv.Log.String()
			files := dataDirText(t, srv.DataDir)
			for _, k := range []string{operatorKey, sessionKey, houseKey, wrongKey} {
				for where, text := range map[string]string{"a response": responses, "the log": logs, "the data directory": files} {
					for _, form := range keyForms(k) {
						if strings.Contains(text, form) {
							t.Errorf("%s (as %q) is in %s", k, form, where)
						}
					}
				}
			}
			if strings.Contains(logs, "playground_session=") || strings.Contains(logs, "Cookie") {
				t.Error("the log has a cookie")
			}
			if !strings.Contains(logs, "run started") || !strings.Contains(logs, "run finished") {
				t.Errorf("the log lacks the run lines:\n%s", logs)
			}
			if inLog := strings.Contains(logs, promptMark); inLog != logPrompts {
				t.Errorf("prompt in the log: %v, want %v", inLog, logPrompts)
			}
			if !strings.Contains(files, promptMark) {
				t.Error("the saved form is not in the data directory (the test would miss a key there)")
			}
		})
	}
}

// keyForms are the spellings of a key to look for: as is, JSON-escaped,
// URL-encoded, and either half of it (a key cut across two deltas).
func keyForms(k string) []string {
	half := len(k) / 2
	return []string{k, strings.ReplaceAll(k, "-", `\u002d`), strings.ReplaceAll(k, "-", "%2D"), k[:half], k[half:]}
}

// dataDirText is the content of every file under dir.
func dataDirText(t *testing.T, dir string) string {
	var b strings.Builder
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		b.Write(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
