package session

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"
)

func cookiePair(setCookie string) string { return strings.Split(setCookie, ";")[0] }

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
	s.set("model", "gpt-5.4")
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
	if got := NewStore(keys2, Options{}).Load(cookiePair(sc)).get("model"); got != "gpt-5.4" {
		t.Errorf("after restart model = %q", got)
	}
	// Tampering gives an empty session.
	if got := st.Load(cookiePair(sc) + "x").get("model"); got != "" {
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
	s.set("k", "v")
	sc, _ := old.Save(s)
	if !strings.Contains(sc, "Secure") {
		t.Errorf("cookie %q not Secure", sc)
	}
	rotated, err := LoadKeys(newPair+","+oldPair, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := NewStore(rotated, Options{}).Load(cookiePair(sc)).get("k"); got != "v" {
		t.Errorf("rotated store could not read an old cookie: %q", got)
	}
	if _, err := LoadKeys("zz:yy", ""); err == nil {
		t.Error("bad keys accepted")
	}
}

// TestDecodedCache: a cookie read again comes from the cache with its own
// copy of the values; a tampered one is still refused; an entry never
// outlives the cookie's MaxAge; another cookie in the header does not
// confuse it.
func TestDecodedCache(t *testing.T) {
	pair, _ := NewKeyPair()
	keys, _ := LoadKeys(pair, "")
	st := NewStore(keys, Options{MaxAge: 1})
	s := st.Load("")
	s.set("k", "v")
	sc, err := st.Save(s)
	if err != nil {
		t.Fatal(err)
	}
	header := "other=1; bad name=x; " + cookiePair(sc) + "; x=y"
	if len(st.decoded.cur) != 1 {
		t.Fatalf("the saved cookie is not remembered: %d entries", len(st.decoded.cur))
	}
	first := st.Load(header)
	first.set("k", "changed")
	if got := st.Load(header).get("k"); got != "v" {
		t.Errorf("a handler's change leaked into the cache: %q", got)
	}
	if got := st.Load(cookiePair(sc) + "x").get("k"); got != "" {
		t.Errorf("tampered cookie decoded to %q", got)
	}
	// A cookie decoded (not saved) by this store is remembered too.
	other := NewStore(keys, Options{MaxAge: 1})
	if got := other.Load(header).get("k"); got != "v" || len(other.decoded.cur) != 1 {
		t.Errorf("decoded %q, %d entries", got, len(other.decoded.cur))
	}
	time.Sleep(2100 * time.Millisecond)
	if got := st.Load(header).get("k"); got != "" {
		t.Errorf("a cookie past its MaxAge still loads from the cache: %q", got)
	}
	if got := other.Load(header).get("k"); got != "" {
		t.Errorf("a decoded cookie past its MaxAge still loads from the cache: %q", got)
	}
}

func BenchmarkLoad(b *testing.B) {
	pair, _ := NewKeyPair()
	keys, _ := LoadKeys(pair, "")
	st := NewStore(keys, Options{})
	s := st.Load("")
	s.set("sid", strings.Repeat("a", 32))
	s.set("csrf", strings.Repeat("b", 64))
	s.set("model", "gpt-5.4")
	sc, _ := st.Save(s)
	header := cookiePair(sc)
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			st.Load(header)
		}
	})
	b.Run("decoded", func(b *testing.B) {
		for b.Loop() {
			st.decoded = decodedCache{}
			st.Load(header)
		}
	})
}

// TestLoadCopiesWhatItKeeps is the red-team's reproduction: Fiber hands
// Load a string over fasthttp's request buffer, which the next request
// overwrites. The cache must not keep that buffer as a key, or a later
// browser whose cookie lands at the same place is served this one's session.
func TestLoadCopiesWhatItKeeps(t *testing.T) {
	pair, _ := NewKeyPair()
	keys, _ := LoadKeys(pair, "")
	st := NewStore(keys, Options{})
	cookieOf := func(sid string) string {
		s := st.Load("")
		s.set("sid", sid)
		sc, err := st.Save(s)
		if err != nil {
			t.Fatal(err)
		}
		return cookiePair(sc)
	}
	alice, bob, carol := cookieOf("alice-owner-id-0"), cookieOf("bob-owner-id-000"), cookieOf("carol-owner-id-0")
	if len(alice) != len(bob) || len(bob) != len(carol) {
		t.Fatalf("cookies of different lengths: %d %d %d", len(alice), len(bob), len(carol))
	}
	st.decoded = decodedCache{} // a restart
	buf := make([]byte, len(alice))
	load := func(header string) string {
		copy(buf, header) // the request buffer, reused for each request
		return st.Load(unsafe.String(&buf[0], len(buf))).Owner()
	}
	for _, c := range []struct{ header, want string }{
		{carol, "carol-owner-id-0"}, {bob, "bob-owner-id-000"}, {alice, "alice-owner-id-0"},
		{carol, "carol-owner-id-0"}, {alice, "alice-owner-id-0"}, {bob, "bob-owner-id-000"},
	} {
		if got := load(c.header); got != c.want {
			t.Errorf("served %q to the browser of %q", got, c.want)
		}
	}
	for k := range st.decoded.cur {
		if k != strings.TrimPrefix(alice, CookieName+"=") && k != strings.TrimPrefix(bob, CookieName+"=") && k != strings.TrimPrefix(carol, CookieName+"=") {
			t.Errorf("a cache key changed under the cache: %.40q…", k)
		}
	}
}

// TestTypedStateKeepsItsKeys: the typed state reads what cookies issued
// before it hold (the same keys), round-trips through a cookie, and a
// flash is read once.
func TestTypedStateKeepsItsKeys(t *testing.T) {
	pair, _ := NewKeyPair()
	keys, err := LoadKeys(pair, "")
	if err != nil {
		t.Fatal(err)
	}
	st := NewStore(keys, Options{})
	s := st.Load("")
	for key, want := range map[string]string{"sid": "o1", "csrf": "t1", "account": "a1", "provider": "p1", "model": "m1", "run": "r1", "cmp": "g1", "flash": "f1"} {
		s.set(key, want)
	}
	sc, err := st.Save(s)
	if err != nil {
		t.Fatal(err)
	}
	got := st.Load(cookiePair(sc))
	provider, model := got.Picked()
	for _, c := range []struct{ name, got, want string }{
		{"owner", got.Owner(), "o1"}, {"csrf", got.CSRF(), "t1"}, {"account", got.Account(), "a1"},
		{"provider", provider, "p1"}, {"model", model, "m1"},
		{"last comparison", got.LastComparison(), "g1"}, {"flash", got.TakeFlash(), "f1"}, {"flash again", got.TakeFlash(), ""},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	fresh := st.Load("")
	if o := fresh.EnsureOwner(); len(o) != 32 || fresh.EnsureOwner() != o {
		t.Errorf("EnsureOwner = %q, then %q", o, fresh.EnsureOwner())
	}
	if tok := fresh.EnsureCSRF(); len(tok) != 64 || fresh.CSRF() != tok {
		t.Errorf("EnsureCSRF = %q", tok)
	}
}
