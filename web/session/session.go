// Package session is a typed wrapper over gorilla/sessions' cookie store:
// the whole session lives in an encrypted, signed cookie, so any number of
// playground instances can serve the same browser.
//
// It works on cookie header strings, not on a framework's request type, so
// it can sit behind Fiber (fasthttp) as well as net/http.
package session

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/sessions"
)

// CookieName is the session cookie's name.
const CookieName = "playground_session"

// KeyFile is the file in the data directory that keeps generated keys.
const KeyFile = "session-keys"

// Store loads and saves sessions.
type Store struct {
	cs *sessions.CookieStore
	// decoded remembers the values of cookies recently decoded or written,
	// by the cookie's value: verifying, decrypting and gob-decoding the
	// cookie is most of a request's session cost, and a browser sends the
	// same cookie until its session changes. The value is signed, so a
	// cookie found here is one this store encoded.
	decoded decodedCache
}

// MaxAge is how long a session cookie lasts unless Options say otherwise.
const MaxAge = 30 * 24 * time.Hour

// Options configure the cookie.
type Options struct {
	// Secure marks the cookie Secure (set when served over TLS).
	Secure bool
	// MaxAge in seconds; 0 means 30 days.
	MaxAge int
}

// NewStore makes a store from key pairs (hash key, block key), newest
// first: the first pair signs and encrypts, all pairs are tried when
// reading, which is how keys are rotated.
func NewStore(keyPairs [][]byte, opt Options) *Store {
	cs := sessions.NewCookieStore(keyPairs...)
	maxAge := opt.MaxAge
	if maxAge == 0 {
		maxAge = int(MaxAge / time.Second)
	}
	cs.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   opt.Secure,
		SameSite: http.SameSiteLaxMode,
	}
	cs.MaxAge(maxAge)
	return &Store{cs: cs}
}

// LoadKeys returns the session key pairs. configured is a comma-separated
// list of hex keys (each pair "HASH:BLOCK", 64-byte hash and 32-byte block
// key), newest first; when it is empty the keys are read from dataDir, and
// generated there (mode 0600) on first start.
func LoadKeys(configured, dataDir string) ([][]byte, error) {
	if strings.TrimSpace(configured) != "" {
		return parseKeys(configured)
	}
	path := filepath.Join(dataDir, KeyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		return parseKeys(strings.TrimSpace(string(b)))
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("session keys: %w", err)
	}
	hashKey, blockKey := make([]byte, 64), make([]byte, 32)
	if _, err := rand.Read(hashKey); err != nil {
		return nil, fmt.Errorf("session keys: %w", err)
	}
	if _, err := rand.Read(blockKey); err != nil {
		return nil, fmt.Errorf("session keys: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("session keys: %w", err)
	}
	line := hex.EncodeToString(hashKey) + ":" + hex.EncodeToString(blockKey) + "\n"
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		return nil, fmt.Errorf("session keys: %w", err)
	}
	return [][]byte{hashKey, blockKey}, nil
}

func parseKeys(s string) ([][]byte, error) {
	var out [][]byte
	for i, pair := range strings.Split(s, ",") {
		h, b, ok := strings.Cut(strings.TrimSpace(pair), ":")
		hk, err1 := hex.DecodeString(h)
		bk, err2 := hex.DecodeString(b)
		if !ok || err1 != nil || err2 != nil || len(hk) < 32 || (len(bk) != 16 && len(bk) != 24 && len(bk) != 32) {
			return nil, fmt.Errorf("session keys: pair %d must be HASH:BLOCK in hex, hash at least 32 bytes, block 16, 24 or 32 bytes", i+1)
		}
		out = append(out, hk, bk)
	}
	return out, nil
}

// NewKeyPair returns a fresh "HASH:BLOCK" hex pair, for rotation.
func NewKeyPair() (string, error) {
	hashKey, blockKey := make([]byte, 64), make([]byte, 32)
	if _, err := rand.Read(hashKey); err != nil {
		return "", err
	}
	if _, err := rand.Read(blockKey); err != nil {
		return "", err
	}
	return hex.EncodeToString(hashKey) + ":" + hex.EncodeToString(blockKey), nil
}

// Session is one browser's session.
type Session struct {
	s       *sessions.Session
	changed bool
}

// Load decodes the session from a Cookie header. A missing, expired or
// tampered cookie gives a new empty session.
//
// cookieHeader may alias a buffer its caller reuses (fasthttp's request
// buffer, through Fiber's zero-copy strings): what Load keeps past the
// call, the cache's key, is a copy.
func (st *Store) Load(cookieHeader string) *Session {
	value := strings.Clone(cookieValue(cookieHeader))
	if value == "" {
		return st.fresh()
	}
	if vals, ok := st.decoded.get(value); ok {
		s := st.fresh()
		s.s.Values, s.s.IsNew = vals, false
		return s
	}
	r := &http.Request{Header: http.Header{"Cookie": {cookieHeader}}}
	s, err := st.cs.New(r, CookieName)
	if err != nil || s == nil || s.IsNew {
		return st.fresh()
	}
	if issued, ok := issuedAt(value); ok {
		st.decoded.put(value, s.Values, issued.Add(time.Duration(st.cs.Options.MaxAge)*time.Second))
	}
	return &Session{s: s}
}

