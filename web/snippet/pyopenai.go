package snippet

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/request"
)

// sdkMethod is the SDK method of an API style: what the snippet calls,
// the path it posts to, and the body's parameters it takes as keyword
// arguments (the rest travel in extra_body), of which it requires some.
type sdkMethod struct {
	call, path      string
	known, required []string
}

// pyOpenAIMethods are the Python openai SDK's methods by API style. The
// known names are the properties of the request's schema in the OpenAPI
// spec (following allOf; TestPyOpenAIKnowsTheSpecsParameters checks
// them against testdata/openapi); required are those of the SDK's
// required_args (src/openai/resources/…), which the spec requires too.
var pyOpenAIMethods = map[catalog.Style]sdkMethod{
	catalog.Chat: {call: "client.chat.completions.create", path: "/chat/completions", required: []string{"model", "messages"},
		known: []string{"audio", "frequency_penalty", "function_call", "functions", "logit_bias", "logprobs", "max_completion_tokens",
			"max_tokens", "messages", "metadata", "modalities", "model", "moderation", "n", "parallel_tool_calls", "prediction",
			"presence_penalty", "prompt_cache_key", "prompt_cache_options", "prompt_cache_retention", "reasoning_effort",
			"response_format", "safety_identifier", "seed", "service_tier", "stop", "store", "stream", "stream_options",
			"temperature", "tool_choice", "tools", "top_logprobs", "top_p", "user", "verbosity", "web_search_options"}},
	catalog.Completions: {call: "client.completions.create", path: "/completions", required: []string{"model", "prompt"},
		known: []string{"best_of", "echo", "frequency_penalty", "logit_bias", "logprobs", "max_tokens", "model", "n",
			"presence_penalty", "prompt", "seed", "stop", "stream", "stream_options", "suffix", "temperature", "top_p", "user"}},
	catalog.Responses: {call: "client.responses.create", path: "/responses",
		known: []string{"background", "context_management", "conversation", "include", "input", "instructions",
			"max_output_tokens", "max_tool_calls", "metadata", "model", "moderation", "parallel_tool_calls",
			"previous_response_id", "prompt", "prompt_cache_key", "prompt_cache_options", "prompt_cache_retention",
			"reasoning", "safety_identifier", "service_tier", "store", "stream", "stream_options", "temperature", "text",
			"tool_choice", "tools", "top_logprobs", "top_p", "truncation", "user"}},
}

// pyOpenAIAdds are the headers the Python SDK adds, read from its source
// (not measured: the SDK cannot be installed here): its default_headers
// and platform_headers (_base_client.py, _client.py), the retry count
// and read timeout it sets on each try, and httpx's Accept-Encoding and
// Connection.
var pyOpenAIAdds = append(always("Accept-Encoding", "Connection", "User-Agent",
	"X-Stainless-Arch", "X-Stainless-Async", "X-Stainless-Lang", "X-Stainless-OS", "X-Stainless-Package-Version",
	"X-Stainless-Read-Timeout", "X-Stainless-Retry-Count", "X-Stainless-Runtime", "X-Stainless-Runtime-Version"),
	unlessSet("Accept"), unlessSet("Content-Type"))

// pyOpenAINote is what the Python SDK does of itself, as its source says
// (openai-python src/openai/_constants.py and _base_client.py).
const pyOpenAINote = "It retries twice on connection errors, timeouts, 408, 409, 429 and 5xx (waiting 0.5 s, doubling up to 8 s, " +
	"or as Retry-After says) and times out after 10 minutes (5 s to connect); it also sends OpenAI-Organization and " +
	"OpenAI-Project when OPENAI_ORG_ID and OPENAI_PROJECT_ID are set. This snippet is compiled and its mapping to " +
	"keyword arguments tested in CI, not run against the real SDK, which cannot be installed there."

