package history

import (
	"context"
	"testing"
	"time"
)

func TestSessionEpochs(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if n, at, err := s.SessionEpoch(ctx, "owner-a"); err != nil || n != 0 || !at.IsZero() {
			t.Fatalf("a new session's epoch: %d %v %v", n, at, err)
		}
		for want := int64(1); want <= 3; want++ {
			if n, ok, err := s.BumpSessionEpoch(ctx, "owner-a", want-1); err != nil || !ok || n != want {
				t.Fatalf("bump: %d %v %v, want %d", n, ok, err, want)
			}
		}
		if n, at, _ := s.SessionEpoch(ctx, "owner-a"); n != 3 || time.Since(at) > time.Minute {
			t.Errorf("epoch %d raised at %v, want 3 just now", n, at)
		}
		// A copy that is no longer current cannot raise it (two requests
		// from one cookie: the second loses and learns the epoch).
		for _, from := range []int64{0, 1, 2} {
			if n, ok, err := s.BumpSessionEpoch(ctx, "owner-a", from); err != nil || ok || n != 3 {
				t.Errorf("bump from the stale %d: %d %v %v, want refused at 3", from, n, ok, err)
			}
		}
		if n, _, _ := s.SessionEpoch(ctx, "owner-b"); n != 0 {
			t.Errorf("another session's epoch: %d", n)
		}
		if err := s.ForgetSessionEpochs(ctx, time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if n, _, _ := s.SessionEpoch(ctx, "owner-a"); n != 0 {
			t.Errorf("after forgetting: %d", n)
		}
		// A cookie that outlived its forgotten epoch goes on from its own.
		if n, ok, err := s.BumpSessionEpoch(ctx, "owner-a", 3); err != nil || !ok || n != 4 {
			t.Errorf("bump after forgetting: %d %v %v", n, ok, err)
		}
	})
}
