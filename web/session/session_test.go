package session

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func cookieValue(setCookie string) string { return strings.Split(setCookie, ";")[0] }

func TestRoundTripAndKeysKept(t *testing.T) {
	dir := t.TempDir()
	keys, err := LoadKeys("", dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", err, fi)
	}
	st := NewStore(keys, Options{})
	s := st.Load("")
	s.Set("model", "gpt-5.4")
	if !s.Changed() {
		t.Fatal("Set did not mark the session changed")
	}
	sc, err := st.Save(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, attr := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(sc, attr) {
			t.Errorf("cookie %q lacks %s", sc, attr)
		}
	}
	if strings.Contains(sc, "gpt-5.4") {
		t.Error("cookie is not encrypted")
	}
	// A restart reads the same keys, so the cookie still decodes.
	keys2, err := LoadKeys("", dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := NewStore(keys2, Options{}).Load(cookieValue(sc)).Get("model"); got != "gpt-5.4" {
		t.Errorf("after restart model = %q", got)
	}
	// Tampering gives an empty session.
	if got := st.Load(cookieValue(sc) + "x").Get("model"); got != "" {
		t.Errorf("tampered cookie decoded to %q", got)
	}
}

func TestSecureAndRotation(t *testing.T) {
	oldPair, _ := NewKeyPair()
	newPair, _ := NewKeyPair()
	oldKeys, err := LoadKeys(oldPair, "")
	if err != nil {
		t.Fatal(err)
	}
	old := NewStore(oldKeys, Options{Secure: true})
	s := old.Load("")
	s.Set("k", "v")
	sc, _ := old.Save(s)
	if !strings.Contains(sc, "Secure") {
		t.Errorf("cookie %q not Secure", sc)
	}
	rotated, err := LoadKeys(newPair+","+oldPair, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := NewStore(rotated, Options{}).Load(cookieValue(sc)).Get("k"); got != "v" {
		t.Errorf("rotated store could not read an old cookie: %q", got)
	}
	if _, err := LoadKeys("zz:yy", ""); err == nil {
		t.Error("bad keys accepted")
	}
}
