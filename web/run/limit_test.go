package run

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/netguard"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/upstream"
)

// holdingServer starts an event stream and holds it open until the
// request ends, or until the test is over: httptest's Close waits for
// every handler, so a handler that missed its client's close (CI saw one
// hold for ten minutes) would hang the whole test binary.
func holdingServer(t *testing.T) *httptest.Server {
	over := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-over:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(over) }) // runs first: cleanups run last-in first-out
	return srv
}

func TestLimitsAtOnce(t *testing.T) {
	srv := holdingServer(t)
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
	var le *problem.Error
	if !errors.As(err, &le) || le.Kind != problem.KindRateLimited || !strings.Contains(le.Message, "2 runs going") {
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
}

func TestLimitsPerMinute(t *testing.T) {
	l := newLimiter(3)
	now := time.Unix(1_700_000_000, 0)
	for i := range 3 {
		if _, ok, _ := l.allow("a", now); !ok {
			t.Fatalf("run %d refused", i)
		}
	}
	d, ok, _ := l.allow("a", now)
	if ok || d < 19*time.Second || d > 21*time.Second {
		t.Fatalf("fourth run: ok %v wait %s, want refused for about 20 s", ok, d)
	}
	if _, ok, _ := l.allow("b", now); !ok {
		t.Fatal("another session was refused")
	}
	if _, ok, _ := l.allow("a", now.Add(20*time.Second)); !ok {
		t.Fatal("refused after the bucket refilled one run")
	}
	// A run put back (a later limit refused it) is free again.
	later := now.Add(time.Hour)
	for range 2 {
		l.allow("c", later)
	}
	_, ok, undo := l.allow("c", later)
	if !ok {
		t.Fatal("third run refused")
	}
	undo()
	if _, ok, _ := l.allow("c", later); !ok {
		t.Fatal("the run put back was not free again")
	}
	unlimited := newLimiter(0)
	for range 1000 {
		if _, ok, _ := unlimited.allow("a", now); !ok {
			t.Fatal("no limit configured, yet refused")
		}
	}
}

// TestLimitsPerClientAndOperator is the red-team's 20 fresh sessions: each
// session is within its own limits, yet the address and the operator's
// keys are not.
func TestLimitsPerClientAndOperator(t *testing.T) {
	srv := holdingServer(t)
	m := newManager(t, Config{Limits: Limits{AtOnce: 6, PerMinute: 30, ClientAtOnce: 12, ClientPerMinute: 1000, OperatorAtOnce: 16}})
	defer m.Close()
	start := func(owner, client string, operator bool) error {
		s := spec(catalog.Chat, srv.URL, "{}")
		s.Owner, s.Client, s.OperatorKey = owner, client, operator
		_, err := m.TryStart(s)
		return err
	}
	// 20 fresh sessions from one address, 6 runs each: 12 run.
	started, refused := 0, 0
	for i := range 20 {
		for range 6 {
			err := start(fmt.Sprintf("session-%d", i), "203.0.113.7", true)
			var le *problem.Error
			switch {
			case err == nil:
				started++
			case errors.As(err, &le) && le.Kind == problem.KindRateLimited && strings.Contains(le.Message, "network address has 12 runs going"):
				refused++
			default:
				t.Fatalf("session %d: %v", i, err)
			}
		}
	}
	if started != 12 || refused != 108 {
		t.Fatalf("from one address: %d started, %d refused; want 12 and 108", started, refused)
	}
	// Other addresses share the operator's ceiling: 4 more, then refused.
	for i := range 4 {
		if err := start("elsewhere", fmt.Sprintf("198.51.100.%d", i), true); err != nil {
			t.Fatalf("run %d on the operator's key from another address: %v", i, err)
		}
	}
	err := start("elsewhere-too", "198.51.100.99", true)
	var le *problem.Error
	if !errors.As(err, &le) || le.Kind != problem.KindRateLimited || !strings.Contains(le.Message, "own keys are running 16 runs") || le.RetryAfter <= 0 {
		t.Fatalf("17th run on the operator's key: %v", err)
	}
	// A run on the person's own key is not held back by the operator's.
	if err := start("elsewhere-too", "198.51.100.99", false); err != nil {
		t.Fatalf("a run on the person's own key: %v", err)
	}
}

func TestLimitsPerClientPerMinute(t *testing.T) {
	m := newManager(t, Config{Limits: Limits{PerMinute: 30, ClientPerMinute: 5}})
	defer m.Close()
	srv := httptest.NewServer(serve([]byte("data: [DONE]\n\n"), 100, 0))
	defer srv.Close()
	for i := range 7 {
		s := spec(catalog.Chat, srv.URL, "{}")
		s.Owner, s.Client = fmt.Sprintf("fresh-%d", i), "2001:db8:1:2::/64"
		r, err := m.TryStart(s)
		var le *problem.Error
		switch {
		case i < 5 && err != nil:
			t.Fatalf("run %d: %v", i, err)
		case i < 5:
			wait(t, r)
		case !errors.As(err, &le) || le.Kind != problem.KindRateLimited || !strings.Contains(le.Message, "5 runs were started from your network address") || le.RetryAfter <= 0:
			t.Fatalf("run %d: %v", i, err)
		}
	}
	// The session buckets of the refused runs were given back.
	if _, ok, _ := m.admission.sessions.allow("fresh-5", time.Now()); !ok {
		t.Fatal("a refused run still took from its session's bucket")
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
	var le *problem.Error
	if !errors.As(err, &le) || le.Kind != problem.KindRateLimited || le.RetryAfter <= 0 || !strings.Contains(le.Message, "1 runs in the last minute") || !strings.Contains(le.Message, "Try again in") {
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
