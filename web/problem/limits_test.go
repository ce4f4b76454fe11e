package problem

import (
	"net/http"
	"strings"
	"testing"
)

func TestLimitProblems(t *testing.T) {
	cases := map[string]struct {
		p      *Error
		status int
		says   string
	}{
		"body":    {BodyTooLarge(4 << 20), http.StatusRequestEntityTooLarge, "The request is larger than this server accepts (4 MB). "},
		"headers": {HeadersTooLarge(16 << 10), http.StatusRequestHeaderFieldsTooLarge, "more cookies or headers than this server reads (16 KB). "},
	}
	for name, c := range cases {
		if c.p.Kind != KindTooLarge || c.p.StatusCode() != c.status || !strings.Contains(c.p.Message, c.says) {
			t.Errorf("%s: got %v %d %q, want %d with %q", name, c.p.Kind, c.p.StatusCode(), c.p.Message, c.status, c.says)
		}
	}
}
