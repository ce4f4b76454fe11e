package snippet_test

import (
	"bytes"
	"context"
	"encoding/json"
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

// goOpenAIModule is the test-only module pinning the openai-go SDK the
// go-openai snippets run with (not a requirement of the playground's).
var goOpenAIModule = filepath.Join("testdata", "goopenai")

// goModEnv is the environment the go tool runs with for that module: its
// go.mod, not a workspace's, and the module proxy allowed.
func goModEnv() []string {
	return append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
}

// newGoOpenAIModule makes dir a copy of the pinned module (go.mod and
// go.sum, without its pin file) after downloading what it requires; it
// fails, never skips, when go or the SDK cannot be had.
func newGoOpenAIModule(t *testing.T, dir string) {
	t.Helper()
	if out, err := exec.Command("go", "version").CombinedOutput(); err != nil {
		t.Fatalf("the go-openai snippets run with go, which is missing or unusable (%v %s): install Go (https://go.dev/dl)", err, bytes.TrimSpace(out))
	}
	dl := exec.Command("go", "mod", "download")
	dl.Dir, dl.Env = goOpenAIModule, goModEnv()
	if out, err := dl.CombinedOutput(); err != nil {
		t.Fatalf("cannot download the openai-go SDK that %s pins from the module proxy (GOPROXY=%s): %v\n%s\n"+
			"run `go mod download` in %s with the proxy reachable", goOpenAIModule, os.Getenv("GOPROXY"), err, out, goOpenAIModule)
	}
	must(t, os.MkdirAll(dir, 0o755))
	for _, f := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(goOpenAIModule, f))
		must(t, err)
		must(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
	}
}

// goOpenAIFields is a case of the linked program's main: it prints, by API
// style, the JSON names of the SDK's params' fields.
const goOpenAIFields = `
	case "fields":
		names := func(v any) []string {
			var out []string
			t := reflect.TypeOf(v)
			for i := 0; i < t.NumField(); i++ {
				name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
				if name != "" && name != "-" {
					out = append(out, name)
				}
			}
			return out
		}
		json.NewEncoder(os.Stdout).Encode(map[string][]string{
			"chat":        names(openai.ChatCompletionNewParams{}),
			"completions": names(openai.CompletionNewParams{}),
			"responses":   names(responses.ResponseNewParams{}),
		})
`

// TestGoOpenAISnippetSendsAnEqualRequest runs the go-openai snippet of
// every case (every default-catalog model fresh and with every field, the
// hostile ones) with the pinned SDK against the capture server, with only
// the key's variable (and those the request names) set, and compares what
// arrived with what upstream.NewHTTPRequest sends: the same JSON value
// (the same bytes when the body is not JSON), the same path, every header
// the playground sets and beyond them only AlsoSends. The program must
// print the answer's text, a stream's as it comes. The snippets are
// linked into one program (package per case, main renamed Main), as in
// TestSnippetsSendWhatThePlaygroundSends.
func TestGoOpenAISnippetSendsAnEqualRequest(t *testing.T) {
	const lang = "go-openai"
	cap := newCapture(t)
	ps := prepareCases(t)
	dir := t.TempDir()
	mod := filepath.Join(dir, "gomod")
	newGoOpenAIModule(t, mod)
	var imports, dispatch strings.Builder
	for _, p := range ps {
		r, _ := cap.aim(p, lang)
		s, ok := snippet.Render(lang, r)
		if !ok {
			t.Fatal("no go-openai snippet")
		}
		linkGo(t, mod, "goopenaisnippets", p, s, &imports, &dispatch)
	}
	must(t, os.WriteFile(filepath.Join(mod, "main.go"), []byte("package main\n\nimport (\n"+
		"\t\"encoding/json\"\n\t\"os\"\n\t\"reflect\"\n\t\"strings\"\n\n"+
		"\t\"github.com/openai/openai-go/v3\"\n\t\"github.com/openai/openai-go/v3/responses\"\n"+imports.String()+
		")\n\nfunc main() {\n\tswitch os.Args[1] {\n"+goOpenAIFields+dispatch.String()+"\t}\n}\n"), 0o644))
	goBin := filepath.Join(dir, "goopenaisnippets")
	build := exec.Command("go", "build", "-o", goBin, ".")
	build.Dir, build.Env = mod, goModEnv()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build of the go-openai snippets: %v\n%s", err, out)
	}

	// The fields the snippet reads into the params are the SDK's.
	out, err := exec.Command(goBin, "fields").Output()
	must(t, err)
	var fields map[string][]string
	must(t, json.Unmarshal(out, &fields))
	for style, knows := range snippet.GoOpenAIKnows() {
		if got := fields[string(style)]; !slices.Equal(knows, got) {
			t.Errorf("%s: the snippet takes the params' fields to be %q, the SDK's are %q", style, knows, got)
		}
	}

	for _, p := range ps {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			sent := cap.sendAsPlayground(t, p)
			r, base := cap.aim(p, lang)
			s, _ := snippet.Render(lang, r)
			if strings.Contains(s.Code, "sk-snippet") || strings.Contains(s.Code, "value-9") {
				t.Errorf("the code holds the key or a secret:\n%s", s.Code)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, goBin, p.id)
			cmd.Env = snippetEnv(p, r, base)
			var stdout watch
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if r.Stream {
				stdout.want, stdout.seen = deltas[0], cap.gate(p.id+"/"+lang)
			}
			start := time.Now()
			err := cmd.Run()
			if r.Stream && time.Since(start) > gateWait {
				t.Errorf("it did not print the stream's first event before the rest came (it waited %s)", gateWait)
			}
			if err != nil {
				t.Fatalf("failed: %v\n%s\n%s\ncode:\n%s", err, stderr.Bytes(), stdout.Bytes(), s.Code)
			}
			got, ok := cap.arrived(p.id + "/" + lang)
			if !ok {
				t.Fatal("nothing arrived")
			}
			if json.Valid(sent.body) {
				compareEqual(t, lang, r, s, got, sent)
			} else {
				compare(t, lang, r, s, got, sent) // sent as it is
			}
			checkOutput(t, lang, r, stdout.String())
			if t.Failed() {
				t.Logf("code:\n%s", s.Code)
			}
		})
	}
}

