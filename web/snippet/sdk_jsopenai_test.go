package snippet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/snippet"
)

// needOpenAINode fails (never skips) unless node can import the openai
// package from the repository's node_modules, and returns that directory.
func needOpenAINode(t *testing.T) (modules string) {
	t.Helper()
	modules, err := filepath.Abs(filepath.Join("..", "..", "node_modules")) // from web/snippet
	if err != nil {
		t.Fatal(err)
	}
	check := exec.Command("node", "--input-type=module", "-e", `import OpenAI from "openai"; if (typeof OpenAI !== "function") process.exit(1);`)
	check.Dir = filepath.Dir(modules)
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("the js-openai snippets run with node and the openai package from %s, which is missing or unusable (%v): run npm ci in the repository's root (and install Node.js 20 or later)\n%s", modules, err, out)
	}
	return modules
}

// rawJSONFlag is what node needs to run code using JSON.rawJSON and
// JSON.parse's source text: nothing from Node 21 on, a V8 flag before.
func rawJSONFlag(t *testing.T) []string {
	if exec.Command("node", "-e", `process.exit(typeof JSON.rawJSON === "function" ? 0 : 1)`).Run() == nil {
		return nil
	}
	flag := "--harmony-json-parse-with-source"
	if out, err := exec.Command("node", flag, "-e", `process.exit(typeof JSON.rawJSON === "function" ? 0 : 1)`).CombinedOutput(); err != nil {
		t.Fatalf("this node has no JSON.rawJSON, even with %s (%v %s): install Node.js 22", flag, err, out)
	}
	return []string{flag}
}

// jsOpenAICases are the shared cases and two of the SDK's own: a provider
// that takes no key (with a "__proto__" key and long numbers in its body),
// and integers a JavaScript number cannot hold.
func jsOpenAICases(t *testing.T) []prepared {
	ps := prepareCases(t)
	extra := []testCase{
		{name: "no key", r: &request.Request{Method: "POST", BaseURL: "http://placeholder/v1", Path: "/chat/completions",
			Header: []request.Header{{Name: "Content-Type", Value: "application/json"}},
			Body:   []byte(`{"model":"m","messages":[{"role":"user","content":"hi"}],"seed":4503599627370497,"temperature":0.30000000000000004,"__proto__":{"x":1}}`), Style: catalog.Chat}},
		{name: "integers beyond 2^53", r: &request.Request{Method: "POST", BaseURL: "http://placeholder/v1", Path: "/chat/completions", KeyEnv: "SNIPPET_TEST_KEY",
			Header: []request.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "Accept", Value: "text/event-stream"}},
			Body:   []byte(`{"model":"m","stream":true,"seed":1152921504606846977,"logit_bias":{"1":-9007199254740993},"n":[123456789012345678901234567890, 1.5, 2e3]}`), Stream: true, Style: catalog.Chat}},
	}
	for i, tc := range extra {
		ps = append(ps, prepared{testCase: tc, id: "js" + string(rune('a'+i))})
	}
	return ps
}

