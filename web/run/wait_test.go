package run

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/catalog"
)

// TestWaitGivesTheEnding: a program waiting for a run gets what the
// history would keep: the answer, the outcome, and for a 429 the failure
// and its Retry-After; a run waited on is never abandoned however long
// it takes past the grace period; a cancelled wait stops the run.
func TestWaitGivesTheEnding(t *testing.T) {
	sse, err := os.ReadFile(filepath.Join(fixtureDir, "openai-chat-text-usage.sse"))
	if err != nil {
		t.Fatal(err)
	}
	ok := httptest.NewServer(serve(sse, 64, 30*time.Millisecond))
	defer ok.Close()
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(429)
		w.Write([]byte(`{"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}}`))
	}))
	defer busy.Close()
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer stall.Close()

	cfg := DefaultConfig()
	cfg.Grace = time.Millisecond // nobody else watches: Wait must
	m := newManager(t, cfg)
	body := `{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}`

	e := m.Start(spec(catalog.Chat, ok.URL, body)).Wait(context.Background())
	if e.State != Completed || len(e.Output.Choices) == 0 || e.Output.Choices[0].Text == "" || e.Failure != nil {
		t.Errorf("a whole stream: %+v", e)
	}
	if e.Outcome.State != Completed || len(e.Outcome.Finish) == 0 {
		t.Errorf("outcome %+v", e.Outcome)
	}

	e = m.Start(spec(catalog.Chat, busy.URL, body)).Wait(context.Background())
	if e.State != Failed || e.Failure == nil || e.RetryAfter != 7*time.Second {
		t.Errorf("a 429: state %s failure %+v retry after %v", e.State, e.Failure, e.RetryAfter)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	e = m.Start(spec(catalog.Chat, stall.URL, body)).Wait(ctx)
	if e.State != Stopped {
		t.Errorf("a wait cancelled: state %s, want stopped", e.State)
	}
}
