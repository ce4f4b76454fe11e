// Package snippet renders an upstream request as runnable code in the forms
// people paste: a curl or HTTPie shell script, Python with requests,
// JavaScript with fetch and Go with net/http. Each sends the bytes the
// playground sends (the body byte for byte, the same path and headers) plus
// only the headers its client adds by itself, listed in AlsoSends. Keys and
// secret headers' variables are read from the environment, never written
// into the code; an unconfigured base URL is read from its variable too.
package snippet

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/request"
)

// Snippet is one request rendered as code.
type Snippet struct {
	// Lang is the id: curl, httpie, python, js or go.
	Lang string
	// Label names it for a person ("Python (requests)").
	Label string
	// File is the name to save it under (playground.py).
	File string
	// AlsoSends are the headers the client adds by itself, beyond those the
	// playground sends (canonical names, sorted); Host and Content-Length,
	// which every client sends, are not listed.
	AlsoSends []string
	// SDK: the snippet calls an official SDK, which sends an equal request
	// (the same JSON value, not the same bytes).
	SDK bool
	// Note says what else the client does of itself, for a person ("it
	// retries twice on errors"); "" for none.
	Note string
	Code string
}

// Info is a language's metadata, without code.
type Info struct {
	Lang, Label, File string
	// SDK: it calls an official SDK (see Snippet.SDK).
	SDK bool
}

// lang is one language: its metadata, the headers its client adds, what
// else it does of itself and how it renders.
type lang struct {
	Info
	adds   []added
	note   string
	render func(*request.Request) string
}

// added is a header a client adds by itself, unless the request has a
// header named unless ("" when it always adds it).
type added struct {
	name, unless string
}

// always and unlessSet build the tables below.
func always(names ...string) []added {
	out := make([]added, len(names))
	for i, n := range names {
		out[i] = added{name: n}
	}
	return out
}

func unlessSet(name string) added { return added{name: name, unless: name} }

// langs lists the languages in the order they are offered. The headers
// each client adds are measured by the execution tests (TestSnippetsSend…).
var langs = []lang{
	{Info: Info{"curl", "curl", "playground.sh", false},
		adds: append(always("User-Agent"), unlessSet("Accept"), unlessSet("Content-Type")), render: renderCurl},
	{Info: Info{"httpie", "HTTPie", "playground-httpie.sh", false},
		adds: always("Accept-Encoding", "Connection", "User-Agent"), render: renderHTTPie},
	{Info: Info{"python", "Python (requests)", "playground.py", false},
		adds: append(always("Accept-Encoding", "Connection", "User-Agent"), unlessSet("Accept")), render: renderPython},
	{Info: Info{"python-httpx", "Python (httpx)", "playground-httpx.py", false},
		adds: append(always("Accept-Encoding", "Connection", "User-Agent"), unlessSet("Accept")), render: renderHttpx},
	{Info: Info{"js", "JavaScript (fetch)", "playground.mjs", false},
		adds: append(always("Accept-Encoding", "Accept-Language", "Connection", "Sec-Fetch-Mode", "User-Agent"), unlessSet("Accept"), unlessSet("Content-Type")), render: renderJS},
	{Info: Info{"go", "Go (net/http)", "playground.go", false},
		adds: always("Accept-Encoding", "User-Agent"), render: renderGo},
	// The official SDKs, after the raw clients.
	{Info: Info{"python-openai", "Python (openai)", "playground-openai.py", true}, adds: pyOpenAIAdds, note: pyOpenAINote, render: renderPyOpenAI},
	{Info: Info{"js-openai", "JavaScript (openai)", "playground-openai.mjs", true},
		adds: jsOpenAIAdds, note: jsOpenAINote, render: renderJSOpenAI},
	{Info: Info{"go-openai", "Go (openai-go)", "playground-openai.go", true},
		adds: append(always("X-Stainless-Arch", "X-Stainless-Lang", "X-Stainless-OS", "X-Stainless-Package-Version",
			"X-Stainless-Retry-Count", "X-Stainless-Runtime", "X-Stainless-Runtime-Version"),
			unlessSet("Accept"), unlessSet("Accept-Encoding"), unlessSet("Content-Type"), unlessSet("User-Agent")),
		note: goOpenAINote, render: renderGoOpenAI},
}

// Langs are the languages offered, in order.
func Langs() []Info {
	out := make([]Info, len(langs))
	for i, l := range langs {
		out[i] = l.Info
	}
	return out
}

