package sse

import (
	"io"
	"strings"
	"testing"
)

// TestPartial: after io.EOF, Partial tells a stream cut inside an event
// from one that ended between events.
func TestPartial(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"", false},
		{"data: a\n\n", false},
		{"data: a\n\n: ping\n", false},
		{"data: a\r\n\r\n", false},
		{"data: a\n\ndata: [DO", true},
		{"data: a\n\ndata: [DONE]\n", true},
		{"data: a\n\nevent: x\n", false},
		{"error: x\n", true},
	} {
		d := NewDecoder(strings.NewReader(tc.in), 0)
		var err error
		for err == nil {
			_, err = d.Next()
		}
		if err != io.EOF {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if got := d.Partial(); got != tc.want {
			t.Errorf("%q: Partial %v, want %v", tc.in, got, tc.want)
		}
	}
}
