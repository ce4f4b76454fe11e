// Package curl renders an upstream request as a curl command that sends the
// same bytes. The API key is never part of it: the Authorization header
// reads "$ENV_VAR" so the shell fills it in.
package curl

import (
	"strings"

	"github.com/playground-dev/playground/web/request"
)

// Render returns a bash command equivalent to sending r with the key taken
// from $r.KeyEnv. When the base URL is unconfigured the URL reads
// "$BaseURLEnv/path". Values are single-quoted, so quotes, $, backticks,
// newlines and non-ASCII text reach curl unchanged, and -g (--globoff)
// keeps curl from expanding {a,b} and [1-3] in the URL into several
// requests: the command sends one request, to the URL as written.
func Render(r *request.Request) string {
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
		b.WriteString(" \\\n  -H " + Quote(h.Name+": "+h.Value))
	}
	if r.Body != nil {
		b.WriteString(" \\\n  -d " + Quote(string(r.Body)))
	}
	return b.String()
}

// Quote single-quotes s for POSIX shells: a ' inside becomes '\”.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
