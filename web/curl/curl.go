// Package curl renders an upstream request as a curl command that sends the
// same bytes. The API key is never part of it: the Authorization header
// reads "$ENV_VAR" so the shell fills it in.
package curl

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/units"
)

// Render returns a bash command equivalent to sending r with the key taken
// from $r.KeyEnv. When the base URL is unconfigured the URL reads
// "$BaseURLEnv/path". Values are single-quoted, so quotes, $, backticks,
// newlines and non-ASCII text reach curl unchanged, and -g (--globoff)
// keeps curl from expanding {a,b} and [1-3] in the URL into several
// requests: the command sends one request, to the URL as written.
func Render(r *request.Request) string {
	return render(r, r.Body)
}

// ShortString is the most characters of one JSON string Short shows.
const ShortString = 2000

// Short is Render for showing on a page: each string of the JSON body
// longer than ShortString characters shows its first ShortString and then
// "… (1,048,576 characters)", and a comment line first says so. shortened
// is false when no string was that long (the command is Render's). The
// request sent and the exported command stay exact: Short is only for the
// panels redrawn on every keystroke, where 19 MB of prompt was echoed.
func Short(r *request.Request) (cmd string, shortened bool) {
	body, n := shortenStrings(r.Body, ShortString)
	if n == 0 {
		return Render(r), false
	}
	note := fmt.Sprintf("# Shortened for this page: %s over %s characters %s cut. The request sent is exact, and so is the run's export.sh.\n",
		plural(n, "string", "strings"), units.Thousands(ShortString), map[bool]string{true: "is", false: "are"}[n == 1])
	return note + render(r, body), true
}

func render(r *request.Request, body []byte) string {
	var b strings.Builder
	b.WriteString("curl -g")
	if r.Stream {
		b.WriteString(" -N") // do not buffer the event stream
	}
	if r.Method != "" && r.Method != "POST" {
		b.WriteString(" -X " + r.Method)
	}
	b.WriteByte(' ')
	if u := r.URL(); u != "" {
		b.WriteString(Quote(u))
	} else {
		b.WriteString(`"$` + r.BaseURLEnv + `"` + Quote(r.Path))
	}
	if r.KeyEnv != "" {
		b.WriteString(" \\\n  -H \"Authorization: Bearer $" + r.KeyEnv + "\"")
	}
	for _, h := range r.Header {
		b.WriteString(" \\\n  -H " + headerArg(h))
	}
	if body != nil {
		b.WriteString(" \\\n  -d " + Quote(string(body)))
	}
	return b.String()
}

// headerArg is one -H argument. A secret header's ${VAR} references are
// left to the shell as "$VAR" (its value is never written), the rest is
// single-quoted.
func headerArg(h request.Header) string {
	if !h.Secret {
		return Quote(h.Name + ": " + h.Value)
	}
	var b strings.Builder
	for i, part := range catalog.HeaderParts(h.Name + ": " + h.Value) {
		switch {
		case i%2 == 1:
			b.WriteString(`"$` + part + `"`)
		case part != "":
			b.WriteString(Quote(part))
		}
	}
	return b.String()
}

// shortenStrings cuts each JSON string of body longer than limit
// characters (an escape is one) after its first limit, adding
// "… (N characters)". It returns body itself when none is that long, and
// how many it cut. body is JSON as request.Build writes it; bytes outside
// strings are copied as they are.
func shortenStrings(body []byte, limit int) ([]byte, int) {
	var out []byte
	cut, copied := 0, 0
	for i := 0; i < len(body); i++ {
		if body[i] != '"' {
			continue
		}
		// A string from i: find its end, counting characters and noting
		// where the limit falls.
		chars, at, j := 0, -1, i+1
		for j < len(body) && body[j] != '"' {
			if chars == limit {
				at = j
			}
			if body[j] == '\\' {
				j += 2
				if j-1 < len(body) && body[j-1] == 'u' {
					j += 4
				}
			} else {
				_, size := utf8.DecodeRune(body[j:])
				j += size
			}
			chars++
		}
		j = min(j, len(body))
		if at >= 0 && chars > limit {
			out = append(out, body[copied:at]...)
			out = append(out, "… ("+units.Thousands(chars)+" characters)"...)
			copied = j
			cut++
		}
		i = j
	}
	if cut == 0 {
		return body, 0
	}
	return append(out, body[copied:]...), cut
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Quote single-quotes s for POSIX shells: a ' inside becomes '\”.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