// TestGoOpenAISnippetRunsWithGoRun: the go-openai snippet runs as written
// with go run in a module requiring the SDK, streaming a body that holds a
// field the SDK does not know.
func TestGoOpenAISnippetRunsWithGoRun(t *testing.T) {
	cap := newCapture(t)
	dir := t.TempDir()
	newGoOpenAIModule(t, dir)
	r := &request.Request{Method: "POST", BaseURL: cap.srv.URL + "/c0/go-openai/v1", Path: "/chat/completions", KeyEnv: "SNIPPET_TEST_KEY",
		Header: []request.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "Accept", Value: "text/event-stream"}},
		Body:   []byte("{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"back`tick\\r\"}], \"top_k\": 40, \"stream\": true}"),
		Stream: true, Style: catalog.Chat}
	s, _ := snippet.Render("go-openai", r)
	if !strings.Contains(s.Code, "NewStreaming") || !strings.Contains(s.Code, `option.WithJSONSet("top_k"`) {
		t.Errorf("not the typed params with top_k as a request option:\n%s", s.Code)
	}
	must(t, os.WriteFile(filepath.Join(dir, s.File), []byte(s.Code), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", s.File)
	cmd.Dir, cmd.Env = dir, append(goModEnv(), "SNIPPET_TEST_KEY="+testKey)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run: %v\n%s\n%s", err, stderr.Bytes(), s.Code)
	}
	if string(out) != answerText+"\n" {
		t.Errorf("printed %q", out)
	}
	got, ok := cap.arrived("c0/go-openai")
	var sent, want any
	if ok {
		ok = json.Unmarshal(got.body, &sent) == nil && json.Unmarshal(r.Body, &want) == nil
	}
	if !ok || !jsonEqual(sent, want) {
		t.Errorf("body %s, want the JSON value of %s", got.body, r.Body)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// TestGoOpenAISnippetShapes: which way the body goes, by what it is.
func TestGoOpenAISnippetShapes(t *testing.T) {
	base := request.Request{Method: "POST", BaseURL: "http://x/v1", Path: "/responses", KeyEnv: "K", Style: catalog.Responses}
	tests := []struct {
		name   string
		body   string
		stream bool
		want   []string // in the code
		not    []string
	}{
		{"known fields only", `{"model":"m","input":"hi"}`, false,
			[]string{"var params responses.ResponseNewParams", "client.Responses.New(context.Background(), params)", "answer.OutputText()"},
			[]string{"WithJSONSet", "WithRequestBody"}},
		{"unknown fields as options", `{"model":"m","input":"hi","top_k":3,"stream":false}`, false,
			[]string{`option.WithJSONSet("top_k", json.RawMessage(` + "`3`" + `))`, `option.WithJSONSet("stream", json.RawMessage(` + "`false`" + `))`, "params, extra...)"},
			[]string{"WithRequestBody"}},
		{"stream: NewStreaming sets stream", `{"model":"m","input":"hi","stream":true}`, true,
			[]string{"client.Responses.NewStreaming(", `event.Type == "response.output_text.delta"`},
			[]string{`WithJSONSet("stream"`, "WithRequestBody"}},
		{"stream not said", `{"model":"m","input":"hi"}`, true,
			[]string{"option.WithRequestBody(\"application/json\", []byte(body))", "ssestream.NewStream[responses.ResponseStreamEventUnion]"},
			[]string{".NewStreaming(", "json.Unmarshal"}},
		{"not JSON", `{"a": 1}\`, false, []string{"option.WithRequestBody("}, []string{"json.Unmarshal"}},
		{"repeated key", `{"a": 1, "a": 2}`, false, []string{"option.WithRequestBody("}, []string{"json.Unmarshal"}},
		{"key sjson would read as a path", `{"a.b": 1}`, false, []string{"option.WithRequestBody("}, []string{"json.Unmarshal"}},
		{"not an object", `[1]`, false, []string{"option.WithRequestBody("}, []string{"json.Unmarshal"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := base
			r.Body, r.Stream = []byte(tc.body), tc.stream
			s, _ := snippet.Render("go-openai", &r)
			for _, w := range tc.want {
				if !strings.Contains(s.Code, w) {
					t.Errorf("no %s in\n%s", w, s.Code)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(s.Code, n) {
					t.Errorf("%s in\n%s", n, s.Code)
				}
			}
		})
	}
}
