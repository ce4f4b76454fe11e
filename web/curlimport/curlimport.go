// Package curlimport reads a pasted curl command (as this playground, the
// OpenAI documentation, Bruno, Postman or a browser's "copy as curl" write
// it) into the request it sends: method, URL, headers and body. It parses
// the command as bash would (mvdan.cc/sh's parser: quotes, $'…', line
// continuations) but runs nothing: a command substitution or a body read
// from a file is refused, and a variable ($OPENAI_API_KEY) is kept as it
// is written, never expanded. A key written into the command is not kept:
// Key says only that one was there, so the page can say it was ignored and
// which variable to use.
package curlimport

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// MaxCommand bounds the command read (a pasted prompt may be long, not
// endless).
const MaxCommand = 4 << 20

// Header is one -H of the command. Value is "" for a key that was written
// into the command (it is not kept).
type Header struct {
	Name, Value string
}

// Request is what the command sends.
type Request struct {
	Method string
	URL    string
	Header []Header
	Body   []byte
	// Key is how the command gives its API key: "" for none, "variable"
	// when it reads one ($KeyVar), "literal" when the key is written in
	// the command (dropped: it is never stored or shown).
	Key    string
	KeyVar string
	// Vars are the other variables the command names, kept unexpanded.
	Vars []string
	// Ignored are the curl options that do not change the request (-s,
	// -N, --compressed, …), as written.
	Ignored []string
}

// Error is a command that cannot be read, said for the person.
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }

func fail(format string, a ...any) error { return &Error{Message: fmt.Sprintf(format, a...)} }

// keyHeaders are the headers that carry an API key.
var keyHeaders = []string{"authorization", "x-api-key", "api-key", "x-goog-api-key"}

// Parse reads one curl command.
func Parse(cmd string) (*Request, error) {
	if len(cmd) > MaxCommand {
		return nil, fail("the command is longer than %d MB", MaxCommand>>20)
	}
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(cmd), "")
	if err != nil {
		return nil, fail("this is not a command bash can read: %s", strings.TrimPrefix(err.Error(), "1:"))
	}
	var call *syntax.CallExpr
	for _, st := range f.Stmts {
		if c, ok := st.Cmd.(*syntax.CallExpr); ok && len(c.Args) > 0 {
			call = c
			break
		}
	}
	if call == nil {
		return nil, fail("no command found: paste a curl command")
	}
	vars := map[string]bool{}
	syntax.Walk(call, func(n syntax.Node) bool {
		if p, ok := n.(*syntax.ParamExp); ok && p.Param != nil {
			vars[p.Param.Value] = true
		}
		return true
	})
	// A variable stays as it is written ($NAME): nothing is expanded.
	cfg := &expand.Config{Env: expand.FuncEnviron(func(name string) string { return "$" + name })}
	words := make([]string, 0, len(call.Args))
	for _, w := range call.Args {
		// Fields removes quotes as bash does ('It'\''s' is It's); with
		// no ReadDir it globs nothing, and a variable's "$NAME" has no
		// space to split at.
		fields, err := expand.Fields(cfg, w)
		s := strings.Join(fields, " ")
		if err != nil {
			var src strings.Builder
			syntax.NewPrinter().Print(&src, w)
			return nil, fail("the command runs something to build an argument (%s): paste it with the values written out", src.String())
		}
		words = append(words, s)
	}
	if words[0] != "curl" && !strings.HasSuffix(words[0], "/curl") {
		return nil, fail("this is a %q command, not curl", words[0])
	}
	r := &Request{}
	if err := r.read(words[1:]); err != nil {
		return nil, err
	}
	for v := range vars {
		if v != r.KeyVar {
			r.Vars = append(r.Vars, v)
		}
	}
	slices.Sort(r.Vars)
	return r, nil
}

