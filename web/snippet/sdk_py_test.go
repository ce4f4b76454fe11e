package snippet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/playground-dev/playground/internal/spectest"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/snippet"
)

// fakeOpenAI is a stand-in for the openai package, which cannot be
// installed here. Its OpenAI client does what the SDK's source does with
// the snippet's arguments: it refuses a keyword the method does not know
// and a missing required one (the SDK's signature and required_args),
// merges extra_body over the keywords and extra_headers over the default
// headers (dropping omit), adds the SDK's own headers and Authorization
// from api_key, posts the JSON to base_url + the method's path, and
// returns the answer (or the stream's events) as objects read by
// attribute, as the SDK's models are. %s is the methods' table.
const fakeOpenAI = `import json
import urllib.request

METHODS = %s


class _Omit:
    pass


omit = _Omit()


class _Obj:
    def __init__(self, d):
        self._d = d

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return _wrap(self._d.get(name))

    def model_dump_json(self, indent=None):
        return json.dumps(self._d, indent=indent)


class _Response(_Obj):
    @property
    def output_text(self):
        return "".join(
            c.get("text", "")
            for item in self._d.get("output") or [] if item.get("type") == "message"
            for c in item.get("content") or [] if c.get("type") == "output_text"
        )


def _wrap(v, cls=_Obj):
    if isinstance(v, dict):
        return cls(v)
    if isinstance(v, list):
        return [_wrap(x) for x in v]
    return v


class _Method:
    def __init__(self, client, path, cls):
        self._client, self._path, self._cls = client, path, cls

    def create(self, **kw):
        extra_body = kw.pop("extra_body", None)
        extra_headers = kw.pop("extra_headers", None) or {}
        known, required = METHODS[self._path]
        for k in kw:
            if k not in known:
                raise TypeError("create() got an unexpected keyword argument %%r" %% k)
        for k in required:
            if k not in kw:
                raise TypeError("Missing required argument: %%r" %% k)
        body = dict(kw)
        if extra_body:
            body.update(extra_body)
        headers = {"Authorization": "Bearer " + self._client.api_key}
        headers.update({
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": "OpenAI/Python 3.3.1",
            "X-Stainless-Lang": "python",
            "X-Stainless-Package-Version": "3.3.1",
            "X-Stainless-OS": "Linux",
            "X-Stainless-Arch": "x64",
            "X-Stainless-Runtime": "CPython",
            "X-Stainless-Runtime-Version": "3.11.2",
            "X-Stainless-Async": "false",
        })
        headers.update(self._client.default_headers)
        headers.update(extra_headers)
        headers = {k: v for k, v in headers.items() if not isinstance(v, _Omit)}
        if "Authorization" not in headers and "Authorization" not in extra_headers:
            raise TypeError("Could not resolve authentication method")
        headers["X-Stainless-Retry-Count"] = "0"
        headers["X-Stainless-Read-Timeout"] = "600"
        headers["Accept-Encoding"] = "gzip, deflate"
        headers["Connection"] = "keep-alive"
        req = urllib.request.Request(self._client.base_url + self._path.lstrip("/"), data=json.dumps(body).encode(), method="POST")
        for k, v in headers.items():
            req.add_header(k, v)
        resp = urllib.request.urlopen(req)
        if body.get("stream") is True:
            return self._events(resp)
        return _wrap(json.load(resp), self._cls)

    def _events(self, resp):
        for line in resp:
            line = line.strip()
            if not line.startswith(b"data:"):
                continue
            data = line[5:].strip()
            if data == b"[DONE]":
                return
            yield _wrap(json.loads(data))


class _Chat:
    def __init__(self, client):
        self.completions = _Method(client, "/chat/completions", _Obj)


class OpenAI:
    def __init__(self, *, api_key, base_url, default_headers=None):
        if not api_key:
            raise ValueError("Missing credentials")
        self.api_key = api_key
        self.base_url = base_url.rstrip("/") + "/"
        self.default_headers = dict(default_headers or {})
        self.chat = _Chat(self)
        self.completions = _Method(self, "/completions", _Obj)
        self.responses = _Method(self, "/responses", _Response)
`

// writeFakeOpenAI writes the fake openai package into dir, with the
// snippet package's methods.
func writeFakeOpenAI(t *testing.T, dir string) {
	t.Helper()
	var methods strings.Builder
	methods.WriteString("{\n")
	for _, m := range snippet.PyOpenAIMethods() {
		fmt.Fprintf(&methods, "    %s: (%s, %s),\n", snippet.PyString(m.Path), pyList(m.Known), pyList(m.Required))
	}
	methods.WriteString("}")
	must(t, os.MkdirAll(filepath.Join(dir, "openai"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "openai", "__init__.py"), []byte(fmt.Sprintf(fakeOpenAI, methods.String())), 0o644))
}

