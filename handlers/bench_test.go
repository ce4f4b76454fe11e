package handlers

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// BenchmarkRun is a whole run as the page makes it: POST /runs asking
// for the event stream (session, CSRF check, form check against the
// model's schema, request build, history insert queued, the run panel),
// the run against the simulator in the same process answering
// [[events:N]] with N text events at once, every event decoded, rendered
// and sent, the transcript redacted and the ending committed to the
// history (SQLite) before "done". Runs of 1, 10 and 100 events separate
// the fixed part of a run from each event's: per event is the difference
// of two sizes over their difference in events. The simulator's own work
// is in the figures.
func BenchmarkRun(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			app := simApp(b)
			form := url.Values{"_provider": {"sim"}, "_model": {simChat}, "messages.role": {"user"},
				"messages.content": {fmt.Sprintf("[[events:%d]] go", n)}, "stream": {"false", "true"}}
			b.ReportAllocs()
			for b.Loop() {
				req := post("/runs", form)
				req.Header.Set("Accept", "text/event-stream")
				resp, body := do(b, app, req)
				if resp.StatusCode != 200 || !strings.Contains(body, "event: done") {
					b.Fatalf("%d %.300s", resp.StatusCode, body)
				}
			}
		})
	}
}
