package snippet_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/snippet"
)

func TestLangs(t *testing.T) {
	var ids, files []string
	for _, l := range snippet.Langs() {
		ids, files = append(ids, l.Lang), append(files, l.File)
		if l.Label == "" {
			t.Errorf("%s has no label", l.Lang)
		}
	}
	if got := strings.Join(ids, " "); got != "curl httpie python python-httpx js go python-openai js-openai go-openai" {
		t.Errorf("langs %s", got)
	}
	if got := strings.Join(files, " "); got != "playground.sh playground-httpie.sh playground.py playground-httpx.py playground.mjs playground.go playground-openai.py playground-openai.mjs playground-openai.go" {
		t.Errorf("files %s", got)
	}
	if _, ok := snippet.Render("cobol", &request.Request{}); ok {
		t.Error("an unknown language rendered")
	}
}

// TestAlsoSendsDependsOnTheRequest: a client's default Accept or
// Content-Type is listed only when the playground sends none.
func TestAlsoSendsDependsOnTheRequest(t *testing.T) {
	r := &request.Request{Method: "POST", BaseURL: "http://x/v1", Path: "/chat/completions", Body: []byte(`{}`),
		Header: []request.Header{{Name: "Content-Type", Value: "application/json"}}}
	want := map[string][]string{
		"curl":         {"Accept", "User-Agent"},
		"httpie":       {"Accept-Encoding", "Connection", "User-Agent"},
		"python":       {"Accept", "Accept-Encoding", "Connection", "User-Agent"},
		"python-httpx": {"Accept", "Accept-Encoding", "Connection", "User-Agent"},
		"python-openai": {"Accept", "Accept-Encoding", "Connection", "User-Agent", "X-Stainless-Arch", "X-Stainless-Async", "X-Stainless-Lang",
			"X-Stainless-Os", "X-Stainless-Package-Version", "X-Stainless-Read-Timeout", "X-Stainless-Retry-Count", "X-Stainless-Runtime", "X-Stainless-Runtime-Version"},
		"js": {"Accept", "Accept-Encoding", "Accept-Language", "Connection", "Sec-Fetch-Mode", "User-Agent"},
		"go": {"Accept-Encoding", "User-Agent"},
		"js-openai": {"Accept", "Accept-Encoding", "Accept-Language", "Connection", "Sec-Fetch-Mode", "User-Agent",
			"X-Stainless-Arch", "X-Stainless-Lang", "X-Stainless-Os", "X-Stainless-Package-Version", "X-Stainless-Retry-Count",
			"X-Stainless-Runtime", "X-Stainless-Runtime-Version"},
		"go-openai": {"Accept", "Accept-Encoding", "User-Agent", "X-Stainless-Arch", "X-Stainless-Lang", "X-Stainless-Os",
			"X-Stainless-Package-Version", "X-Stainless-Retry-Count", "X-Stainless-Runtime", "X-Stainless-Runtime-Version"},
	}
	for _, s := range snippet.All(r) {
		if !slices.Equal(s.AlsoSends, want[s.Lang]) {
			t.Errorf("%s: AlsoSends %q, want %q", s.Lang, s.AlsoSends, want[s.Lang])
		}
	}
	r.Header = append(r.Header, request.Header{Name: "accept", Value: "text/event-stream"})
	for _, s := range snippet.All(r) {
		if slices.Contains(s.AlsoSends, "Accept") {
			t.Errorf("%s lists Accept, which the request sets", s.Lang)
		}
	}
}

// TestKeyAndSecretsFromTheEnvironment: every snippet names the key's and
// the secret headers' variables and holds no value of theirs.
func TestKeyAndSecretsFromTheEnvironment(t *testing.T) {
	r := &request.Request{Method: "POST", BaseURLEnv: "GW_BASE_URL", Path: "/chat/completions", KeyEnv: "GW_API_KEY", Body: []byte(`{"model":"m","messages":[]}`),
		Header: []request.Header{{Name: "X-Virtual-Key", Value: "vk-${GW_VIRTUAL}", Secret: true}}, Style: catalog.Chat}
	r = r.WithSecrets(map[string]string{"X-Virtual-Key": "vk-s3cr3t"})
	for _, s := range snippet.All(r) {
		for _, v := range []string{"GW_API_KEY", "GW_VIRTUAL", "GW_BASE_URL"} {
			if !strings.Contains(s.Code, v) {
				t.Errorf("%s does not read %s:\n%s", s.Lang, v, s.Code)
			}
		}
		if strings.Contains(s.Code, "s3cr3t") {
			t.Errorf("%s holds the secret:\n%s", s.Lang, s.Code)
		}
	}
}

// TestGoSnippetRunsWithGoRun: the Go snippet runs as written with go run
// (the execution test links them into one program, renamed).
func TestGoSnippetRunsWithGoRun(t *testing.T) {
	needTools(t)
	cap := newCapture(t)
	r := &request.Request{Method: "POST", BaseURL: cap.srv.URL + "/c0/go/v1", Path: "/chat/completions", KeyEnv: "SNIPPET_TEST_KEY",
		Header: []request.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "Accept", Value: "text/event-stream"}},
		Body:   []byte("{\"prompt\": \"back`tick\\r\"}"), Stream: true, Style: catalog.Chat}
	s, _ := snippet.Render("go", r)
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, s.File), []byte(s.Code), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", s.File)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SNIPPET_TEST_KEY="+testKey, "GOFLAGS=", "GO111MODULE=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run: %v\n%s", err, s.Code)
	}
	if string(out) != answerText+"\n" {
		t.Errorf("printed %q", out)
	}
	if got, ok := cap.arrived("c0/go"); !ok || string(got.body) != string(r.Body) {
		t.Errorf("body %q, want %q", got.body, r.Body)
	}
}