// read takes curl's arguments.
func (r *Request) read(args []string) error {
	var data []string
	jsonBody := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		value := func() (string, error) {
			if i+1 >= len(args) {
				return "", fail("%s needs a value", a)
			}
			i++
			return args[i], nil
		}
		// --name=value
		name, inline, hasInline := strings.Cut(a, "=")
		if !strings.HasPrefix(a, "--") || !hasInline {
			name, inline, hasInline = a, "", false
		}
		take := func() (string, error) {
			if hasInline {
				return inline, nil
			}
			return value()
		}
		switch name {
		case "-X", "--request":
			v, err := take()
			if err != nil {
				return err
			}
			r.Method = strings.ToUpper(v)
		case "-H", "--header":
			v, err := take()
			if err != nil {
				return err
			}
			if err := r.header(v); err != nil {
				return err
			}
		case "-d", "--data", "--data-raw", "--data-binary", "--data-ascii", "--json":
			v, err := take()
			if err != nil {
				return err
			}
			if strings.HasPrefix(v, "@") && name != "--data-raw" {
				return fail("%s %s reads the body from a file: paste the body itself", name, v)
			}
			data = append(data, v)
			jsonBody = jsonBody || name == "--json"
		case "--url":
			v, err := take()
			if err != nil {
				return err
			}
			r.URL = v
		case "-u", "--user":
			if _, err := take(); err != nil {
				return err
			}
			r.Key = "literal"
		case "-o", "--output", "-m", "--max-time", "--connect-timeout", "--retry", "-w", "--write-out", "-A", "--user-agent", "--proxy", "-x":
			if _, err := take(); err != nil {
				return err
			}
			r.Ignored = append(r.Ignored, name)
		case "-F", "--form", "-T", "--upload-file", "-G", "--get":
			return fail("%s is not a JSON request: the playground imports JSON bodies", name)
		default:
			switch {
			case strings.HasPrefix(a, "--"):
				r.Ignored = append(r.Ignored, a) // --compressed, --location, --silent …
			case strings.HasPrefix(a, "-") && len(a) > 1:
				// -sSN: flags without values, together.
				for _, c := range a[1:] {
					if !strings.ContainsRune("sSNLkivgf#", c) {
						return fail("the curl option -%c is not understood here", c)
					}
				}
				r.Ignored = append(r.Ignored, a)
			default:
				if r.URL != "" {
					return fail("two URLs (%s and %s): paste one request", r.URL, a)
				}
				r.URL = a
			}
		}
	}
	if r.URL == "" {
		return fail("the command has no URL")
	}
	if u, err := url.Parse(r.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https" && !strings.HasPrefix(r.URL, "$")) {
		return fail("the URL %q is not an http(s) URL", r.URL)
	}
	if len(data) > 0 {
		r.Body = []byte(strings.Join(data, "&"))
		if r.Method == "" {
			r.Method = "POST"
		}
		if jsonBody && r.header1("content-type") == "" {
			r.Header = append(r.Header, Header{Name: "Content-Type", Value: "application/json"})
		}
	}
	if r.Method == "" {
		r.Method = "GET"
	}
	return nil
}

// header adds one "Name: value" header; a key header keeps only whether
// the key was a variable (and which) or written out.
func (r *Request) header(h string) error {
	name, value, ok := strings.Cut(h, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return fail("the header %q has no name: write it as Name: value", h)
	}
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if slices.Contains(keyHeaders, strings.ToLower(name)) {
		key := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(value, "Bearer "), "bearer "))
		if v, ok := varName(key); ok {
			r.Key, r.KeyVar = "variable", v
		} else if key != "" {
			r.Key = "literal"
		}
		r.Header = append(r.Header, Header{Name: name})
		return nil
	}
	r.Header = append(r.Header, Header{Name: name, Value: value})
	return nil
}

// varName reads "$NAME" (how a variable comes back from expansion).
func varName(s string) (string, bool) {
	n, ok := strings.CutPrefix(s, "$")
	if !ok || n == "" {
		return "", false
	}
	for _, c := range n {
		if c != '_' && (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return "", false
		}
	}
	return n, true
}

func (r *Request) header1(name string) string {
	for _, h := range r.Header {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

var (
	// bearerRE is a key after "Bearer" (or an api-key header's value);
	// keyRE a key by its shape (sk-…, the OpenAI and most gateways').
	bearerRE = regexp.MustCompile(`(?i)((?:authorization:\s*)?bearer\s+|(?:x-api-key|api-key|x-goog-api-key):\s*)([^\s'"\\$][^\s'"\\]*)`)
	keyRE    = regexp.MustCompile(`\bsk-[A-Za-z0-9_\-]{8,}`)
)

// Scrub is a pasted text with the keys written in it taken out, for when
// the page shows the paste back (it could not be read): a key is never
// shown, even to the person who pasted it. A variable ($OPENAI_API_KEY)
// stays.
func Scrub(s string) string {
	s = bearerRE.ReplaceAllString(s, "${1}[key removed]")
	return keyRE.ReplaceAllString(s, "[key removed]")
}
