package snippet

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/request"
)

// renderPython is a Python 3 script using requests.
func renderPython(r *request.Request) string {
	var b strings.Builder
	b.WriteString("#!/usr/bin/env python3\n")
	b.WriteString("# Sends the playground's request with requests (pip install requests; Debian: python3-requests).\n")
	b.WriteString("import json\nimport os\nimport sys\n\nimport requests\n\n")
	b.WriteString("url = " + pyValue.of(urlOf(r)) + "\n")
	b.WriteString("headers = {\n")
	for _, h := range headersOf(r) {
		v := pyValue.of(h.value)
		if h.value.nonASCII() {
			v += ".encode()" // sent as UTF-8 bytes, as the playground does
		}
		b.WriteString("    " + PyString(h.name) + ": " + v + ",\n")
	}
	b.WriteString("}\n")
	data := "None"
	if r.Body != nil {
		b.WriteString("body = " + pyBody(r.Body) + "\n")
		data = "body"
	}
	call := "requests.post(url"
	if m := method(r); m != "POST" {
		call = "requests.request(" + PyString(m) + ", url"
	}
	stream := ""
	if r.Stream {
		stream = ", stream=True"
	}
	fmt.Fprintf(&b, "\nresp = %s, headers=headers, data=%s%s)\n", call, data, stream)
	b.WriteString("if not resp.ok:\n    sys.exit(f\"HTTP {resp.status_code}: {resp.text}\")\n")
	if r.Stream {
		b.WriteString(`for line in resp.iter_lines(chunk_size=None):
    if not line.startswith(b"data:"):
        continue
    data = line[5:].strip()
    if data == b"[DONE]":
        break
    event = json.loads(data)
`)
		b.WriteString(pyStreamText[r.Style])
		b.WriteString("    print(text, end=\"\", flush=True)\nprint()\n")
	} else {
		b.WriteString("answer = resp.json()\n")
		b.WriteString(pyAnswerText[r.Style])
		b.WriteString("print(text if text else json.dumps(answer, indent=2))\n")
	}
	return b.String()
}

// pyValue writes values as Python: os.environ.get(VAR, ”) is "" when
// VAR is unset, as in the shell.
var pyValue = joiner{quote: PyString, env: func(v string) string { return "os.environ.get(" + PyString(v) + ", '')" }, empty: "''"}

// pyStreamText sets text to an event's text, by API style.
var pyStreamText = map[catalog.Style]string{
	catalog.Chat:        "    text = \"\".join((c.get(\"delta\") or {}).get(\"content\") or \"\" for c in event.get(\"choices\") or [])\n",
	catalog.Completions: "    text = \"\".join(c.get(\"text\") or \"\" for c in event.get(\"choices\") or [])\n",
	catalog.Responses:   "    text = event.get(\"delta\", \"\") if event.get(\"type\") == \"response.output_text.delta\" else \"\"\n",
}

// pyAnswerText sets text to a whole answer's text, by API style.
var pyAnswerText = map[catalog.Style]string{
	catalog.Chat:        "text = ((answer.get(\"choices\") or [{}])[0].get(\"message\") or {}).get(\"content\")\n",
	catalog.Completions: "text = (answer.get(\"choices\") or [{}])[0].get(\"text\")\n",
	catalog.Responses: "text = answer.get(\"output_text\") or \"\".join(\n" +
		"    part.get(\"text\", \"\")\n" +
		"    for item in answer.get(\"output\") or [] if item.get(\"type\") == \"message\"\n" +
		"    for part in item.get(\"content\") or [] if part.get(\"type\") == \"output_text\"\n)\n",
}

// pyBody is the body as a parenthesized run of string literals, one per
// line of it, encoded to UTF-8 (a bytes literal when it is not UTF-8).
func pyBody(body []byte) string {
	ls := lines(string(body))
	if len(ls) == 0 {
		return `b""`
	}
	quote, suffix := PyString, ".encode()"
	if !utf8.Valid(body) {
		quote, suffix = PyBytes, ""
	}
	if len(ls) == 1 {
		return quote(ls[0]) + suffix
	}
	var b strings.Builder
	b.WriteString("(\n")
	for _, l := range ls {
		b.WriteString("    " + quote(l) + "\n")
	}
	return b.String() + ")" + suffix
}

// PyString is s as a Python str literal that reads back as s: single
// quotes (JSON is full of double ones), backslash escapes for the quote,
// the backslash and every character that is not printable. s must be
// valid UTF-8 (invalid bytes become U+FFFD).
func PyString(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, c := range s {
		switch {
		case c == '\'' || c == '\\':
			b.WriteByte('\\')
			b.WriteRune(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		default:
			writeRune(&b, c, `\U%08x`)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// PyBytes is s as a Python bytes literal holding its bytes.
func PyBytes(s string) string {
	var b strings.Builder
	b.WriteString("b'")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\x%02x`, c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}
