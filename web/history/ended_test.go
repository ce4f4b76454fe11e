package history

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/run"
)

// A run inserted and ended in one batch is stored as one inserted and
// then ended in two: the same entry, transcript, size, search and list,
// also when the ending does not fit the run's byte limit.
func TestRunEndedInItsInsertsBatch(t *testing.T) {
	for _, lim := range []struct {
		name     string
		runBytes int64
	}{{"within the limit", 0}, {"cut to the limit", 6 << 10}} {
		t.Run(lim.name, func(t *testing.T) {
			eachStore(t, func(t *testing.T, s *Store) {
				ctx := context.Background()
				l := DefaultLimits()
				l.RunBytes = lim.runBytes
				s.SetLimits(l)
				t0 := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
				rec := run.Record{State: run.Completed, Ended: t0.Add(3 * time.Second),
					Output:     run.Output{Choices: []run.ChoiceOutput{{Text: "Narwhals have tusks. " + strings.Repeat("x", 5000)}}},
					Outcome:    run.Outcome{State: run.Completed},
					Transcript: []byte("data: {\"a\":1}\n\n" + strings.Repeat("y", 8000))}
				for _, id := range []string{"apart", "together"} {
					ins := InsertItem{Owner: "alice", Entry: entry(id, t0, "openai", "m", "A question about whales")}
					fin := FinishItem{ID: id, Prompt: "A question about whales", Record: rec}
					var err error
					if id == "apart" {
						if err = s.Write(ctx, Batch{Inserts: []InsertItem{ins}}); err == nil {
							err = s.Write(ctx, Batch{Finishes: []FinishItem{fin}})
						}
					} else {
						err = s.Write(ctx, Batch{Inserts: []InsertItem{ins}, Finishes: []FinishItem{fin}})
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				a, err := s.Get(ctx, "alice", "apart")
				if err != nil {
					t.Fatal(err)
				}
				b, err := s.Get(ctx, "alice", "together")
				if err != nil {
					t.Fatal(err)
				}
				if b.Status != run.Completed || !b.Updated.Equal(a.Updated) {
					t.Errorf("together: status %s, updated %v (apart %v)", b.Status, b.Updated, a.Updated)
				}
				a.ID, b.ID = "", ""
				if !reflect.DeepEqual(a, b) {
					t.Errorf("the entries differ:\napart    %+v\ntogether %+v", a, b)
				}
				ta, _ := s.Transcript(ctx, "alice", "apart")
				tb, _ := s.Transcript(ctx, "alice", "together")
				if string(ta) != string(tb) {
					t.Errorf("transcripts of %d and %d bytes", len(ta), len(tb))
				}
				if sa, sb := storedBytes(t, s, "apart"), storedBytes(t, s, "together"); sa != sb {
					t.Errorf("bytes %d apart, %d together", sa, sb)
				}
				p, err := s.List(ctx, "alice", Filter{Query: "narwhals"})
				if err != nil || len(p.Entries) != 2 {
					t.Errorf("a search for the answer finds %d runs (%v)", len(p.Entries), err)
				}
			})
		})
	}
}
