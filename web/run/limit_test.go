package run

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/netguard"
	"github.com/playground-dev/playground/web/upstream"
)

func TestLimitsAtOnce(t *testing.T) {
	hold := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.(http.Flusher).Flush()
		select {
		case <-hold:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	m := newManager(t, Config{Limits: Limits{AtOnce: 2}})
	var runs []*Run
	for i := range 2 {
		r, err := m.TryStart(spec(catalog.Chat, srv.URL, "{}"))
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		runs = append(runs, r)
	}
	_, err := m.TryStart(spec(catalog.Chat, srv.URL, "{}"))
	var le *LimitError
	if !errors.As(err, &le) || !strings.Contains(le.Message, "2 runs going") {
		t.Fatalf("third run: %v", err)
	}
	// Another session is not held back by this one.
	other := spec(catalog.Chat, srv.URL, "{}")
	other.Owner = "someone else"
	r, err := m.TryStart(other)
	if err != nil {
		t.Fatalf("other session: %v", err)
	}
	r.Stop()
	// When one finishes, there is room again.
	runs[0].Stop()
	wait(t, runs[0])
	if r, err := m.TryStart(spec(catalog.Chat, srv.URL, "{}")); err != nil {
		t.Fatalf("after a stop: %v", err)
	} else {
		r.Stop()
	}
	runs[1].Stop()
	close(hold)
}

func TestLimitsPerMinute(t *testing.T) {
	l := limiter{limits: Limits{PerMinute: 3}, buckets: map[string]*rate.Limiter{}}
	now := time.Unix(1_700_000_000, 0)
	for i := range 3 {
		if _, ok := l.allow("a", now); !ok {
			t.Fatalf("run %d refused", i)
		}
	}
	d, ok := l.allow("a", now)
	if ok || d < 19*time.Second || d > 21*time.Second {
		t.Fatalf("fourth run: ok %v wait %s, want refused for about 20 s", ok, d)
	}
	if _, ok := l.allow("b", now); !ok {
		t.Fatal("another session was refused")
	}
	if _, ok := l.allow("a", now.Add(20*time.Second)); !ok {
		t.Fatal("refused after the bucket refilled one run")
	}
	unlimited := limiter{buckets: map[string]*rate.Limiter{}}
	for range 1000 {
		if _, ok := unlimited.allow("a", now); !ok {
			t.Fatal("no limit configured, yet refused")
		}
	}
}

func TestTryStartRateMessage(t *testing.T) {
	m := newManager(t, Config{Limits: Limits{PerMinute: 1}})
	srv := httptest.NewServer(serve([]byte("data: [DONE]\n\n"), 100, 0))
	defer srv.Close()
	r, err := m.TryStart(spec(catalog.Chat, srv.URL, "{}"))
	if err != nil {
		t.Fatal(err)
	}
	wait(t, r)
	_, err = m.TryStart(spec(catalog.Chat, srv.URL, "{}"))
	var le *LimitError
	if !errors.As(err, &le) || le.RetryAfter <= 0 || !strings.Contains(le.Message, "1 runs in the last minute") || !strings.Contains(le.Message, "Try again in") {
		t.Fatalf("err %v", err)
	}
}

func TestUntrustedRunNeedsGuardedClient(t *testing.T) {
	m := newManager(t, Config{})
	s := spec(catalog.Chat, "http://127.0.0.1:1", "{}")
	s.Untrusted = true
	b := replay(t, wait(t, m.Start(s)))
	if b.errMsg == nil || !strings.Contains(b.errMsg.Message, "no guarded client") {
		t.Fatalf("error %+v", b.errMsg)
	}
	// With a guarded client, the run goes through it.
	m2 := newManager(t, Config{}).WithGuardedClient(upstream.New(upstream.Config{ConnectTimeout: time.Second, FirstByteTimeout: time.Second, IdleTimeout: time.Second,
		Guard: func(string, string, syscall.RawConn) error {
			return &netguard.Error{Addr: "127.0.0.1", Reason: "a loopback address"}
		}}))
	b = replay(t, wait(t, m2.Start(s)))
	if b.errMsg == nil || !strings.Contains(b.errMsg.Message, "127.0.0.1 is a loopback address") || !strings.Contains(b.errMsg.Hint, "--allow-private-upstreams") {
		t.Fatalf("error %+v", b.errMsg)
	}
}

func TestFinishedRunIsLoggedWithoutContent(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		w.Write([]byte(`{"error":{"message":"bad value in messages[0].content: 'my secret prompt' with key sk-secret-key-1234","code":"bad_prompt"}}`))
	}))
	defer srv.Close()
	m := newManager(t, Config{Log: log})
	wait(t, m.Start(spec(catalog.Chat, srv.URL, `{"messages":[{"role":"user","content":"my secret prompt"}]}`)))
	m.Close()
	out := buf.String()
	if !strings.Contains(out, "run finished") || !strings.Contains(out, "state=failed") || !strings.Contains(out, "error_code=bad_prompt") {
		t.Errorf("log: %s", out)
	}
	if strings.Contains(out, "my secret prompt") || strings.Contains(out, "sk-secret-key-1234") {
		t.Errorf("the log has the prompt or the key: %s", out)
	}
}