func pyList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = snippet.PyString(n)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// sdkCases are the execution test's cases and, for the SDK, each hostile
// body that is a JSON object once more with the model and messages
// chat.completions.create requires (so its hostile values go through the
// keyword arguments and extra_body), and a request with no key.
func sdkCases(t *testing.T) []prepared {
	ps := prepareCases(t)
	n := len(ps)
	add := func(tc testCase) {
		ps = append(ps, prepared{testCase: tc, id: fmt.Sprintf("c%03d", n)})
		n++
	}
	for _, p := range ps[:n] {
		var obj map[string]any
		if !strings.HasPrefix(p.name, "hostile body/") || !utf8.Valid(p.r.Body) || json.Unmarshal(p.r.Body, &obj) != nil {
			continue
		}
		r := *p.r
		rest := strings.TrimPrefix(strings.TrimLeft(string(r.Body), " \n"), "{")
		r.Body = []byte(`{"model": "m", "messages": [{"role": "user", "content": "hi \"there\" it's"}],` + rest)
		if r.Stream {
			r.Body = []byte(`{"model": "m", "stream": true, "messages": [{"role": "user", "content": "hi"}],` + rest)
		}
		add(testCase{name: p.name + "/with model and messages", r: &r})
	}
	add(testCase{name: "no key", r: &request.Request{Method: "POST", BaseURL: "http://placeholder/v1", Path: "/chat/completions",
		Header: []request.Header{{Name: "Content-Type", Value: "application/json"}},
		Body:   []byte(`{"model":"m","messages":[{"role":"user","content":"hi"}],"top_k":5}`), Style: catalog.Chat}})
	return ps
}

// sendable reports whether the SDK can send r: a POST to its method's
// path whose body is a JSON object holding the method's required
// parameters.
func sendable(r *request.Request) bool {
	m, ok := snippet.PyOpenAIMethods()[string(r.Style)]
	var obj map[string]json.RawMessage
	if !ok || r.Path != m.Path || !utf8.Valid(r.Body) || json.Unmarshal(r.Body, &obj) != nil {
		return false
	}
	for _, name := range m.Required {
		if _, ok := obj[name]; !ok {
			return false
		}
	}
	return true
}

// TestPyOpenAISnippets: every case's python-openai snippet compiles
// (python3 -m py_compile). Run with the fake openai package against the
// capture server, it sends what the playground sends as an equal request
// (the same JSON value, path and headers, beyond them only AlsoSends) and
// prints the answer's text, a stream's as it comes; a request the SDK
// cannot send (a body that is not a JSON object, or without the method's
// required parameters) gets a script that says so and exits 1.
func TestPyOpenAISnippets(t *testing.T) {
	if out, err := exec.Command("python3", "--version").CombinedOutput(); err != nil {
		t.Fatalf("the python-openai snippets are compiled and run with python3, which is missing (%v %s): apt-get install -y python3", err, out)
	}
	cap := newCapture(t)
	ps := sdkCases(t)
	dir := t.TempDir()
	fake := filepath.Join(dir, "fake")
	writeFakeOpenAI(t, fake)

	files := []string{}
	for _, p := range ps {
		r, _ := cap.aim(p, "python-openai")
		s, _ := snippet.Render("python-openai", r)
		d := filepath.Join(dir, p.id)
		must(t, os.MkdirAll(d, 0o755))
		files = append(files, filepath.Join(d, s.File))
		must(t, os.WriteFile(files[len(files)-1], []byte(s.Code), 0o644))
	}
	if out, err := exec.Command("python3", append([]string{"-m", "py_compile"}, files...)...).CombinedOutput(); err != nil {
		t.Fatalf("py_compile: %v\n%s", err, out)
	}

	for _, p := range ps {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			r, base := cap.aim(p, "python-openai")
			s, _ := snippet.Render("python-openai", r)
			if strings.Contains(s.Code, "sk-snippet") || strings.Contains(s.Code, "value-9") {
				t.Errorf("the code holds the key or a secret:\n%s", s.Code)
			}
			env := append(snippetEnv(p, r, base), "PYTHONPATH="+fake)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, "python3", filepath.Join(dir, p.id, s.File))
			cmd.Env = env
			var stdout watch
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			ok := sendable(r)
			if ok && r.Stream {
				stdout.want, stdout.seen = deltas[0], cap.gate(p.id+"/python-openai")
			}
			start := time.Now()
			err := cmd.Run()
			if !ok {
				if !strings.Contains(stderr.String(), "The openai SDK cannot send this request") || err == nil {
					t.Errorf("a request the SDK cannot send: err %v, stderr %q\n%s", err, stderr.Bytes(), s.Code)
				}
				if _, arrived := cap.arrived(p.id + "/python-openai"); arrived {
					t.Error("a request the SDK cannot send was sent")
				}
				return
			}
			if r.Stream && time.Since(start) > gateWait {
				t.Errorf("it did not print the stream's first event before the rest came (it waited %s)", gateWait)
			}
			if err != nil {
				t.Fatalf("failed: %v\n%s\n%s\ncode:\n%s", err, stderr.Bytes(), stdout.Bytes(), s.Code)
			}
			got, arrived := cap.arrived(p.id + "/python-openai")
			if !arrived {
				t.Fatal("nothing arrived")
			}
			sent := cap.sendAsPlayground(t, p)
			compareEqual(t, "python-openai", r, s, got, sent)
			checkOutput(t, "python-openai", r, stdout.String())
		})
	}
}

