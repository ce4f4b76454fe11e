package session

import (
	"crypto/rand"
	"encoding/hex"
)

// The keys of a session's values, written here only: the rest of the
// program reads and writes a session through the typed methods below. The
// short spellings are what cookies already hold, so sessions issued before
// the typed state still read the same.
const (
	keyOwner          = "sid"      // a random id: the runs and history a session may see
	keyCSRF           = "csrf"     // the CSRF token
	keyAccount        = "account"  // the person's keys and own providers (account.Encode)
	keyProvider       = "provider" // the provider last picked
	keyModel          = "model"    // the model last picked
	keyLastComparison = "cmp"      // the comparison the compare page shows after a reload
	keyFlash          = "flash"    // a one-time message for the next settings page
)

// Owner is the session's random owner id; "" before EnsureOwner.
func (s *Session) Owner() string { return s.get(keyOwner) }

// EnsureOwner returns the owner id, first setting a new random one.
func (s *Session) EnsureOwner() string { return s.ensureRandom(keyOwner, 16) }

// CSRF is the session's CSRF token; "" before EnsureCSRF.
func (s *Session) CSRF() string { return s.get(keyCSRF) }

// EnsureCSRF returns the CSRF token, first setting a new random one.
func (s *Session) EnsureCSRF() string { return s.ensureRandom(keyCSRF, 32) }

// ensureRandom returns the value of key, first setting it to n random
// bytes in hex.
func (s *Session) ensureRandom(key string, n int) string {
	v := s.get(key)
	if v == "" {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		v = hex.EncodeToString(b)
		s.set(key, v)
	}
	return v
}

// Account is the person's encoded account (keys and own providers), as
// account.Encode wrote it; "" when none.
func (s *Session) Account() string { return s.get(keyAccount) }

// SetAccount keeps an encoded account; "" forgets it.
func (s *Session) SetAccount(encoded string) { s.set(keyAccount, encoded) }

// Picked is the provider and model last picked.
func (s *Session) Picked() (provider, model string) { return s.get(keyProvider), s.get(keyModel) }

// Pick keeps the provider and model the page shows next.
func (s *Session) Pick(provider, model string) {
	s.set(keyProvider, provider)
	s.set(keyModel, model)
}

// LastComparison is the group id of the comparison the compare page shows.
func (s *Session) LastComparison() string { return s.get(keyLastComparison) }

// SetLastComparison keeps (or, with "", forgets) the comparison shown.
func (s *Session) SetLastComparison(group string) { s.set(keyLastComparison, group) }

// Flash is the one-time message for the next settings page.
func (s *Session) Flash() string { return s.get(keyFlash) }

// SetFlash keeps (or, with "", clears) the one-time message.
func (s *Session) SetFlash(msg string) { s.set(keyFlash, msg) }

// TakeFlash returns the one-time message and clears it.
func (s *Session) TakeFlash() string {
	f := s.get(keyFlash)
	if f != "" {
		s.set(keyFlash, "")
	}
	return f
}
