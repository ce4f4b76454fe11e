package snippet

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/request"
)

// pyClient is what differs between the Python HTTP libraries: how to
// install and import it, how to send (streamed or not) and how to stop on
// an error status. The rest of a Python snippet is shared.
type pyClient struct {
	// install is the comment line saying how to get it.
	install, module string
	// send writes the call sending r with body data; a stream sent in a
	// with block also writes the block's error check (indent is then
	// the block's).
	send func(b *strings.Builder, r *request.Request, data string)
	// failed is the condition of an error status; iterLines reads a
	// stream's lines, whose prefix literals are of type lines ("b" for
	// bytes, "" for str).
	failed, iterLines, lines, indent string
}

// requestsClient sends with requests.
var requestsClient = pyClient{
	install: "# Sends the playground's request with requests (pip install requests; Debian: python3-requests).\n",
	module:  "requests",
	send: func(b *strings.Builder, r *request.Request, data string) {
		call := "requests.post(url"
		if m := method(r); m != "POST" {
			call = "requests.request(" + PyString(m) + ", url"
		}
		stream := ""
		if r.Stream {
			stream = ", stream=True"
		}
		fmt.Fprintf(b, "\nresp = %s, headers=headers, data=%s%s)\n", call, data, stream)
	},
	failed: "not resp.ok", iterLines: "resp.iter_lines(chunk_size=None)", lines: "b",
}

// httpxClient sends with httpx, without its default 5 s timeout (as
// requests and the playground wait for a slow model); a stream in a
// with block, as httpx.stream wants.
var httpxClient = pyClient{
	install: "# Sends the playground's request with httpx (pip install httpx; Debian: python3-httpx).\n",
	module:  "httpx",
	send: func(b *strings.Builder, r *request.Request, data string) {
		m := method(r)
		args := ", headers=headers, content=" + data + ", timeout=None)"
		switch {
		case r.Stream:
			b.WriteString("\nwith httpx.stream(" + PyString(m) + ", url" + args + " as resp:\n")
			b.WriteString("    if resp.is_error:\n        resp.read()\n        sys.exit(f\"HTTP {resp.status_code}: {resp.text}\")\n")
		case m == "POST":
			b.WriteString("\nresp = httpx.post(url" + args + "\n")
		default:
			b.WriteString("\nresp = httpx.request(" + PyString(m) + ", url" + args + "\n")
		}
	},
	failed: "resp.is_error", iterLines: "resp.iter_lines()", indent: "    ",
}

// renderPython is a Python 3 script using requests.
func renderPython(r *request.Request) string { return pyScript(requestsClient, r) }

// renderHttpx is a Python 3 script using httpx.
func renderHttpx(r *request.Request) string { return pyScript(httpxClient, r) }

// pyScript is the Python 3 script sending r with client c.
func pyScript(c pyClient, r *request.Request) string {
	var b strings.Builder
	b.WriteString("#!/usr/bin/env python3\n")
	b.WriteString(c.install)
	b.WriteString("import json\nimport os\nimport sys\n\nimport " + c.module + "\n\n")
	b.WriteString("url = " + pyValue.of(urlOf(r)) + "\n")
	b.WriteString("headers = {\n")
	for _, h := range headersOf(r) {
		b.WriteString("    " + PyString(h.name) + ": " + pyHeader(h.value) + ",\n")
	}
	b.WriteString("}\n")
	data := "None"
	if r.Body != nil {
		b.WriteString("body = " + pyBody(r.Body) + "\n")
		data = "body"
	}
	c.send(&b, r, data)
	if r.Stream {
		if c.indent == "" {
			b.WriteString("if " + c.failed + ":\n    sys.exit(f\"HTTP {resp.status_code}: {resp.text}\")\n")
		}
		loop := "for line in " + c.iterLines + ":\n" + `    if not line.startswith(` + c.lines + `"data:"):
        continue
    data = line[5:].strip()
    if data == ` + c.lines + `"[DONE]":
        break
    event = json.loads(data)
` + pyStreamText[r.Style] + "    print(text, end=\"\", flush=True)\n"
		for _, l := range lines(loop) {
			b.WriteString(c.indent + l)
		}
		b.WriteString("print()\n")
	} else {
		b.WriteString("if " + c.failed + ":\n    sys.exit(f\"HTTP {resp.status_code}: {resp.text}\")\n")
		b.WriteString("answer = resp.json()\n")
		b.WriteString(pyAnswerText[r.Style])
		b.WriteString("print(text if text else json.dumps(answer, indent=2))\n")
	}
	return b.String()
}

// pyHeader is a header's value as Python: a literal beyond ASCII as its
// UTF-8 bytes, as the playground sends it (requests would send Latin-1,
// httpx refuses a str that is not ASCII).
func pyHeader(v value) string {
	if v.nonASCII() {
		return pyValue.of(v) + ".encode()"
	}
	return pyValue.of(v)
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