// renderPyOpenAI is a Python 3 script calling r's method of the openai
// SDK, or, when the SDK cannot send r, one that says why.
func renderPyOpenAI(r *request.Request) string {
	m, ok := pyOpenAIMethods[r.Style]
	if !ok || r.Path != m.path || method(r) != "POST" {
		return pyRefusal("it is not a POST to the path of one of its methods (" + r.Path + ")")
	}
	params, err := pyParams(r.Body)
	if err != nil {
		return pyRefusal("its body is not a JSON object")
	}
	var kwargs, extra []pyKid
	seen := map[string]bool{}
	stream := false
	for _, p := range params {
		if slices.Contains(m.known, p.key) && !seen[p.key] {
			seen[p.key] = true
			kwargs = append(kwargs, pyKid{p.key + "=", p.val})
			if p.key == "stream" {
				stream = p.val.text == "True"
			}
			continue
		}
		extra = append(extra, pyKid{PyString(p.key) + ": ", p.val}) // a repeat too: extra_body wins, as the last key does
	}
	for _, name := range m.required {
		if !seen[name] {
			return pyRefusal("its body has no " + name + ", which " + m.call + " requires")
		}
	}
	if len(extra) > 0 {
		kwargs = append(kwargs, pyKid{"extra_body=", container("{", "}", extra)})
	}
	if r.KeyEnv == "" {
		// The SDK wants a key; omitting the header it makes sends none.
		kwargs = append(kwargs, pyKid{"extra_headers=", scalar("{'Authorization': omit}")})
	}

	var b strings.Builder
	b.WriteString("#!/usr/bin/env python3\n")
	b.WriteString("# Sends the playground's request with the official openai SDK (pip install openai).\n")
	b.WriteString("import os\n\nfrom openai import OpenAI")
	if r.KeyEnv == "" {
		b.WriteString(", omit")
	}
	b.WriteString("\n\nclient = OpenAI(\n")
	if r.KeyEnv != "" {
		b.WriteString("    api_key=os.environ[" + PyString(r.KeyEnv) + "],\n")
	} else {
		b.WriteString("    api_key='none',\n")
	}
	if r.BaseURL != "" {
		b.WriteString("    base_url=" + PyString(r.BaseURL) + ",\n")
	} else {
		b.WriteString("    base_url=os.environ[" + PyString(r.BaseURLEnv) + "],\n")
	}
	hs := headersOf(r)
	if r.KeyEnv != "" {
		hs = hs[1:] // Authorization, which the SDK makes of api_key
	}
	if len(hs) > 0 {
		// A value beyond ASCII goes as its UTF-8 bytes: httpx refuses a
		// str that is not ASCII.
		b.WriteString("    default_headers={\n")
		for _, h := range hs {
			b.WriteString("        " + PyString(h.name) + ": " + pyHeader(h.value) + ",\n")
		}
		b.WriteString("    },\n")
	}
	b.WriteString(")\n\n")
	result := "answer"
	if stream {
		result = "stream"
	}
	call := container(m.call+"(", ")", kwargs)
	call.multi = true
	b.WriteString(result + " = ")
	call.py(&b, "")
	b.WriteString("\n")
	if stream {
		b.WriteString(pyOpenAIStream[r.Style] + "print()\n")
	} else {
		b.WriteString(pyOpenAIAnswer[r.Style] + "print(text if text else answer.model_dump_json(indent=2))\n")
	}
	return b.String()
}

// pyOpenAIStream prints a stream's text as it comes, by API style.
var pyOpenAIStream = map[catalog.Style]string{
	catalog.Chat: "for chunk in stream:\n" +
		"    if chunk.choices and chunk.choices[0].delta.content:\n" +
		"        print(chunk.choices[0].delta.content, end=\"\", flush=True)\n",
	catalog.Completions: "for chunk in stream:\n" +
		"    if chunk.choices and chunk.choices[0].text:\n" +
		"        print(chunk.choices[0].text, end=\"\", flush=True)\n",
	catalog.Responses: "for event in stream:\n" +
		"    if event.type == \"response.output_text.delta\":\n" +
		"        print(event.delta, end=\"\", flush=True)\n",
}

// pyOpenAIAnswer sets text to an answer's text, by API style.
var pyOpenAIAnswer = map[catalog.Style]string{
	catalog.Chat:        "text = answer.choices[0].message.content if answer.choices else None\n",
	catalog.Completions: "text = answer.choices[0].text if answer.choices else None\n",
	catalog.Responses:   "text = answer.output_text\n",
}