// TestJSOpenAISnippetSendsAnEqualRequest runs the js-openai snippet of
// every case with node and the real openai package against the capture
// server, with only the key's variable (and those the request names) set,
// and compares what arrived with what the playground sends: the same JSON
// value, the same path, every header the playground sets, and beyond them
// exactly AlsoSends. The program must print the answer's text, a stream's
// as it comes. A body that is not a JSON object cannot be sent by the
// SDK: its snippet must say so and send nothing.
func TestJSOpenAISnippetSendsAnEqualRequest(t *testing.T) {
	modules := needOpenAINode(t)
	cap := newCapture(t)
	dir := t.TempDir()
	must(t, os.Symlink(modules, filepath.Join(dir, "node_modules"))) // what `import "openai"` finds
	const lang = "js-openai"
	flag := rawJSONFlag(t)
	slots := make(chan struct{}, 2) // node processes at once: the machine has two cores
	for _, p := range jsOpenAICases(t) {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			slots <- struct{}{}
			defer func() { <-slots }()
			r, base := cap.aim(p, lang)
			s, ok := snippet.Render(lang, r)
			if !ok || !s.SDK {
				t.Fatalf("%s: not an SDK language", lang)
			}
			if strings.Contains(s.Code, "sk-snippet") || strings.Contains(s.Code, "value-9") {
				t.Errorf("the code holds the key or a secret:\n%s", s.Code)
			}
			d := filepath.Join(dir, p.id)
			must(t, os.MkdirAll(d, 0o755))
			file := filepath.Join(d, s.File)
			must(t, os.WriteFile(file, []byte(s.Code), 0o644))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			args := []string{file}
			if strings.Contains(s.Code, "JSON.rawJSON") {
				args = append(flag, file)
			}
			cmd := exec.CommandContext(ctx, "node", args...)
			cmd.Dir, cmd.Env = d, snippetEnv(p, r, base)
			var stdout watch
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			object, streams := bodyOf(r.Body)
			if !object {
				err := cmd.Run()
				if _, sent := cap.arrived(p.id + "/" + lang); err == nil || sent || !strings.Contains(stderr.String(), "use the fetch snippet") {
					t.Errorf("a body that is not a JSON object: exit %v, sent %v, stderr %q; want a failure that names the fetch snippet", err, sent, stderr.String())
				}
				return
			}
			sent := cap.sendAsPlayground(t, p)
			// The SDK streams when the body says so; a hostile case whose
			// Accept alone asks for a stream is read as an answer.
			printsText := streams == r.Stream
			if streams && printsText {
				stdout.want, stdout.seen = deltas[0], cap.gate(p.id+"/"+lang)
			}
			start := time.Now()
			err := cmd.Run()
			if streams && time.Since(start) > gateWait {
				t.Errorf("it did not print the stream's first event before the rest came (it waited %s)", gateWait)
			}
			if err != nil {
				t.Fatalf("node failed: %v\n%s\n%s\ncode:\n%s", err, stderr.Bytes(), stdout.Bytes(), s.Code)
			}
			got, ok := cap.arrived(p.id + "/" + lang)
			if !ok {
				t.Fatal("nothing arrived")
			}
			compareEqual(t, lang, r, s, got, sent)
			if printsText {
				checkOutput(t, lang, r, stdout.String())
			}
		})
	}
}

// bodyOf reports whether body is a JSON object and whether it asks for a
// stream ("stream": true).
func bodyOf(body []byte) (object, streams bool) {
	var o map[string]json.RawMessage
	if !json.Valid(body) || json.Unmarshal(body, &o) != nil || o == nil {
		return false, false
	}
	return true, string(o["stream"]) == "true"
}

// TestJSOpenAISnippetNeedsItsBaseURL: with the base URL's variable unset,
// the snippet stops before the SDK would send the key to api.openai.com.
func TestJSOpenAISnippetNeedsItsBaseURL(t *testing.T) {
	modules := needOpenAINode(t)
	dir := t.TempDir()
	must(t, os.Symlink(modules, filepath.Join(dir, "node_modules")))
	r := &request.Request{Method: "POST", BaseURLEnv: "SNIPPET_BASE_URL", Path: "/chat/completions", KeyEnv: "SNIPPET_TEST_KEY",
		Header: []request.Header{{Name: "Content-Type", Value: "application/json"}}, Body: []byte(`{"model":"m","messages":[]}`), Style: catalog.Chat}
	s, _ := snippet.Render("js-openai", r)
	must(t, os.WriteFile(filepath.Join(dir, s.File), []byte(s.Code), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", s.File)
	cmd.Dir = dir
	// OPENAI_BASE_URL would be the SDK's own default.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "SNIPPET_TEST_KEY=" + testKey, "OPENAI_BASE_URL=http://127.0.0.1:1/v1"}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "Set SNIPPET_BASE_URL to the provider's base URL.") {
		t.Errorf("exit %v, printed %q", err, out)
	}
}
