package curl_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/curl"
	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/upstream"
)

func ExampleRender() {
	r := &request.Request{
		Method:  "POST",
		BaseURL: "https://apimodels.app/api/v1",
		Path:    "/completions",
		Header:  []request.Header{{Name: "Content-Type", Value: "application/json"}},
		KeyEnv:  "APIMODELS_API_KEY",
		Body:    []byte("{\n  \"model\": \"gpt-5.4-pro\",\n  \"prompt\": \"It's\"\n}"),
		Stream:  true,
	}
	fmt.Println(curl.Render(r))
	// Output:
	// curl -g -N 'https://apimodels.app/api/v1/completions' \
	//   -H "Authorization: Bearer $APIMODELS_API_KEY" \
	//   -H 'Content-Type: application/json' \
	//   -d '{
	//   "model": "gpt-5.4-pro",
	//   "prompt": "It'\''s"
	// }'
}

func ExampleRender_unconfiguredBaseURL() {
	r := &request.Request{Method: "POST", BaseURLEnv: "CHATGW_BASE_URL", Path: "/chat/completions", KeyEnv: "CHATGW_API_KEY", Body: []byte(`{}`)}
	fmt.Println(curl.Render(r))
	// Output:
	// curl -g "$CHATGW_BASE_URL"'/chat/completions' \
	//   -H "Authorization: Bearer $CHATGW_API_KEY" \
	//   -d '{}'
}

func TestQuote(t *testing.T) {
	tests := map[string]string{
		"plain":         "'plain'",
		"it's":          `'it'\''s'`,
		"''":            `''\'''\'''`,
		"$HOME `id`":    "'$HOME `id`'",
		"a\nb":          "'a\nb'",
		`back\slash"q"`: `'back\slash"q"'`,
		"héllo 世界 🙂":    "'héllo 世界 🙂'",
		"":              "''",
	}
	for in, want := range tests {
		if got := curl.Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

// captured is what a test server received.
type captured struct {
	body   []byte
	header http.Header
	path   string
}

// sendAsThePlayground sends r with the playground's own sender and
// returns what the capture server received.
func sendAsThePlayground(t *testing.T, r *request.Request, key string, last func() captured) captured {
	t.Helper()
	hr, err := upstream.NewHTTPRequest(context.Background(), r, r.BaseURL, key)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return last()
}

func captureServer(t *testing.T) (*httptest.Server, func() captured) {
	t.Helper()
	var mu sync.Mutex
	var last captured
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		last = captured{body: b, header: r.Header.Clone(), path: r.URL.Path}
		mu.Unlock()
		w.Write([]byte("{}"))
	}))
	t.Cleanup(srv.Close)
	return srv, func() captured { mu.Lock(); defer mu.Unlock(); return last }
}

