package views

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestEventsCarryWhatViewsRendered: the failure event carries its box as
// the history page renders it (escaped), the meta event its line, and
// events that are not objects, or not these, pass unchanged.
func TestEventsCarryWhatViewsRendered(t *testing.T) {
	for _, tc := range []struct {
		name, data, field string
		want              []string
	}{
		{"failure", `{"message":"Rate limited <b>","hint":"Wait a bit.","retry_after":17}`, "html",
			[]string{`<p class="font-medium">Rate limited &lt;b&gt;</p>`, `<p>Wait a bit.</p>`, `data-retry-now="You can retry now."`, `<span data-retry-left>17</span>`}},
		{"failure", `{}`, "html", []string{"The run failed."}},
		{"meta", `{"url":"http://127.0.0.1:1/v1/chat/completions","status":200,"ttfb_ms":12.6,"fallbacks":["http://a/v1: refused"]}`, "line",
			[]string{"HTTP 200 from http://127.0.0.1:1/v1/chat/completions · first byte after 13 ms · after trying: http://a/v1: refused"}},
	} {
		out := Event(tc.name, []byte(tc.data))
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("%s %s: %v in %s", tc.name, tc.data, err, out)
		}
		got, _ := m[tc.field].(string)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s %s: %s lacks %q:\n%s", tc.name, tc.data, tc.field, w, got)
			}
		}
	}
	for _, tc := range []struct{ name, data string }{{"failure", "not json"}, {"meta", "[1]"}, {"delta", `{"c":0,"t":"x"}`}} {
		if got := string(Event(tc.name, []byte(tc.data))); got != tc.data {
			t.Errorf("%s %q became %q", tc.name, tc.data, got)
		}
	}
}
