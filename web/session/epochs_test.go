package session

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// memEpochs is an EpochSource in memory.
type memEpochs struct {
	epoch  map[string]int64
	raised map[string]time.Time
}

func (m *memEpochs) SessionEpoch(_ context.Context, owner string) (int64, time.Time, error) {
	return m.epoch[owner], m.raised[owner], nil
}

func (m *memEpochs) BumpSessionEpoch(_ context.Context, owner string, from int64) (int64, bool, error) {
	if m.epoch[owner] != from {
		return m.epoch[owner], false, nil
	}
	m.epoch[owner], m.raised[owner] = from+1, time.Now()
	return from + 1, true, nil
}

func TestEpochsCheck(t *testing.T) {
	pair, _ := NewKeyPair()
	keys, _ := LoadKeys(pair, "")
	st := NewStore(keys, Options{})
	src := &memEpochs{epoch: map[string]int64{}, raised: map[string]time.Time{}}
	e := NewEpochs(src)
	e.settle = 50 * time.Millisecond
	ctx := context.Background()
	old := st.Load("")
	if got := e.Check(ctx, "o", old); got != Current {
		t.Fatalf("before any change: %v", got)
	}
	cur := st.Load("")
	if ok, err := e.Bump(ctx, "o", cur); !ok || err != nil || cur.get(EpochKey) != "1" {
		t.Fatalf("bump: %v %v epoch %q", ok, err, cur.get(EpochKey))
	}
	if got := e.Check(ctx, "o", cur); got != Current {
		t.Errorf("the copy that made the change: %v", got)
	}
	if got := e.Check(ctx, "o", old); got != Superseded {
		t.Errorf("an older copy right after the change: %v, want Superseded", got)
	}
	// A second change from the old copy loses the race.
	if ok, _ := e.Bump(ctx, "o", old); ok || old.get(EpochKey) != "" {
		t.Errorf("a bump from a superseded copy went through")
	}
	time.Sleep(3 * time.Second) // past the cache and the settle time
	if got := e.Check(ctx, "o", old); got != Stale {
		t.Errorf("an older copy a while after: %v, want Stale", got)
	}
	if got := e.Check(ctx, "o", cur); got != Current || strconv.Itoa(int(src.epoch["o"])) != cur.get(EpochKey) {
		t.Errorf("the current copy later: %v", got)
	}
}