// TestCurlSendsTheSameBytes runs the generated command with the real curl
// binary and compares what the server received with what the playground's
// own sender sends.
func TestCurlSendsTheSameBytes(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is required for this test (apt-get install -y curl)")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is required for this test")
	}
	srv, last := captureServer(t)
	const key = "sk-test-Quote'\"$`\\key"
	bodies := map[string]string{
		"quotes":       "{\n  \"prompt\": \"It's a \\\"test\\\" with 'single' quotes\"\n}",
		"shell syntax": `{"prompt":"$HOME $(id) ` + "`id`" + ` ; rm -rf / && echo \\ \u0000"}`,
		"newlines":     "{\n  \"prompt\": \"line one\\nline two\",\n  \"stop\": [\"\\n\\n\"]\n}",
		"non-ascii":    `{"prompt":"héllo wörld — 世界 🙂 ¥180"}`,
		"empty lines":  "{\n\n  \"a\": 1\n\n}",
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			r := &request.Request{
				Method: "POST", BaseURL: srv.URL + "/v1", Path: "/chat/completions",
				Header: []request.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "Accept", Value: "text/event-stream"}},
				KeyEnv: "PLAYGROUND_TEST_KEY", Body: []byte(body), Stream: true,
			}
			sent := sendAsThePlayground(t, r, key, last)

			// The curl command, run by bash with the key in the environment.
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bash, "-c", curl.Render(r)+" --silent --show-error --max-time 10 -o /dev/null")
			cmd.Env = append(os.Environ(), "PLAYGROUND_TEST_KEY="+key)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("curl failed: %v\n%s", err, out)
			}
			got := last()
			if !bytes.Equal(got.body, sent.body) || !bytes.Equal(got.body, r.Body) {
				t.Errorf("body differs\ncurl:   %q\nsender: %q\nbuilt:  %q", got.body, sent.body, r.Body)
			}
			if got.path != sent.path {
				t.Errorf("path %q vs %q", got.path, sent.path)
			}
			for _, h := range []string{"Authorization", "Content-Type", "Accept"} {
				if got.header.Get(h) != sent.header.Get(h) {
					t.Errorf("%s: curl sent %q, sender sent %q", h, got.header.Get(h), sent.header.Get(h))
				}
			}
			if got.header.Get("Authorization") != "Bearer "+key {
				t.Errorf("Authorization = %q", got.header.Get("Authorization"))
			}
			if strings.Contains(curl.Render(r), "sk-test") {
				t.Error("the curl command contains the key")
			}
		})
	}
}

// TestCurlSendsOneRequest: a base URL with curl's glob syntax, {a,b,c}
// and [1-3], makes the pasted command send one request to that URL, not
// one per expansion (curl globs URLs unless told -g).
func TestCurlSendsOneRequest(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is required for this test")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is required for this test (apt-get install -y curl)")
	}
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	for _, base := range []string{"/v1/{a,b,c}", "/v1/[1-3]", "/{x,y}/[1-3]/v1"} {
		t.Run(base, func(t *testing.T) {
			mu.Lock()
			paths = nil
			mu.Unlock()
			r := &request.Request{Method: "POST", BaseURL: srv.URL + base, Path: "/chat/completions", KeyEnv: "PLAYGROUND_TEST_KEY", Body: []byte(`{}`)}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bash, "-c", curl.Render(r)+" --silent --show-error --max-time 10 -o /dev/null")
			cmd.Env = append(os.Environ(), "PLAYGROUND_TEST_KEY=k")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("curl failed: %v\n%s", err, out)
			}
			mu.Lock()
			defer mu.Unlock()
			if want := base + "/chat/completions"; len(paths) != 1 || paths[0] != want {
				t.Errorf("curl sent %d requests %q, want one to %s", len(paths), paths, want)
			}
		})
	}
}

// BenchmarkRender measures rendering a 4 KB request as curl.
func BenchmarkRender(b *testing.B) {
	r := &request.Request{Method: "POST", BaseURL: "https://api.example.com/v1", Path: "/chat/completions", KeyEnv: "OPENAI_API_KEY",
		Header: []request.Header{{Name: "Content-Type", Value: "application/json"}}, Stream: true,
		Body: []byte(`{"model":"m","messages":[{"role":"user","content":"` + strings.Repeat("It's a test. ", 300) + `"}]}`)}
	b.ReportAllocs()
	for b.Loop() {
		_ = curl.Render(r)
	}
}

