package run

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/sse"
)

// BenchmarkRelay measures a run's path for every upstream event: read
// from an httptest upstream that flushes each event (as the simulator
// does at zero delay), decode, keep, render the markdown, append to the
// log, and a follower writing the browser's events as followRun does.
// The upstream's own work is in the figure too; compare runs of it.
func BenchmarkRelay(b *testing.B) {
	const events = 2000
	var up strings.Builder
	for i := range events {
		fmt.Fprintf(&up, `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"word%d "},"finish_reason":null}]}`+"\n\n", i)
	}
	up.WriteString(`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2000,"total_tokens":2005}}` + "\n\ndata: [DONE]\n\n")
	body := []byte(up.String())
	srv := httptest.NewServer(serveEvents(body))
	defer srv.Close()
	m := newManager(b, Config{})
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r := m.Start(spec(catalog.Chat, srv.URL, `{"model":"m","stream":true}`))
		release := r.Watch()
		var buf []byte
		after := 0
		for {
			evs, done, more := r.Since(after)
			buf = buf[:0]
			for _, e := range evs {
				buf = sse.AppendEvent(buf, e.ID, e.Name, e.Data)
				after = e.ID
			}
			if done {
				break
			}
			<-more
		}
		release()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/events, "ns/event")
}

// serveEvents streams body one SSE event per write and flush.
func serveEvents(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for _, ev := range bytes.SplitAfter(body, []byte("\n\n")) {
			if len(ev) == 0 {
				continue
			}
			if _, err := w.Write(ev); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	}
}