// TestPyOpenAIKnowsTheSpecsParameters: the parameters the snippet passes
// as keyword arguments are, by API style, the properties of the request's
// schema in the OpenAPI spec (following allOf and $ref), and those it
// requires are the schema's required ones.
func TestPyOpenAIKnowsTheSpecsParameters(t *testing.T) {
	raw, err := os.ReadFile(spectest.Path())
	must(t, err)
	var doc struct {
		Components struct {
			Schemas map[string]specSchema `yaml:"schemas"`
		} `yaml:"components"`
	}
	must(t, yaml.Unmarshal(raw, &doc))
	schemas := doc.Components.Schemas
	for style, name := range map[catalog.Style]string{
		catalog.Chat: "CreateChatCompletionRequest", catalog.Completions: "CreateCompletionRequest", catalog.Responses: "CreateResponse",
	} {
		m, ok := snippet.PyOpenAIMethods()[string(style)]
		if !ok {
			t.Errorf("%s: no method", style)
			continue
		}
		known, required := map[string]bool{}, map[string]bool{}
		collect(t, schemas, schemas[name], known, required)
		if want := sortedKeys(known); !slices.Equal(sorted(m.Known), want) {
			t.Errorf("%s: known %q,\nthe spec's %s has %q", style, m.Known, name, want)
		}
		if want := sortedKeys(required); !slices.Equal(sorted(m.Required), want) {
			t.Errorf("%s: required %q, the spec's %s %q", style, m.Required, name, want)
		}
	}
}

// specSchema is what of a schema names its properties.
type specSchema struct {
	Ref        string         `yaml:"$ref"`
	AllOf      []specSchema   `yaml:"allOf"`
	Properties map[string]any `yaml:"properties"`
	Required   []string       `yaml:"required"`
}

func collect(t *testing.T, schemas map[string]specSchema, s specSchema, known, required map[string]bool) {
	if s.Ref != "" {
		ref, ok := schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
		if !ok {
			t.Fatalf("no schema %s", s.Ref)
		}
		collect(t, schemas, ref, known, required)
	}
	for _, a := range s.AllOf {
		collect(t, schemas, a, known, required)
	}
	for k := range s.Properties {
		known[k] = true
	}
	for _, k := range s.Required {
		required[k] = true
	}
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

// FuzzPyOpenAI: for any JSON object body with the model and messages,
// the snippet is a call (never a refusal) that holds every key of the
// body, as a keyword or in extra_body. TestPyOpenAISnippets compiles and
// runs the cases.
func FuzzPyOpenAI(f *testing.F) {
	f.Add(`{"model":"m","messages":[],"top_k":1}`)
	f.Add(`{"model":"m","messages":[{"role":"user","content":"it's \"x\" \\ 🙂"}],"stream":true,"x":{"a":[1,2.5e3,null,true]}}`)
	f.Add(`{"model":"m","messages":[],"model":"n","extra_body":1}`)
	f.Fuzz(func(t *testing.T, body string) {
		var obj map[string]json.RawMessage
		if !utf8.ValidString(body) || json.Unmarshal([]byte(body), &obj) != nil || obj["model"] == nil || obj["messages"] == nil {
			return
		}
		r := &request.Request{Method: "POST", BaseURL: "http://x/v1", Path: "/chat/completions", KeyEnv: "K", Body: []byte(body), Style: catalog.Chat}
		s, _ := snippet.Render("python-openai", r)
		if strings.Contains(s.Code, "cannot send") || !strings.Contains(s.Code, "client.chat.completions.create(") {
			t.Fatalf("not a call:\n%s", s.Code)
		}
		for k := range obj {
			if !strings.Contains(s.Code, "    "+k+"=") && !strings.Contains(s.Code, snippet.PyString(k)+": ") {
				t.Errorf("%q is not in the snippet:\n%s", k, s.Code)
			}
		}
	})
}
