package history

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestStoreExperiments(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		x := Experiment{ID: NewID(), Created: time.Now(), Title: "Capitals", File: []byte("name: Capitals\n"), Results: []byte(`{"cells":[]}`)}
		if err := s.PutExperiment(ctx, "alice", x); err != nil {
			t.Fatal(err)
		}
		// Kept again with new results (a retried cell): one row, updated.
		x.Results = []byte(`{"cells":[1]}`)
		if err := s.PutExperiment(ctx, "alice", x); err != nil {
			t.Fatal(err)
		}
		got, err := s.Experiment(ctx, "alice", x.ID)
		if err != nil || string(got.Results) != `{"cells":[1]}` || string(got.File) != "name: Capitals\n" || got.Title != "Capitals" {
			t.Fatalf("experiment %+v %v", got, err)
		}
		// Another owner can neither read nor overwrite it.
		if _, err := s.Experiment(ctx, "bob", x.ID); !errors.Is(err, ErrNotFound) {
			t.Fatal("another owner opened the experiment")
		}
		if err := s.PutExperiment(ctx, "bob", Experiment{ID: x.ID, Created: time.Now(), Title: "mine", Results: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Experiment(ctx, "alice", x.ID); got.Title != "Capitals" {
			t.Fatalf("another owner's put changed it: %+v", got)
		}
		list, err := s.Experiments(ctx, "alice", 10)
		if err != nil || len(list) != 1 || list[0].ID != x.ID || list[0].Shared {
			t.Fatalf("list %+v %v", list, err)
		}
		e := entry("r1", time.Now(), "sim", "m", "a cell")
		e.GroupID = ExperimentGroup(x.ID)
		if err := s.Insert(ctx, "alice", e); err != nil {
			t.Fatal(err)
		}
		sid, err := s.ShareExperiment(ctx, "alice", x.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sh, err := s.SharedExperiment(ctx, sid); err != nil || sh.ID != x.ID {
			t.Fatalf("shared %v", err)
		}
		if list, _ := s.Experiments(ctx, "alice", 10); !list[0].Shared {
			t.Error("the list does not say it is shared")
		}
		if err := s.UnshareExperiment(ctx, "alice", x.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SharedExperiment(ctx, sid); !errors.Is(err, ErrNotFound) {
			t.Fatal("a revoked link still opens")
		}
		if err := s.DeleteExperiment(ctx, "alice", x.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "alice", "r1"); !errors.Is(err, ErrNotFound) {
			t.Error("the experiment's runs outlived it")
		}
		if err := s.DeleteExperiment(ctx, "alice", x.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleting twice: %v", err)
		}
		big := Experiment{ID: NewID(), Created: time.Now(), Results: make([]byte, MaxExperimentBytes+1)}
		if err := s.PutExperiment(ctx, "alice", big); err == nil {
			t.Error("an experiment over the limit was kept")
		}
	})
}
