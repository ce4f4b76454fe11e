package stream

import "testing"

// TestErrorStatusLine: a provider error starts with the HTTP status line
// net/http names, or "HTTP N" for a code it has no name for.
func TestErrorStatusLine(t *testing.T) {
	for _, c := range []struct {
		status int
		want   string
	}{
		{429, "429 Too Many Requests: slow down"},
		{422, "422 Unprocessable Entity: slow down"},
		{504, "504 Gateway Timeout: slow down"},
		{413, "413 Request Entity Too Large: slow down"},
		{599, "HTTP 599: slow down"},
		{0, "slow down"},
	} {
		if got := (&Error{Status: c.status, Message: "slow down"}).Error(); got != c.want {
			t.Errorf("status %d: %q, want %q", c.status, got, c.want)
		}
	}
}
