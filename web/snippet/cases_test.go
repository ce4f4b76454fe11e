package snippet_test

import (
	"net/url"
	"strconv"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/tokens"
)

// testCase is one request the snippets must send, with the environment
// its secret headers read.
type testCase struct {
	name string
	r    *request.Request
	env  map[string]string
}

// modelCases are, for every default-catalog model, its fresh draft's
// request (the form's typical values) and one with every field set, the
// stream switch turned the other way, so each model is tried streamed and
// not.
func modelCases(tb testing.TB) []testCase {
	tb.Helper()
	c, err := catalog.Default()
	if err != nil {
		tb.Fatal(err)
	}
	s := &draft.Service{Catalog: c, Getenv: func(string) string { return "" }, Tokens: &tokens.Counter{}}
	var out []testCase
	for _, m := range c.Models {
		fresh := s.Prepare(draft.Input{Provider: m.Provider, Model: m.ID})
		if fresh.Request == nil {
			tb.Fatalf("%s: fresh draft has errors %v", m.Key(), fresh.Errors)
		}
		out = append(out, testCase{name: m.Key() + "/fresh", r: fresh.Request})
		in := everyField(m, !fresh.Request.Stream)
		vals, errs := form.Parse(m.Fields(), in)
		if len(errs) > 0 {
			tb.Fatalf("%s: every field: %v", m.Key(), errs)
		}
		p, _ := c.Provider(m.Provider)
		r, err := request.Build(p, m, vals, fresh.BaseURL)
		if err != nil {
			tb.Fatalf("%s: %v", m.Key(), err)
		}
		out = append(out, testCase{name: m.Key() + "/every field", r: r})
	}
	return out
}

// everyField sets each field of m: a two-turn conversation, an image, a
// function, the middle of each number's range, every JSON kind.
func everyField(m *catalog.Model, stream bool) url.Values {
	in := url.Values{}
	_, bothCaps := m.Field("max_completion_tokens")
	for _, f := range m.Fields() {
		n := f.Name
		switch f.Type {
		case catalog.TypeMessages:
			in[n+".role"] = []string{f.Roles[0], "user"}
			in[n+".content"] = []string{"Answer in one line.", `Say "hi" it's $HOME`}
		case catalog.TypeImageURLs:
			in.Set(n+".url", "https://example.com/a.png")
			if f.Detail {
				in.Set(n+".detail", "low")
			}
		case catalog.TypeFunctions:
			in.Set(n+".name", "lookup")
			in.Set(n+".description", "Look it up")
			in.Set(n+".parameters", `{"type":"object","properties":{"q":{"type":"string"}}}`)
		case catalog.TypeBoolean:
			in.Set(n, strconv.FormatBool(n != "echo" && n != "background"))
			if f.Role == catalog.RoleStream {
				in.Set(n, strconv.FormatBool(stream))
			}
		case catalog.TypeEnum:
			in.Set(n, f.Enum[0])
		case catalog.TypeStringList:
			in[n] = []string{"STOP"}
			if len(f.Enum) > 0 {
				in[n] = f.Enum
			}
		case catalog.TypeNumber, catalog.TypeInteger:
			if n == "max_tokens" && bothCaps {
				continue
			}
			in.Set(n, number(f))
		case catalog.TypeJSON:
			in.Set(n, jsonOf[f.JSONKind])
			if jsonOf[f.JSONKind] == "" {
				in.Set(n, `{"type":"json_object"}`)
			}
			if f.Role == catalog.RoleExtra { // a provider extension no field sets
				in.Set(n, `{"top_k_extra": 3}`)
			}
		default: // texts
			in.Set(n, "Tell me a \"story\" about `ticks` and \\slashes.")
			if f.Transform == catalog.TransformToolChoice {
				in.Set(n, "auto")
			}
		}
	}
	return in
}

