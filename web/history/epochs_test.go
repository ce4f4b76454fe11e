package history

import (
	"context"
	"testing"
	"time"
)

func TestSessionEpochs(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if n, err := s.SessionEpoch(ctx, "owner-a"); err != nil || n != 0 {
			t.Fatalf("a new session's epoch: %d %v", n, err)
		}
		for want := int64(1); want <= 3; want++ {
			if n, err := s.BumpSessionEpoch(ctx, "owner-a"); err != nil || n != want {
				t.Fatalf("bump: %d %v, want %d", n, err, want)
			}
		}
		if n, _ := s.SessionEpoch(ctx, "owner-a"); n != 3 {
			t.Errorf("epoch %d, want 3", n)
		}
		if n, _ := s.SessionEpoch(ctx, "owner-b"); n != 0 {
			t.Errorf("another session's epoch: %d", n)
		}
		if err := s.ForgetSessionEpochs(ctx, time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.SessionEpoch(ctx, "owner-a"); n != 0 {
			t.Errorf("after forgetting: %d", n)
		}
	})
}
