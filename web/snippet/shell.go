package snippet

import (
	"strings"

	"github.com/playground-dev/playground/web/curl"
	"github.com/playground-dev/playground/web/request"
)

// renderCurl is web/curl's command as a bash script.
func renderCurl(r *request.Request) string {
	return "#!/usr/bin/env bash\n" + keyComment(r, "curl") + curl.Render(r) + "\n"
}

// renderHTTPie is a bash script calling HTTPie's http. The body goes in on
// stdin from printf, a builtin (so no argument-length limit), byte for
// byte; headers the playground does not send and HTTPie would add by
// default (Accept, Content-Type) are unset with "Name:".
func renderHTTPie(r *request.Request) string {
	var b strings.Builder
	b.WriteString("#!/usr/bin/env bash\n" + keyComment(r, "HTTPie (Debian: apt install httpie)"))
	head := []string{"http", "--check-status", "--print=b"}
	if r.Body != nil {
		b.WriteString("printf %s " + curl.Quote(string(r.Body)) + " |\n  ")
	} else {
		head = append(head, "--ignore-stdin")
	}
	if r.Stream {
		head = append(head, "--stream")
	}
	b.WriteString(strings.Join(append(head, method(r), shellValue(urlOf(r))), " "))
	for _, h := range headersOf(r) {
		b.WriteString(" \\\n  " + httpieHeader(h))
	}
	for _, name := range []string{"Accept", "Content-Type"} {
		if !hasHeader(r, name) {
			b.WriteString(" \\\n  " + curl.Quote(name+":"))
		}
	}
	b.WriteString("\n")
	return b.String()
}

// httpieHeader is one header item. HTTPie reads a backslash before any of
// its separators (: = @ ;) as an escape, so a literal value holding a
// backslash, or starting with a separator, is passed as a file
// ("Name:@file") from printf; an empty one is "Name;".
func httpieHeader(h header) string {
	if s, ok := h.value.literal(); ok {
		switch {
		case s == "":
			return curl.Quote(h.name + ";")
		case strings.Contains(s, `\`) || strings.ContainsAny(s[:1], ":=@;"):
			return curl.Quote(h.name+":@") + "<(printf %s " + curl.Quote(s) + ")"
		}
	}
	return shellValue(append(lit(h.name+":"), h.value...))
}

// shellValue is v as one bash word: literal text single-quoted, variables
// double-quoted.
func shellValue(v value) string {
	var b, text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			b.WriteString(curl.Quote(text.String()))
			text.Reset()
		}
	}
	for _, p := range v {
		if p.env {
			flush()
			b.WriteString(`"$` + p.text + `"`)
		} else {
			text.WriteString(p.text)
		}
	}
	flush()
	if b.Len() == 0 {
		return "''"
	}
	return b.String()
}

// keyComment is the scripts' first comment.
func keyComment(r *request.Request, with string) string {
	c := "# Sends the playground's request with " + with
	if r.KeyEnv != "" {
		c += "; reads the key from $" + r.KeyEnv
	}
	return c + ".\n"
}