// TestShortCutsLongStrings: the panels' command shows at most ShortString
// characters of each JSON string, says how long it was, and says the
// command was shortened; Render stays exact.
func TestShortCutsLongStrings(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	for name, tc := range map[string]struct {
		body    string
		cut     int
		contain []string
	}{
		"short":         {`{"prompt":"hi"}`, 0, nil},
		"one long":      {`{"prompt":"` + big + `"}`, 1, []string{"… (1,048,576 characters)\"}", "# Shortened for this page: 1 string over 2,000 characters is cut."}},
		"escapes count": {`{"a":"` + strings.Repeat(`\"`, 3000) + `","b":"` + strings.Repeat(`\u00e9`, 2500) + `"}`, 2, []string{"… (3,000 characters)\",\"b\":", "… (2,500 characters)\"}", "2 strings over 2,000 characters are cut"}},
		"at the limit":  {`{"a":"` + strings.Repeat("é", curl.ShortString) + `"}`, 0, nil},
		"many messages": {`{"messages":[` + strings.Repeat(`{"role":"user","content":"`+big[:1<<16]+`"},`, 19) + `{"role":"user","content":"end"}]}`, 19, []string{`"content":"end"`}},
	} {
		t.Run(name, func(t *testing.T) {
			r := &request.Request{Method: "POST", BaseURL: "http://x/v1", Path: "/chat/completions", Body: []byte(tc.body)}
			if !strings.Contains(curl.Render(r), tc.body) {
				t.Fatal("Render is not exact")
			}
			got, shortened := curl.Short(r)
			if tc.cut == 0 {
				if shortened || got != curl.Render(r) {
					t.Fatalf("shortened a body without long strings:\n%.300s", got)
				}
				return
			}
			if !shortened || strings.Count(got, " characters)") != tc.cut || len(got) > tc.cut*(curl.ShortString*6+100)+500 {
				t.Fatalf("%d cuts in %d bytes:\n%.500s", strings.Count(got, " characters)"), len(got), got)
			}
			for _, c := range tc.contain {
				if !strings.Contains(got, c) {
					t.Errorf("lacks %q", c)
				}
			}
		})
	}
}

// A secret header's variables are left to the shell; the command never
// holds a value, and bash reads it back as the template says.
func TestSecretHeaders(t *testing.T) {
	r := &request.Request{Method: "POST", BaseURL: "https://gw.example/v1", Path: "/chat/completions", KeyEnv: "GW_API_KEY",
		Header: []request.Header{
			{Name: "X-Title", Value: "It's mine"},
			{Name: "X-Virtual-Key", Value: "vk-${GW_VIRTUAL}-'x'", Secret: true},
			{Name: "X-Route", Value: "${MY_GW_X_ROUTE}", Secret: true},
		}}
	r = r.WithSecrets(map[string]string{"X-Virtual-Key": "vk-value-9-'x'", "X-Route": "route-value-9"})
	got := curl.Render(r)
	for _, want := range []string{`-H 'X-Title: It'\''s mine'`, `-H 'X-Virtual-Key: vk-'"$GW_VIRTUAL"'-'\''x'\'''`, `-H 'X-Route: '"$MY_GW_X_ROUTE"`} {
		if !strings.Contains(got, want) {
			t.Errorf("curl lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "value-9") {
		t.Errorf("curl holds a secret value:\n%s", got)
	}
	// Run by bash with the variables set, it sends what the sender sends.
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is required for this test")
	}
	srv, last := captureServer(t)
	r.BaseURL = srv.URL + "/v1"
	sent := sendAsThePlayground(t, r, "k", last)
	cmd := exec.Command(bash, "-c", curl.Render(r)+" --silent --show-error --max-time 10 -o /dev/null")
	cmd.Env = append(os.Environ(), "GW_API_KEY=k", "GW_VIRTUAL=value-9", "MY_GW_X_ROUTE=route-value-9")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("curl failed: %v\n%s", err, out)
	}
	byCurl := last()
	for name, want := range map[string]string{"X-Title": "It's mine", "X-Virtual-Key": "vk-value-9-'x'", "X-Route": "route-value-9"} {
		if sent.header.Get(name) != byCurl.header.Get(name) {
			t.Errorf("%s: curl sent %q, the sender %q", name, byCurl.header.Get(name), sent.header.Get(name))
		}
		if sent.header.Get(name) != want {
			t.Errorf("%s: sent %q, want %q", name, sent.header.Get(name), want)
		}
	}
}