// Render renders r in the language with id lang; ok is false for an
// unknown id.
func Render(id string, r *request.Request) (s Snippet, ok bool) {
	for _, l := range langs {
		if l.Lang == id {
			return Snippet{Lang: l.Lang, Label: l.Label, File: l.File, AlsoSends: alsoSends(l.adds, r), SDK: l.SDK, Note: l.note, Code: l.render(r)}, true
		}
	}
	return Snippet{}, false
}

// All renders r in every language, in order.
func All(r *request.Request) []Snippet {
	out := make([]Snippet, 0, len(langs))
	for _, l := range langs {
		s, _ := Render(l.Lang, r)
		out = append(out, s)
	}
	return out
}

func alsoSends(adds []added, r *request.Request) []string {
	var out []string
	for _, a := range adds {
		if a.unless == "" || !hasHeader(r, a.unless) {
			out = append(out, http.CanonicalHeaderKey(a.name))
		}
	}
	slices.Sort(out)
	return out
}

func hasHeader(r *request.Request, name string) bool {
	if strings.EqualFold(name, "Authorization") && r.KeyEnv != "" {
		return true
	}
	return slices.ContainsFunc(r.Header, func(h request.Header) bool { return strings.EqualFold(h.Name, name) })
}

// part is a piece of a value: literal text, or the value of an environment
// variable when env is set.
type part struct {
	text string
	env  bool
}

// value is a string made of literal text and environment variables.
type value []part

func lit(s string) value { return value{{text: s}} }

// literal reports whether v holds no variable, and its text.
func (v value) literal() (string, bool) {
	var b strings.Builder
	for _, p := range v {
		if p.env {
			return "", false
		}
		b.WriteString(p.text)
	}
	return b.String(), true
}

// nonASCII reports whether v is literal text with a character beyond
// ASCII, which Python's and JavaScript's clients must be given as UTF-8
// bytes to send it as the playground does.
func (v value) nonASCII() bool {
	s, ok := v.literal()
	return ok && strings.ContainsFunc(s, func(c rune) bool { return c >= 0x80 })
}

// header is one header a snippet sets.
type header struct {
	name  string
	value value
}

// urlOf is where r goes: the full URL, or the base URL's variable and the
// path when the base URL is unconfigured.
func urlOf(r *request.Request) value {
	if u := r.URL(); u != "" {
		return lit(u)
	}
	return value{{text: r.BaseURLEnv, env: true}, {text: r.Path}}
}

// headersOf are the headers the playground sends for r, in its order: the
// key as Authorization (from r.KeyEnv), then r.Header, a secret header's
// ${VAR} references read from the environment.
func headersOf(r *request.Request) []header {
	var out []header
	if r.KeyEnv != "" {
		out = append(out, header{"Authorization", value{{text: "Bearer "}, {text: r.KeyEnv, env: true}}})
	}
	for _, h := range r.Header {
		if !h.Secret {
			out = append(out, header{h.Name, lit(h.Value)})
			continue
		}
		var v value
		for i, p := range catalog.HeaderParts(h.Value) {
			if i%2 == 1 || p != "" {
				v = append(v, part{text: p, env: i%2 == 1})
			}
		}
		out = append(out, header{h.Name, v})
	}
	return out
}

// method is r's method, POST when unset.
func method(r *request.Request) string {
	if r.Method == "" {
		return "POST"
	}
	return r.Method
}

// lines splits s after each newline, so that joining them gives s back.
func lines(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// joiner writes a value as an expression of one language: its literals
// quoted, its variables read from the environment, joined with +.
type joiner struct {
	quote, env func(string) string
	empty      string
}

func (j joiner) of(v value) string {
	var out []string
	for _, p := range v {
		if p.env {
			out = append(out, j.env(p.text))
		} else {
			out = append(out, j.quote(p.text))
		}
	}
	if len(out) == 0 {
		return j.empty
	}
	return strings.Join(out, " + ")
}

// writeRune writes c into a Python or JavaScript string literal: itself
// when printable, else \xNN, \uNNNN, or beyond the BMP as wide says
// (a format for fmt).
func writeRune(b *strings.Builder, c rune, wide string) {
	switch {
	case unicode.IsPrint(c):
		b.WriteRune(c)
	case c < 0x100:
		fmt.Fprintf(b, `\x%02x`, c)
	case c < 0x10000:
		fmt.Fprintf(b, `\u%04x`, c)
	default:
		fmt.Fprintf(b, wide, c)
	}
}
