package session

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"unicode/utf8"
)

func testStore(t *testing.T) *Store {
	t.Helper()
	pair, err := NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := LoadKeys(pair, "")
	if err != nil {
		t.Fatal(err)
	}
	return NewStore(keys, Options{})
}

// noise is n characters that do not compress.
func noise(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func TestKeepAccount(t *testing.T) {
	st := testStore(t)
	s := st.Load("")
	if p := st.KeepAccount(s, "small"); p != nil || s.Account() != "small" {
		t.Fatalf("small account: %v, kept %q", p, s.Account())
	}
	p := st.KeepAccount(s, noise(MaxCookie))
	if p == nil || p.Message != "Your keys and providers no longer fit in the session cookie (3 KB): remove a provider or a key first." {
		t.Fatalf("too large an account: %v", p)
	}
	if s.Account() != "small" {
		t.Fatalf("the session changed: %q", s.Account())
	}
	if p := st.KeepAccount(nil, "x"); p != ErrUnavailable {
		t.Fatalf("no session: %v", p)
	}
}

func TestKeepFlash(t *testing.T) {
	st := testStore(t)
	s := st.Load("")
	st.KeepFlash(s, strings.Repeat("é", 500))
	if got := s.Flash(); utf8.RuneCountInString(got) != maxFlash+1 || !strings.HasSuffix(got, "…") {
		t.Fatalf("long flash kept as %d runes", utf8.RuneCountInString(got))
	}
	s.SetAccount(noise(MaxCookie - 600))
	st.KeepFlash(s, noise(390))
	if s.Flash() != "" {
		t.Fatal("a flash that overflows the cookie was kept")
	}
	st.KeepFlash(nil, "nothing to keep it in") // no panic
}