// issuedAt reads the time securecookie wrote into a cookie value it
// encoded: base64 of "time|value|mac". Only called on values it verified.
func issuedAt(value string) (time.Time, bool) {
	b, err := base64.URLEncoding.DecodeString(value)
	if err != nil {
		return time.Time{}, false
	}
	ts, _, ok := bytes.Cut(b, []byte("|"))
	sec, err := strconv.ParseInt(string(ts), 10, 64)
	if !ok || err != nil {
		return time.Time{}, false
	}
	return time.Unix(sec, 0), true
}

func (st *Store) fresh() *Session {
	s := sessions.NewSession(st.cs, CookieName)
	opts := *st.cs.Options
	s.Options = &opts
	s.IsNew = true
	return &Session{s: s}
}

// cookieValue returns the session cookie's value in a Cookie header, as
// gorilla/sessions reads it: the first cookie of that name, skipping
// malformed cookies of other sites (http.ParseCookie would refuse them all).
func cookieValue(header string) string {
	if !strings.Contains(header, CookieName) {
		return ""
	}
	c, err := (&http.Request{Header: http.Header{"Cookie": {header}}}).Cookie(CookieName)
	if err != nil {
		return ""
	}
	return c.Value
}

// get returns a string value (the typed methods in state.go name the keys).
func (s *Session) get(key string) string {
	v, _ := s.s.Values[key].(string)
	return v
}

// set stores a string value; an empty value deletes the key.
func (s *Session) set(key, value string) {
	if s.get(key) == value {
		return
	}
	if value == "" {
		delete(s.s.Values, key)
	} else {
		s.s.Values[key] = value
	}
	s.changed = true
}

// MarkSecure makes the cookie Secure when it is next written (the request
// came over TLS).
func (s *Session) MarkSecure() {
	if s.s.Options == nil || s.s.Options.Secure {
		return
	}
	o := *s.s.Options
	o.Secure = true
	s.s.Options = &o
}

// Changed reports whether the session must be written back.
func (s *Session) Changed() bool { return s.changed }

// Save encodes the session and returns the Set-Cookie header value.
func (st *Store) Save(s *Session) (string, error) {
	w := &headerWriter{h: http.Header{}}
	if err := st.cs.Save(&http.Request{Header: http.Header{}}, w, s.s); err != nil {
		return "", fmt.Errorf("session: %w", err)
	}
	cookie := w.h.Get("Set-Cookie")
	if c, err := http.ParseSetCookie(cookie); err == nil && c.Value != "" && s.s.Options.MaxAge > 0 {
		st.decoded.put(c.Value, s.s.Values, time.Now().Add(time.Duration(s.s.Options.MaxAge)*time.Second))
	}
	return cookie, nil
}

// MaxCookie is the most bytes the session cookie's value may take. It
// leaves room under a browser's 4 KB for a cookie's name and attributes,
// and under the server's header buffer for the other cookies of the host.
const MaxCookie = 3 << 10

// ErrTooLarge is a session that would not fit in its cookie.
var ErrTooLarge = fmt.Errorf("session: larger than the %d KB a session cookie may take", MaxCookie>>10)

// Fits reports (as ErrTooLarge or another error) whether s can be encoded
// into a cookie of at most MaxCookie bytes.
func (st *Store) Fits(s *Session) error {
	cookie, err := st.Save(s)
	if err != nil {
		return err
	}
	if c, err := http.ParseSetCookie(cookie); err != nil || len(c.Value) > MaxCookie {
		return ErrTooLarge
	}
	return nil
}

// headerWriter captures the headers gorilla/sessions sets.
type headerWriter struct{ h http.Header }

func (w *headerWriter) Header() http.Header         { return w.h }
func (w *headerWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *headerWriter) WriteHeader(int)             {}

// decodedCache holds up to 2×cacheGeneration decoded sessions, each for at
// most cacheTTL and never past the cookie's own expiry: entries move from
// the current generation to the previous one when the current fills up,
// and the previous one is dropped. Values are copied in and out: a
// session's values change under its handler.
type decodedCache struct {
	mu        sync.Mutex
	cur, prev map[string]cachedValues
}

type cachedValues struct {
	vals  map[any]any
	until time.Time
}

const (
	cacheGeneration = 4096
	cacheTTL        = time.Minute
)

func (c *decodedCache) get(value string) (map[any]any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.cur[value]
	if !ok {
		if e, ok = c.prev[value]; !ok {
			return nil, false
		}
	}
	if time.Now().After(e.until) {
		delete(c.cur, value)
		delete(c.prev, value)
		return nil, false
	}
	return maps.Clone(e.vals), true
}

// put remembers vals for the cookie value until expires (or cacheTTL).
func (c *decodedCache) put(value string, vals map[any]any, expires time.Time) {
	for _, v := range vals {
		if _, ok := v.(string); !ok {
			return // only string values are known to be safe to share
		}
	}
	until := time.Now().Add(cacheTTL)
	if expires.Before(until) {
		until = expires
	}
	e := cachedValues{vals: maps.Clone(vals), until: until}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cur) >= cacheGeneration || c.cur == nil {
		c.prev, c.cur = c.cur, map[string]cachedValues{}
	}
	c.cur[value] = e
}
