package run

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/playground-dev/playground/web/catalog"
)

// Partial is the answer so far while the run streams (what an
// experiment's grid shows of a cell in flight), capped at 2 KB without a
// cut character, and the whole of it is kept once the run is over.
func TestPartialGrowsWhileStreaming(t *testing.T) {
	more := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		send := func(s string) {
			fmt.Fprintf(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":%q}}]}\n\n", s)
			w.(http.Flusher).Flush()
		}
		send("Hello, ")
		send("world.")
		<-more
		// 3,000 bytes of two-byte characters after an odd offset.
		send("  " + strings.Repeat("é", 1500)) // the cap falls mid-character
		fmt.Fprint(w, "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	defer srv.Close()
	m := newManager(t, Config{})
	r := m.Start(spec(catalog.Chat, srv.URL, "{}"))
	release := r.Watch()
	defer release()
	deadline := time.Now().Add(10 * time.Second)
	for r.Partial() != "Hello, world." {
		if time.Now().After(deadline) {
			close(more)
			t.Fatalf("mid-stream, Partial is %q", r.Partial())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if r.State() != Running {
		t.Fatalf("the run is %s before its end was sent", r.State())
	}
	close(more)
	wait(t, r)
	p := r.Partial()
	if !strings.HasPrefix(p, "Hello, world.  é") || len(p) != partialMax-1 || !utf8.ValidString(p) {
		t.Errorf("at the end, Partial is %d bytes, valid UTF-8 %v, starting %q", len(p), utf8.ValidString(p), p[:min(len(p), 20)])
	}
}
