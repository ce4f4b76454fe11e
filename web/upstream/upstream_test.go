package upstream

import (
	"bufio"
	"context"
	"io"
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
	past := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	tests := []struct {
		header  http.Header
		min     time.Duration
		max     time.Duration
		tooLong bool
	}{
		{http.Header{"Retry-After": {"17"}}, 17 * time.Second, 17 * time.Second, false},
		{http.Header{"Retry-After-Ms": {"1500"}, "Retry-After": {"9"}}, 1500 * time.Millisecond, 1500 * time.Millisecond, false},
		{http.Header{"Retry-After": {date}}, 80 * time.Second, 91 * time.Second, false},
		{http.Header{"Retry-After": {"3600"}}, time.Hour, time.Hour, false},
		{http.Header{"Retry-After": {"soon"}}, 0, 0, false},
		{http.Header{}, 0, 0, false},
		// Finding 20: a date in 2099 showed "retry in 2300089574 s".
		{http.Header{"Retry-After": {"Wed, 21 Oct 2099 07:28:00 GMT"}}, 0, 0, true},
		{http.Header{"Retry-After": {"3601"}}, 0, 0, true},
		{http.Header{"Retry-After": {"99999999999999999999"}}, 0, 0, true},
		{http.Header{"Retry-After": {"9999999999999"}}, 0, 0, true},
		{http.Header{"Retry-After-Ms": {"1e300"}}, 0, 0, true},
		{http.Header{"Retry-After-Ms": {"+Inf"}}, 0, 0, false},
		{http.Header{"Retry-After-Ms": {"NaN"}}, 0, 0, false},
		{http.Header{"Retry-After": {"-5"}}, 0, 0, false},
		{http.Header{"Retry-After": {"-99999999999999999999"}}, 0, 0, false},
		{http.Header{"Retry-After": {past}}, 0, 0, false},
		{http.Header{"Retry-After": {"<script>"}}, 0, 0, false},
	}
	for _, tc := range tests {
		got, tooLong := retryAfter(tc.header)
		if got < tc.min || got > tc.max || tooLong != tc.tooLong {
			t.Errorf("%v: %v, too long %v; want %v..%v, too long %v", tc.header, got, tooLong, tc.min, tc.max, tc.tooLong)
		}
	}
}

// TestRetryAfterTooLongIsSaid: a 429 asking for a day shows no countdown
// and says the wait is over an hour.
func TestRetryAfterTooLongIsSaid(t *testing.T) {
	resp := &Response{Status: 429, Header: http.Header{"Retry-After": {"Wed, 21 Oct 2099 07:28:00 GMT"}}, Body: io.NopCloser(strings.NewReader(`{"error":{"message":"slow down"}}`))}
	e := ErrorFromResponse(resp, "", "m")
	if e.RetryAfter != 0 || !strings.HasSuffix(e.Hint, "The provider asks to wait more than an hour.") {
		t.Fatalf("retry after %v, hint %q", e.RetryAfter, e.Hint)
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

// The other requests of a run carry the provider's extra headers, which
// never replace the key's Authorization.
func TestGetAndPostWithProviderHeaders(t *testing.T) {
	var got []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Clone())
		w.WriteHeader(200)
	}))
	defer srv.Close()
	r := (&request.Request{Header: []request.Header{{Name: "Content-Type", Value: "application/json"},
		{Name: "X-Route", Value: "a"}, {Name: "X-Token", Value: "${T}", Secret: true}, {Name: "Authorization", Value: "Bearer evil"}}}).
		WithSecrets(map[string]string{"X-Token": "t-value"})
	h := r.ProviderHeaders()
	c := New(DefaultConfig())
	for _, send := range []func() (*Response, error){
		func() (*Response, error) { return c.GetWith(context.Background(), srv.URL, "k", true, h) },
		func() (*Response, error) { return c.PostWith(context.Background(), srv.URL, "k", h) },
	} {
		resp, err := send()
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for i, g := range got {
		if g.Get("X-Route") != "a" || g.Get("X-Token") != "t-value" || g.Get("Authorization") != "Bearer k" {
			t.Errorf("request %d headers %v", i, g)
		}
	}
	if got[0].Get("Accept") != "text/event-stream" || got[1].Get("Content-Type") != "application/json" {
		t.Errorf("the playground's own headers were replaced: %v", got)
	}
}
