package upstream

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/request"
)

func TestRetryAfter(t *testing.T) {
	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		header http.Header
		min    time.Duration
		max    time.Duration
	}{
		{http.Header{"Retry-After": {"17"}}, 17 * time.Second, 17 * time.Second},
		{http.Header{"Retry-After-Ms": {"1500"}, "Retry-After": {"9"}}, 1500 * time.Millisecond, 1500 * time.Millisecond},
		{http.Header{"Retry-After": {date}}, 80 * time.Second, 91 * time.Second},
		{http.Header{"Retry-After": {"soon"}}, 0, 0},
		{http.Header{}, 0, 0},
	}
	for _, tc := range tests {
		if got := retryAfter(tc.header); got < tc.min || got > tc.max {
			t.Errorf("%v: %v", tc.header, got)
		}
	}
}

func TestNewHTTPRequestNeedsBaseURL(t *testing.T) {
	_, err := NewHTTPRequest(t.Context(), &requestForTest, "", "k")
	if err == nil || !strings.Contains(err.Error(), "no base URL") {
		t.Fatalf("err = %v", err)
	}
}

var requestForTest = request.Request{Method: "POST", Path: "/chat/completions", BaseURLEnv: "X_BASE_URL"}

// TestConnectionKeptAfterTheEnd: a stream closed after its end event
// leaves the connection to the next request (its last chunk is read);
// one that keeps sending after the reader stops is cut within drainWait.
func TestConnectionKeptAfterTheEnd(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte("data: {}\n\ndata: [DONE]\n\n"))
		w.(http.Flusher).Flush()
		if r.URL.Query().Get("endless") != "" {
			for r.Context().Err() == nil {
				w.Write([]byte(": more\n\n"))
				w.(http.Flusher).Flush()
				time.Sleep(time.Millisecond)
			}
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := New(DefaultConfig())
	stream := func(query string) time.Duration {
		resp, err := c.Get(t.Context(), srv.URL+"/v1/stream"+query, "k", true)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() && sc.Text() != "data: [DONE]" {
		}
		start := time.Now()
		resp.Body.Close()
		return time.Since(start)
	}
	for range 3 {
		stream("")
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("3 streams read to their end used %d connections, want 1", n)
	}
	if d := stream("?endless=1"); d > drainWait+time.Second {
		t.Errorf("closing an endless stream took %v", d)
	}
}
