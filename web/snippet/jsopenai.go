package snippet

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/request"
)

// jsOpenAIAdds are the headers the openai npm package (7.59) sends by
// itself, with those of Node's fetch under it: measured by
// TestJSOpenAISnippetSendsAnEqualRequest.
var jsOpenAIAdds = append(always(
	"User-Agent", "X-Stainless-Arch", "X-Stainless-Lang", "X-Stainless-OS", "X-Stainless-Package-Version",
	"X-Stainless-Retry-Count", "X-Stainless-Runtime", "X-Stainless-Runtime-Version",
	"Accept-Encoding", "Accept-Language", "Connection", "Sec-Fetch-Mode"),
	unlessSet("Accept"), unlessSet("Content-Type"))

// jsOpenAINote is what the SDK does of itself, read in openai 7.59's
// client: maxRetries 2 by default, shouldRetry (connection errors, 408,
// 409, 429, 5xx), DEFAULT_TIMEOUT of 10 minutes per attempt, and the
// headers of OPENAI_CUSTOM_HEADERS added to defaultHeaders.
const jsOpenAINote = "It retries twice on connection errors and on 408, 409, 429 and 5xx answers, " +
	"an attempt times out after 10 minutes, and it adds the headers in OPENAI_CUSTOM_HEADERS when that is set."

// jsOpenAICall is the SDK's method for each API style.
var jsOpenAICall = map[catalog.Style]string{
	catalog.Chat:        "client.chat.completions.create",
	catalog.Completions: "client.completions.create",
	catalog.Responses:   "client.responses.create",
}

// renderJSOpenAI is an ES module calling the official openai npm package.
// The SDK sends the body it is given as JSON, the parameters it does not
// know among them, so the body is the playground's, read with JSON.parse
// (which keeps every string as it is; an object literal would read a
// "__proto__" key as the prototype), with a reviver keeping the digits of
// integers beyond 2^53 when there are any. It streams when the body's stream is
// true, as the SDK decides.
func renderJSOpenAI(r *request.Request) string {
	var b strings.Builder
	b.WriteString("// Sends the playground's request with the openai SDK (version 7 supports Node 22+).\n")
	b.WriteString("// Run: npm install openai && node playground-openai.mjs\n")
	call, known := jsOpenAICall[r.Style]
	if !known || !jsonObject(r.Body) {
		b.WriteString("// The SDK sends a JSON object as the body, and this request's body is not one (or its API\n")
		b.WriteString("// is not one the SDK has): send it as it is with the fetch snippet, playground.mjs.\n")
		b.WriteString("console.error(\"The SDK cannot send this request: use the fetch snippet, playground.mjs.\");\nprocess.exit(1);\n")
		return b.String()
	}
	b.WriteString("import OpenAI from \"openai\";\n\n")
	hs := headersOf(r)
	key := jsValue.of(lit("none"))
	if r.KeyEnv != "" { // the SDK writes it as Authorization: Bearer …
		key, hs = jsValue.of(value{{text: r.KeyEnv, env: true}}), hs[1:]
	}
	helper, entries := jsHeaders(hs, "    ")
	if r.KeyEnv == "" {
		entries = "    \"Authorization\": null, // the provider takes no key\n" + entries
	}
	b.WriteString(helper)
	base := JSString(r.BaseURL)
	if r.BaseURL == "" {
		// Unset, the SDK would send the key to api.openai.com.
		base = "process.env[" + JSString(r.BaseURLEnv) + "]"
		b.WriteString("if (!" + base + ") {\n  console.error(" + JSString("Set "+r.BaseURLEnv+" to the provider's base URL.") + ");\n  process.exit(1);\n}\n")
	}
	b.WriteString("const client = new OpenAI({\n")
	b.WriteString("  apiKey: " + key + ",\n")
	b.WriteString("  baseURL: " + base + ",\n")
	b.WriteString("  organization: null, // not OPENAI_ORG_ID's\n  project: null, // not OPENAI_PROJECT_ID's\n")
	if entries != "" {
		b.WriteString("  defaultHeaders: {\n" + entries + "  },\n")
	}
	b.WriteString("});\n")
	if bigIntegers(r.Body) {
		b.WriteString("// Integers beyond 2^53 keep their digits: JSON.rawJSON writes them as written (Node 21+).\n")
		b.WriteString("const exact = (key, value, context) =>\n")
		b.WriteString("  typeof value === \"number\" && !Number.isSafeInteger(value) ? JSON.rawJSON(context.source) : value;\n")
		b.WriteString("const body = JSON.parse(" + JSTemplate(string(r.Body)) + ", exact);\n\n")
	} else {
		b.WriteString("const body = JSON.parse(" + JSTemplate(string(r.Body)) + ");\n\n")
	}
	if bodyStreams(r.Body) {
		b.WriteString("const stream = await " + call + "(body);\n")
		b.WriteString("for await (const event of stream) {\n")
		b.WriteString("  const text = " + jsStreamText[r.Style] + ";\n")
		b.WriteString("  process.stdout.write(text);\n}\nprocess.stdout.write(\"\\n\");\n")
	} else {
		b.WriteString("const answer = await " + call + "(body);\n")
		b.WriteString(jsAnswerText[r.Style])
		b.WriteString("console.log(text || JSON.stringify(answer, null, 2));\n")
	}
	return b.String()
}

// jsonObject reports whether body is one JSON object.
func jsonObject(body []byte) bool {
	return json.Valid(body) && bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("{"))
}

// bodyStreams reports whether the JSON object body asks for a stream
// ("stream": true), which is how the SDKs decide to read one.
func bodyStreams(body []byte) bool {
	var o map[string]json.RawMessage // its keys exactly, as JavaScript reads them
	return json.Unmarshal(body, &o) == nil && string(o["stream"]) == "true"
}

// bigIntegers reports whether the JSON body holds an integer that a
// JavaScript number cannot hold exactly (beyond 2^53), which JSON.parse
// alone would round.
func bigIntegers(body []byte) bool {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	for {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		n, ok := tok.(json.Number)
		if !ok || strings.ContainsAny(n.String(), ".eE") {
			continue
		}
		if i, err := n.Int64(); err != nil || i > 1<<53 || i < -(1<<53) {
			return true
		}
	}
}
