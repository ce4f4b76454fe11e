package snippet

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/request"
)

// goOpenAINote is what the openai-go client (v3.102.0) does of itself,
// read from its source: requestconfig.NewRequestConfig sets MaxRetries 2,
// shouldRetry and retryDelay say when and how long, the default HTTP
// client has only a response-header timeout, DefaultClientOptions reads
// the environment.
const goOpenAINote = "It retries twice on connection errors, 408, 409, 429 and 5xx answers " +
	"(after about 0.5 s and 1 s, or the Retry-After the server asks, up to 2 minutes) and sets no timeout " +
	"but 10 minutes for the answer's headers. NewClient also reads OPENAI_ORG_ID, OPENAI_PROJECT_ID and " +
	"OPENAI_CUSTOM_HEADERS from the environment: set, they add headers."

// goSDK is what the openai-go snippet calls for one API style.
type goSDK struct {
	// service is the client's field ("client.Chat.Completions"), params
	// the body's type and chunk a streamed event's.
	service, params, chunk string
	// pkg is the SDK package params and chunk are in, beyond openai.
	pkg string
	// knows are the JSON names of params' fields (those json.Unmarshal
	// fills); the test checks them against the SDK.
	knows []string
	// typedLists are fields of knows whose list items its JSON reader
	// reads only with a "type" (the API takes them without): such a list
	// is dropped whole, so one with an untyped item is set as written.
	typedLists []string
	// streamText prints a streamed event's text; answerText sets text to
	// an answer's.
	streamText, answerText string
}

var goSDKs = map[catalog.Style]goSDK{
	catalog.Chat: {service: "client.Chat.Completions", params: "openai.ChatCompletionNewParams", chunk: "openai.ChatCompletionChunk",
		knows: []string{"messages", "model", "frequency_penalty", "logprobs", "max_completion_tokens", "max_tokens", "n",
			"presence_penalty", "prompt_cache_key", "safety_identifier", "seed", "store", "temperature", "top_logprobs", "top_p",
			"parallel_tool_calls", "user", "audio", "logit_bias", "metadata", "modalities", "moderation", "prompt_cache_retention",
			"reasoning_effort", "service_tier", "stop", "stream_options", "verbosity", "function_call", "functions", "prediction",
			"prompt_cache_options", "response_format", "tool_choice", "tools", "web_search_options"},
		streamText: "\t\tfor _, c := range stream.Current().Choices {\n\t\t\tfmt.Print(c.Delta.Content)\n\t\t}\n",
		answerText: "\tvar text string\n\tif len(answer.Choices) > 0 {\n\t\ttext = answer.Choices[0].Message.Content\n\t}\n"},
	catalog.Completions: {service: "client.Completions", params: "openai.CompletionNewParams", chunk: "openai.Completion",
		knows: []string{"prompt", "model", "best_of", "echo", "frequency_penalty", "logprobs", "max_tokens", "n",
			"presence_penalty", "seed", "suffix", "temperature", "top_p", "user", "logit_bias", "stop", "stream_options"},
		streamText: "\t\tfor _, c := range stream.Current().Choices {\n\t\t\tfmt.Print(c.Text)\n\t\t}\n",
		answerText: "\tvar text string\n\tif len(answer.Choices) > 0 {\n\t\ttext = answer.Choices[0].Text\n\t}\n"},
	catalog.Responses: {service: "client.Responses", params: "responses.ResponseNewParams", chunk: "responses.ResponseStreamEventUnion",
		pkg: "github.com/openai/openai-go/v3/responses",
		knows: []string{"background", "instructions", "max_output_tokens", "max_tool_calls", "parallel_tool_calls",
			"previous_response_id", "prompt_cache_key", "safety_identifier", "store", "temperature", "top_logprobs", "top_p", "user",
			"context_management", "conversation", "include", "metadata", "moderation", "prompt", "prompt_cache_retention",
			"service_tier", "stream_options", "truncation", "access_programs", "background_options", "image", "input", "model",
			"prompt_cache_options", "reasoning", "text", "tool_choice", "tools"},
		typedLists: []string{"input"},
		// OutputText joins the output_text parts of the answer's items
		// (a reasoning item has none).
		streamText: "\t\tif event := stream.Current(); event.Type == \"response.output_text.delta\" {\n\t\t\tfmt.Print(event.Delta)\n\t\t}\n",
		answerText: "\ttext := answer.OutputText()\n"},
}

