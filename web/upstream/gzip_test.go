package upstream

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/stream"
)

// gzipBomb is n bytes of body compressed: an SSE stream of one repeated
// delta, or one JSON string, compress to a few hundred times less.
func gzipBomb(t testing.TB, head, fill, tail string, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	io.WriteString(zw, head)
	chunk := []byte(strings.Repeat(fill, 64<<10/len(fill)))
	for written := 0; written < n; written += len(chunk) {
		zw.Write(chunk)
	}
	io.WriteString(zw, tail)
	zw.Close()
	return buf.Bytes()
}

func gzipServer(t *testing.T, status int, contentType string, body []byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Encoding", "gzip")
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestGzipBombStreamStops is the gzip bomb of finding 4: Go's transport
// decompressed a few hundred KB into 378 MB. Reading stops at the limit
// with a message that says it.
func TestGzipBombStreamStops(t *testing.T) {
	const limit = 1 << 20
	bomb := gzipBomb(t, "", `data: {"choices":[{"index":0,"delta":{"content":"aaaaaaaaaaaaaaaa"}}]}`+"\n\n", "data: [DONE]\n\n", 64<<20)
	srv := gzipServer(t, 200, "text/event-stream", bomb)
	cfg := testConfig()
	cfg.MaxDecompressed = limit
	c := New(cfg)
	req := &request.Request{Method: http.MethodPost, Path: "/chat/completions", Body: []byte(`{"stream":true}`)}
	resp, err := c.Send(t.Context(), req, []string{srv.URL + "/v1"}, "k")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	var se *stream.Error
	if !errors.As(err, &se) || se.Message != "the answer exceeded 1 MB once decompressed" || se.Code != "too_large" {
		t.Fatalf("after %d bytes: err = %v", n, err)
	}
	if n != limit {
		t.Fatalf("read %d decompressed bytes, want the limit %d (the bomb is %d bytes on the wire)", n, limit, len(bomb))
	}
}

// TestGzipBombErrorBodyBounded: a 500 whose gzip body inflates to 64 MB
// is read up to MaxErrorBody only, and shown cut.
func TestGzipBombErrorBodyBounded(t *testing.T) {
	srv := gzipServer(t, 500, "text/plain", gzipBomb(t, "", "boom ", "", 64<<20))
	c := New(testConfig())
	resp, err := c.Get(t.Context(), srv.URL+"/v1/x", "k", false)
	if err != nil {
		t.Fatal(err)
	}
	counted := &countingBody{rc: resp.Body}
	resp.Body = counted
	e := ErrorFromResponse(resp, "", "m")
	resp.Body.Close()
	if e.Status != 500 || len(e.Message) > 310 || !strings.HasPrefix(e.Message, "boom boom") {
		t.Fatalf("status %d, message of %d bytes: %.80q", e.Status, len(e.Message), e.Message)
	}
	if counted.n > MaxErrorBody+maxDrain {
		t.Fatalf("read %d decompressed bytes of an error body", counted.n)
	}
}

// TestDecompressedLimitDefault: a client with no limit set gets the
// default, and uncompressed bodies are not counted against it.
func TestDecompressedLimitDefault(t *testing.T) {
	c := New(Config{})
	if c.cfg.MaxDecompressed != DefaultMaxDecompressed {
		t.Fatalf("default limit %d", c.cfg.MaxDecompressed)
	}
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 3<<20))
	}))
	defer plain.Close()
	cfg := testConfig()
	cfg.MaxDecompressed = 1 << 20
	resp, err := New(cfg).Get(t.Context(), plain.URL, "", false)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if n, err := io.Copy(io.Discard, resp.Body); err != nil || n != 3<<20 {
		t.Fatalf("read %d: %v", n, err)
	}
}

type countingBody struct {
	rc io.ReadCloser
	n  int
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.rc.Read(p)
	c.n += n
	return n, err
}

func (c *countingBody) Close() error { return c.rc.Close() }

// TestHugeResponseHeadersRefused: 10 MB of headers (Go's default limit)
// were all kept for the inspector; past MaxResponseHeader the answer
// fails with the limit in the message.
func TestHugeResponseHeadersRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := strings.Repeat("h", 1<<10)
		for i := range 400 {
			w.Header().Set("X-Pad-"+strconv.Itoa(i), v)
		}
	}))
	defer srv.Close()
	_, err := New(testConfig()).Get(t.Context(), srv.URL, "", false)
	if err == nil || !strings.Contains(err.Error(), "headers from "+srv.Listener.Addr().String()+" exceeded 256 KB") {
		t.Fatalf("err = %v", err)
	}
}