// number is a valid value of a number field.
func number(f catalog.Field) string {
	v := 64.0
	switch {
	case f.Min != nil && f.Max != nil:
		v = (*f.Min + *f.Max) / 2
	case f.Min != nil:
		v = *f.Min + 1
	}
	if f.Type == catalog.TypeInteger {
		return strconv.Itoa(int(v))
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// jsonOf holds a value of each JSON kind.
var jsonOf = map[string]string{
	"tools":           `[{"type":"function","function":{"name":"lookup","parameters":{"type":"object","properties":{}}}}]`,
	"logit_bias":      `{"1734": 5}`,
	"json_schema":     `{"name":"out","schema":{"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false},"strict":true}`,
	"response_format": `{"type":"json_object"}`,
	"audio":           `{"voice":"alloy","format":"wav"}`,
}

// hostile are requests whose body, headers and URL hold what breaks
// quoting: quotes, backslashes, $, backticks, newlines, control
// characters, non-BMP characters, </script>, a carriage return, U+2028.
func hostileCases() []testCase {
	bodies := map[string]string{
		"quotes":        "{\n  \"prompt\": \"It's a \\\"test\\\" with 'single' quotes, ''' and \\\"\\\"\\\"\"\n}",
		"shell":         `{"prompt":"$HOME $(id) ${x} ` + "`id`" + ` ; rm -rf / && echo \\ \\\\"}`,
		"newlines":      "{\n\n  \"prompt\": \"one\\ntwo\",\n  \"stop\": [\"\\n\\n\"]\n}\n",
		"raw controls":  "{\"a\": \"\x01\x1b[31m\x7f\ttab\rcr\r\n\"}",
		"non-bmp":       `{"prompt":"héllo 世界 🙂 𝄞 ¥180 ` + "\u2028\u2029\ufeff\u00a0\u200b" + `"}`,
		"script":        `{"prompt":"</script><script>alert(1)</script> <!-- */ //"}`,
		"go raw breaks": "{\"prompt\": \"back`tick\"}",
		"trailing":      "{\"a\": \"ends with a backslash \\\\\"}\\",
		"empty":         "",
		"not utf-8":     "{\"a\": \"\xff\xfe\xc3\"}",
	}
	var out []testCase
	for name, body := range bodies {
		for _, stream := range []bool{false, true} {
			r := &request.Request{
				Method: "POST", BaseURL: "http://placeholder/it's/$HOME/`id`/{a,b}/[1-2]/v1", Path: "/chat/completions",
				Header: []request.Header{{Name: "Content-Type", Value: "application/json"}},
				KeyEnv: "SNIPPET_TEST_KEY", Body: []byte(body), Stream: stream, Style: catalog.Chat,
			}
			if stream {
				r.Header = append(r.Header, request.Header{Name: "Accept", Value: "text/event-stream"})
			}
			out = append(out, testCase{name: "hostile body/" + name + "/stream=" + strconv.FormatBool(stream), r: r})
		}
	}
	// Headers: hostile literals, values HTTPie reads as escapes, secrets
	// made of text and variables; no Content-Type nor Accept (what the
	// clients add then is measured too); an unconfigured base URL.
	r := &request.Request{
		Method: "POST", BaseURLEnv: "SNIPPET_BASE_URL", Path: "/responses", KeyEnv: "SNIPPET_TEST_KEY",
		Header: []request.Header{
			{Name: "X-Title", Value: "It's \"mine\" $HOME `id` \\ 🙂 </script> é"},
			{Name: "X-Escapes", Value: `a\=b\:c\@d\;e\\f`},
			{Name: "X-Starts", Value: "=@:;x"},
			{Name: "X-Virtual-Key", Value: "vk-${SNIPPET_VIRTUAL}-'x'", Secret: true},
			{Name: "X-Route", Value: "${SNIPPET_ROUTE}", Secret: true},
		},
		Body: []byte(`{"model":"m","input":"hi","stream":true}`), Stream: true, Style: catalog.Responses,
	}
	secrets := map[string]string{"SNIPPET_VIRTUAL": "value-9", "SNIPPET_ROUTE": "route 9"}
	r = r.WithSecrets(map[string]string{"X-Virtual-Key": "vk-value-9-'x'", "X-Route": "route 9"})
	out = append(out, testCase{name: "hostile headers/stream", r: r, env: secrets})
	nr := *r
	nr.Stream, nr.Body = false, []byte(`{"model":"m","input":"hi"}`)
	out = append(out, testCase{name: "hostile headers/answer", r: nr.WithSecrets(map[string]string{"X-Virtual-Key": "vk-value-9-'x'", "X-Route": "route 9"}), env: secrets})
	cr := &request.Request{Method: "POST", BaseURL: "http://placeholder/v1", Path: "/completions", KeyEnv: "SNIPPET_TEST_KEY",
		Header: []request.Header{{Name: "Content-Type", Value: "application/json"}}, Body: []byte(`{"model":"m","prompt":"hi"}`), Style: catalog.Completions}
	out = append(out, testCase{name: "completions/answer", r: cr})
	return out
}