// reads reports whether the SDK's params read f as written.
func (sdk goSDK) reads(f field) bool {
	if !slices.Contains(sdk.knows, f.key) {
		return false
	}
	if !slices.Contains(sdk.typedLists, f.key) {
		return true
	}
	var items []map[string]json.RawMessage
	if json.Unmarshal(f.raw, &items) != nil {
		return true // not a list of objects
	}
	return !slices.ContainsFunc(items, func(item map[string]json.RawMessage) bool { return item["type"] == nil })
}

// field is one top-level field of a JSON body, as written.
type field struct {
	key string
	raw []byte
}

// topLevel splits body, a JSON object, into its fields in order; ok is
// false when body is not valid UTF-8 JSON, not an object, repeats a key or
// has a key request options cannot name plainly (see plainKey).
func topLevel(body []byte) (fields []field, ok bool) {
	if !utf8.Valid(body) || !json.Valid(body) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		key, isKey := t.(string)
		if err != nil || !isKey || seen[key] || !plainKey(key) {
			return nil, false
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, false
		}
		fields = append(fields, field{key, raw})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return fields, true
}

// plainKey reports whether key needs no escaping as a path of
// option.WithJSONSet (sjson's syntax gives '.', ':', '*', '?', '|', '#',
// '@' and '\' meanings, and a number indexes an array): letters, digits,
// '_' and '-', not starting with a digit.
func plainKey(key string) bool {
	if key == "" || (key[0] >= '0' && key[0] <= '9') {
		return false
	}
	for _, c := range key {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// renderGoOpenAI is a package main calling the openai-go SDK (v3), runnable
// with go run in a module that requires it. A JSON object body is read
// into the style's params (json.Unmarshal), and the fields they have no
// field for are set on the request as written (option.WithJSONSet); any
// other body, and a stream whose body does not say "stream": true (the
// SDK's NewStreaming would add it), is sent as it is
// (option.WithRequestBody).
func renderGoOpenAI(r *request.Request) string {
	sdk := goSDKs[r.Style]
	fields, object := topLevel(r.Body)
	typed := object
	streamSaid := slices.ContainsFunc(fields, func(f field) bool { return f.key == "stream" && string(f.raw) == "true" })
	if r.Stream && !streamSaid {
		typed = false
	}
	imports := []string{"context", "fmt", "os", "github.com/openai/openai-go/v3", "github.com/openai/openai-go/v3/option"}
	if sdk.pkg != "" {
		imports = append(imports, sdk.pkg)
	}
	if typed {
		imports = append(imports, "encoding/json")
	}
	if r.Stream && !typed {
		imports = append(imports, "net/http", "github.com/openai/openai-go/v3/packages/ssestream")
	}

	var b strings.Builder
	b.WriteString("// Command playground-openai sends the playground's request with the openai-go SDK.\n")
	b.WriteString("// Run it in a module that requires github.com/openai/openai-go/v3: go run playground-openai.go\n")
	b.WriteString("package main\n\nimport (\n")
	for _, i := range imports {
		if strings.Contains(i, ".") {
			continue
		}
		b.WriteString("\t" + strconv.Quote(i) + "\n")
	}
	b.WriteString("\n")
	for _, i := range imports {
		if strings.Contains(i, ".") {
			b.WriteString("\t" + strconv.Quote(i) + "\n")
		}
	}
	b.WriteString(")\n\n")
	b.WriteString("const body = " + GoString(string(r.Body)) + "\n\n")
	b.WriteString("func main() {\n\tclient := openai.NewClient(\n")
	if r.KeyEnv != "" {
		b.WriteString("\t\toption.WithAPIKey(os.Getenv(" + strconv.Quote(r.KeyEnv) + ")),\n")
	} else {
		b.WriteString("\t\toption.WithAPIKey(\"\"), // the provider takes no key\n")
	}
	b.WriteString("\t\toption.WithBaseURL(" + goValue.of(baseOf(r)) + "),\n")
	contentType := `"application/json"`
	hs := headersOf(r)
	if r.KeyEnv != "" {
		hs = hs[1:] // Authorization, from WithAPIKey
	}
	for _, h := range hs {
		if strings.EqualFold(h.name, "Content-Type") {
			if !typed {
				contentType = goValue.of(h.value)
				continue // WithRequestBody's
			}
			if s, ok := h.value.literal(); ok && s == "application/json" {
				continue // the SDK sends it with a JSON body
			}
		}
		b.WriteString("\t\toption.WithHeader(" + strconv.Quote(h.name) + ", " + goValue.of(h.value) + "),\n")
	}
	b.WriteString("\t)\n")

	opts, params := "", sdk.params+"{}"
	if typed {
		params = "params"
		b.WriteString("\t// The body, read into the SDK's params.\n")
		b.WriteString("\tvar params " + sdk.params + "\n")
		b.WriteString("\tif err := json.Unmarshal([]byte(body), &params); err != nil {\n\t\tfail(err)\n\t}\n")
		var extra []field
		for _, f := range fields {
			if !sdk.reads(f) && !(r.Stream && f.key == "stream") {
				extra = append(extra, f)
			}
		}
		if len(extra) > 0 {
			b.WriteString("\t// The fields the params have no field for, set on the request as written.\n")
			for _, f := range extra {
				if slices.Contains(sdk.knows, f.key) {
					b.WriteString("\t// So is " + f.key + ": the params' JSON reader drops a list with an item\n")
					b.WriteString("\t// without \"type\", which the API takes.\n")
				}
			}
			b.WriteString("\textra := []option.RequestOption{\n")
			for _, f := range extra {
				b.WriteString("\t\toption.WithJSONSet(" + strconv.Quote(f.key) + ", json.RawMessage(" + GoString(string(f.raw)) + ")),\n")
			}
			b.WriteString("\t}\n")
			opts = ", extra..."
		}
	} else {
		why := "The body is not a JSON object the SDK's params can hold"
		if object {
			why = "The body streams without saying \"stream\": true, which NewStreaming would add"
		}
		b.WriteString("\t// " + why + ": it is sent as it is.\n")
		opts = ", option.WithRequestBody(" + contentType + ", []byte(body))"
	}

	ctx := "context.Background()"
	switch {
	case r.Stream && typed:
		b.WriteString("\tstream := " + sdk.service + ".NewStreaming(" + ctx + ", " + params + opts + ")\n")
	case r.Stream:
		b.WriteString("\tvar raw *http.Response\n")
		b.WriteString("\t_, err := " + sdk.service + ".New(" + ctx + ", " + params + opts + ", option.WithResponseBodyInto(&raw))\n")
		b.WriteString("\tstream := ssestream.NewStream[" + sdk.chunk + "](ssestream.NewDecoder(raw), err)\n")
	default:
		b.WriteString("\tanswer, err := " + sdk.service + ".New(" + ctx + ", " + params + opts + ")\n")
		b.WriteString("\tif err != nil {\n\t\tfail(err)\n\t}\n")
	}
	if r.Stream {
		b.WriteString("\tfor stream.Next() {\n" + sdk.streamText + "\t}\n")
		b.WriteString("\tif err := stream.Err(); err != nil {\n\t\tfail(err)\n\t}\n\tfmt.Println()\n")
	} else {
		b.WriteString(sdk.answerText)
		b.WriteString("\tif text == \"\" {\n\t\ttext = answer.RawJSON()\n\t}\n\tfmt.Println(text)\n")
	}
	return endGo(&b)
}

// baseOf is r's base URL: literal, or its variable's value when
// unconfigured.
func baseOf(r *request.Request) value {
	if r.BaseURL != "" {
		return lit(r.BaseURL)
	}
	return value{{text: r.BaseURLEnv, env: true}}
}
