package history

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/run"
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
						Origin:  run.Origin{Form: map[string][]string{"prompt": {"tell me"}}}}}
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