// pyRefusal is a script saying why the SDK cannot send the request.
func pyRefusal(why string) string {
	msg := "The openai SDK cannot send this request: " + why + ". The Python (requests) and Python (httpx) snippets send its bytes as they are."
	return "#!/usr/bin/env python3\n# " + msg + "\nimport sys\n\nsys.exit(" + PyString(msg) + ")\n"
}

// pyVal is a JSON value as a Python literal: a scalar's text, or a
// container's open and close around its kids. width is its length on
// one line.
type pyVal struct {
	text        string
	kids        []pyKid
	open, close string
	width       int
	// multi: one kid a line whenever it has kids (else only when the
	// line would be too long).
	multi bool
}

// pyKid is one element of a container: its prefix (a dict key with ": ",
// a keyword with "=", nothing in a list) and its value.
type pyKid struct {
	prefix string
	val    pyVal
}

func scalar(text string) pyVal { return pyVal{text: text, width: len(text)} }

// container is a container of kids.
func container(open, close string, kids []pyKid) pyVal {
	v := pyVal{kids: kids, open: open, close: close, width: len(open) + len(close) + 2*max(len(kids)-1, 0)}
	for _, k := range kids {
		v.width += len(k.prefix) + k.val.width
	}
	return v
}

// pyWidth is the width a literal's line may have before it is broken;
// from pyDeep on, nothing more is broken (so that a deep value's indents
// do not grow its size by its depth's square).
const pyWidth, pyDeep = 88, 40

// py writes v at indent: on one line when it fits.
func (v pyVal) py(b *strings.Builder, indent string) {
	switch {
	case v.open == "":
		b.WriteString(v.text)
	case len(v.kids) == 0 || !v.multi && len(indent)+v.width <= pyWidth || len(indent) >= pyDeep:
		b.WriteString(v.open)
		for i, k := range v.kids {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k.prefix)
			k.val.py(b, "")
		}
		b.WriteString(v.close)
	default:
		b.WriteString(v.open + "\n")
		for _, k := range v.kids {
			b.WriteString(indent + "    " + k.prefix)
			k.val.py(b, indent+"    ")
			b.WriteString(",\n")
		}
		b.WriteString(indent + v.close)
	}
}

// param is one top-level key of a body and its value.
type param struct {
	key string
	val pyVal
}

// pyParams reads a body that is one JSON object (valid UTF-8) into its
// keys, in order, and their values as Python.
func pyParams(body []byte) ([]param, error) {
	if !utf8.Valid(body) {
		return nil, errors.New("not UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not an object")
	}
	var out []param
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		v, err := pyValueOf(dec)
		if err != nil {
			return nil, err
		}
		out = append(out, param{t.(string), v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more after the object")
	}
	return out, nil
}

// pyValueOf reads the next JSON value of dec as Python: strings quoted
// by PyString, numbers as written (a JSON number is a Python literal of
// the same value), true, false and null as True, False and None.
func pyValueOf(dec *json.Decoder) (pyVal, error) {
	t, err := dec.Token()
	if err != nil {
		return pyVal{}, err
	}
	switch t := t.(type) {
	case json.Delim:
		var kids []pyKid
		for dec.More() {
			prefix := ""
			if t == '{' {
				k, err := dec.Token()
				if err != nil {
					return pyVal{}, err
				}
				prefix = PyString(k.(string)) + ": "
			}
			kid, err := pyValueOf(dec)
			if err != nil {
				return pyVal{}, err
			}
			kids = append(kids, pyKid{prefix, kid})
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return pyVal{}, err
		}
		if t == '{' {
			return container("{", "}", kids), nil
		}
		return container("[", "]", kids), nil
	case string:
		return scalar(PyString(t)), nil
	case json.Number:
		return scalar(t.String()), nil
	case bool:
		if t {
			return scalar("True"), nil
		}
		return scalar("False"), nil
	default:
		return scalar("None"), nil
	}
}
