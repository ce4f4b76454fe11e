package history

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	formpkg "github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/tokens"
	"github.com/playground-dev/playground/web/upstream"
)

// The recorder queues inserts and progress and commits them together;
// End returns only once the ending is written, so a page opened when the
// browser hears "done" finds the run complete.
func TestRecorderWritesInOrder(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		rec := NewRecorder(s, nil)
		defer rec.Close()
		ctx := context.Background()
		const n = 40
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rn := &run.Run{ID: fmt.Sprintf("run-%02d", i), Started: time.Now(),
					Spec: run.Spec{Owner: "owner", Provider: &catalog.Provider{ID: "sim"}, Model: &catalog.Model{ID: "m", Style: catalog.Chat},
						Request: &request.Request{Method: "POST", Path: "/v1/chat/completions"},
						Origin:  run.Origin{Form: formpkg.Decode(map[string][]string{"prompt": {"tell me"}})}}}
				if err := rec.Begin(rn); err != nil {
					t.Error(err)
				}
				rec.Progress(rn, run.Output{Choices: []run.ChoiceOutput{{Text: "half"}}})
				rec.End(rn, run.Record{State: run.Completed, Ended: time.Now(),
					Output: run.Output{Choices: []run.ChoiceOutput{{Text: "whole answer " + rn.ID}}}})
				e, err := s.Get(ctx, "owner", rn.ID)
				if err != nil {
					t.Errorf("%s after End: %v", rn.ID, err)
					return
				}
				if e.Status != run.Completed || e.Output.Text() != "whole answer "+rn.ID {
					t.Errorf("%s after End: %s %q", rn.ID, e.Status, e.Output.Text())
				}
			}()
		}
		wg.Wait()
		page, err := s.List(ctx, "owner", Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != n {
			t.Errorf("%d runs listed, want %d", page.Total, n)
		}
	})
}

// A batch with one bad write keeps the others.
func TestWriteFallsBackPerItem(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		good := Entry{ID: "good", Created: time.Now(), Status: run.Running}
		if err := s.Insert(ctx, "o", good); err != nil {
			t.Fatal(err)
		}
		err := s.Write(ctx, Batch{
			Inserts:  []InsertItem{{Owner: "o", Entry: good}, {Owner: "o", Entry: Entry{ID: "other", Created: time.Now(), Status: run.Running}}},
			Finishes: []FinishItem{{ID: "good", Record: run.Record{State: run.Completed, Ended: time.Now()}}},
		})
		if err == nil {
			t.Fatal("inserting an existing id again did not fail")
		}
		for id, want := range map[string]run.State{"good": run.Completed, "other": run.Running} {
			e, err := s.Get(ctx, "o", id)
			if err != nil || e.Status != want {
				t.Errorf("%s: %v %s, want %s", id, err, e.Status, want)
			}
		}
	})
}

// While a long answer streams, the history row holds at most the run's
// progress cap of it (not a copy of the whole output every few seconds);
// the end writes it all.
func TestProgressWritesCapped(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		rec := NewRecorder(s, nil)
		defer rec.Close()
		chunk := "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + strings.Repeat("words ", 100) + "\"}}]}\n\n"
		gate := make(chan struct{})
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			for i := range 2000 { // 1.2 MB
				if i == 1000 {
					w.(http.Flusher).Flush()
					select { // half of it sent: the test looks at the row
					case <-gate:
					case <-r.Context().Done():
						return
					}
				}
				io.WriteString(w, chunk)
			}
			io.WriteString(w, "data: [DONE]\n\n")
		}))
		defer up.Close()
		const limit = 64 << 10
		m := run.NewManager(run.Config{Recorder: rec, Caps: run.Caps{Progress: limit, ProgressEvery: time.Millisecond}},
			upstream.New(upstream.DefaultConfig()), &tokens.Counter{})
		defer m.Close()
		rn := m.Start(run.Spec{Owner: "owner", Provider: &catalog.Provider{ID: "p"}, Model: &catalog.Model{ID: "m", Style: catalog.Chat},
			Request:  &request.Request{Method: "POST", Path: "/chat/completions", Stream: true, Body: []byte("{}")},
			BaseURLs: []string{up.URL}, Origin: run.Origin{Form: formpkg.Decode(map[string][]string{"prompt": {"long"}})}})
		release := rn.Watch()
		defer release()
		ctx := context.Background()
		var e Entry
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			var err error
			if e, err = s.Get(ctx, "owner", rn.ID); err == nil && e.Output.Text() != "" {
				break
			}
		}
		if n := len(e.Output.Text()); n == 0 || n > limit || e.Status != run.Running {
			t.Fatalf("while running the row has %d bytes of text, status %s", n, e.Status)
		}
		close(gate)
		for deadline := time.Now().Add(20 * time.Second); rn.State() == run.Running && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		e, err := s.Get(ctx, "owner", rn.ID)
		if err != nil || e.Status != run.Completed || len(e.Output.Text()) != 2000*600 {
			t.Fatalf("at the end: %v, %s, %d bytes", err, e.Status, len(e.Output.Text()))
		}
	})
}
