package snippet

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/request"
)

// renderJS is an ES module using fetch, for Node 18+ (in a browser,
// process.env and process.stdout are Node's: replace those two).
func renderJS(r *request.Request) string {
	var b strings.Builder
	b.WriteString("// Sends the playground's request with fetch. Run: node playground.mjs (Node 18+).\n")
	helper, entries := jsHeaders(headersOf(r), "  ")
	b.WriteString(helper)
	b.WriteString("const url = " + jsValue.of(urlOf(r)) + ";\n")
	b.WriteString("const headers = {\n" + entries + "};\n")
	init := "{ method: " + JSString(method(r)) + ", headers"
	if r.Body != nil {
		if utf8.Valid(r.Body) {
			b.WriteString("const body = " + JSTemplate(string(r.Body)) + ";\n")
		} else { // not text: its bytes
			b.WriteString("const body = Uint8Array.from(atob(\"" + base64.StdEncoding.EncodeToString(r.Body) + "\"), (c) => c.charCodeAt(0));\n")
		}
		init += ", body"
	}
	b.WriteString("\nconst res = await fetch(url, " + init + " });\n")
	b.WriteString("if (!res.ok) {\n  console.error(`HTTP ${res.status}: ${await res.text()}`);\n  process.exit(1);\n}\n")
	if r.Stream {
		b.WriteString(`const reader = res.body.getReader();
const decoder = new TextDecoder();
let rest = "";
read: for (;;) {
  const { done, value } = await reader.read();
  if (done) break;
  rest += decoder.decode(value, { stream: true });
  const lines = rest.split(/\r?\n/);
  rest = lines.pop();
  for (const line of lines) {
    if (!line.startsWith("data:")) continue;
    const data = line.slice(5).trim();
    if (data === "[DONE]") break read;
    const event = JSON.parse(data);
`)
		b.WriteString("    const text = " + jsStreamText[r.Style] + ";\n")
		b.WriteString("    process.stdout.write(text);\n  }\n}\nprocess.stdout.write(\"\\n\");\n")
	} else {
		b.WriteString("const answer = await res.json();\n")
		b.WriteString(jsAnswerText[r.Style])
		b.WriteString("console.log(text || JSON.stringify(answer, null, 2));\n")
	}
	return b.String()
}

// jsValue writes values as JavaScript: process.env.VAR ?? "" is "" when
// VAR is unset, as in the shell.
var jsValue = joiner{quote: JSString, env: func(v string) string { return "(process.env[" + JSString(v) + "] ?? \"\")" }, empty: `""`}

// jsHeaders are hs as the entries of a JavaScript object, each line
// starting with indent, and the helper they need first: header values are
// byte strings, so text beyond ASCII is given as its UTF-8 bytes by utf8,
// which helper then defines ("" when none needs it).
func jsHeaders(hs []header, indent string) (helper, entries string) {
	var b strings.Builder
	for _, h := range hs {
		v := jsValue.of(h.value)
		if h.value.nonASCII() {
			v = "utf8(" + v + ")"
			helper = "// Header values are byte strings: utf8 sends text as its UTF-8 bytes.\n" +
				"const utf8 = (s) => String.fromCharCode(...new TextEncoder().encode(s));\n"
		}
		b.WriteString(indent + JSString(h.name) + ": " + v + ",\n")
	}
	return helper, b.String()
}

// jsStreamText is an event's text, by API style.
var jsStreamText = map[catalog.Style]string{
	catalog.Chat:        "(event.choices ?? []).map((c) => c.delta?.content ?? \"\").join(\"\")",
	catalog.Completions: "(event.choices ?? []).map((c) => c.text ?? \"\").join(\"\")",
	catalog.Responses:   "event.type === \"response.output_text.delta\" ? event.delta : \"\"",
}

// jsAnswerText sets text to a whole answer's text, by API style.
var jsAnswerText = map[catalog.Style]string{
	catalog.Chat:        "const text = answer.choices?.[0]?.message?.content;\n",
	catalog.Completions: "const text = answer.choices?.[0]?.text;\n",
	catalog.Responses: "const text = answer.output_text ?? (answer.output ?? [])\n" +
		"  .filter((item) => item.type === \"message\")\n" +
		"  .flatMap((item) => item.content ?? [])\n" +
		"  .filter((part) => part.type === \"output_text\")\n" +
		"  .map((part) => part.text)\n" +
		"  .join(\"\");\n",
}

// JSString is s as a double-quoted JavaScript string literal that reads
// back as s. Non-printable characters are escaped, and so is the slash of
// "</" so that the code can sit in a <script> element. s must be valid
// UTF-8.
func JSString(s string) string { return jsQuote(s, '"') }

// JSTemplate is s as a JavaScript template literal that reads back as s:
// newlines stay (the body reads as it is sent), a backtick, a backslash
// and every $ are escaped, and so is a carriage return, which a template
// literal would otherwise read as a newline.
func JSTemplate(s string) string { return jsQuote(s, '`') }

func jsQuote(s string, q rune) string {
	var b strings.Builder
	b.WriteRune(q)
	prev := rune(0)
	for _, c := range s {
		switch {
		case c == q || c == '\\' || (q == '`' && c == '$'):
			b.WriteByte('\\')
			b.WriteRune(c)
		case c == '/' && prev == '<':
			b.WriteString(`\/`)
		case c == '\n' && q == '`':
			b.WriteByte('\n')
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\u2028', c == '\u2029':
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			writeRune(&b, c, `\u{%x}`)
		}
		prev = c
	}
	b.WriteRune(q)
	return b.String()
}
