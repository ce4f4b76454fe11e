package history

import (
	"context"
	"testing"
	"time"
)

// Sessions' state is one row per kind and key: written in batches,
// replaced by the next write, apart per kind, and forgotten when old.
func TestSessionState(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		if _, ok, err := s.ReadState("drafts", "k1"); ok || err != nil {
			t.Fatalf("before any write: %v %v", ok, err)
		}
		if err := s.WriteState("drafts", map[string][]byte{"k1": []byte(`{"a":1}`), "k2": []byte(`{"b":2}`)}); err != nil {
			t.Fatal(err)
		}
		if err := s.WriteState("drafts", map[string][]byte{"k1": []byte(`{"a":3}`)}); err != nil {
			t.Fatal(err)
		}
		if err := s.WriteState("compare", map[string][]byte{"k1": []byte(`{"c":1}`)}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ kind, key, want string }{
			{"drafts", "k1", `{"a":3}`}, {"drafts", "k2", `{"b":2}`}, {"compare", "k1", `{"c":1}`},
		} {
			got, ok, err := s.ReadState(tc.kind, tc.key)
			if err != nil || !ok || string(got) != tc.want {
				t.Errorf("%s %s = %q %v %v, want %s", tc.kind, tc.key, got, ok, err, tc.want)
			}
		}
		if err := s.ForgetSessionState(context.Background(), time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := s.ReadState("drafts", "k1"); ok {
			t.Error("old state kept")
		}
	})
}
