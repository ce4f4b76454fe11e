package session

import (
	"fmt"

	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/units"
)

// ErrUnavailable is the problem of a request that has no session to keep
// anything in.
var ErrUnavailable = problem.Errorf(problem.KindUnavailable, "Sessions are not available.")

// CookieFull says the person's keys and providers no longer fit in the
// session cookie (MaxCookie).
func CookieFull() *problem.Error {
	return &problem.Error{Kind: problem.KindInvalid, Err: ErrTooLarge,
		Message: fmt.Sprintf("Your keys and providers no longer fit in the session cookie (%s): remove a provider or a key first.", units.Bytes(MaxCookie))}
}

// KeepAccount keeps encoded as s's account if the cookie can still hold
// it; otherwise s is left as it was and the problem says why
// (ErrUnavailable for a nil s, else CookieFull).
func (st *Store) KeepAccount(s *Session, encoded string) *problem.Error {
	if s == nil {
		return ErrUnavailable
	}
	old := s.Account()
	s.SetAccount(encoded)
	if st.Fits(s) != nil {
		s.SetAccount(old)
		return CookieFull()
	}
	return nil
}

// maxFlash is how many characters of a one-time message are kept.
const maxFlash = 400

// KeepFlash keeps a one-time message for the next page, cut to maxFlash
// characters, and drops it rather than overflow the cookie: the change the
// message tells of must not be lost for it. A nil s keeps nothing.
func (st *Store) KeepFlash(s *Session, msg string) {
	if s == nil {
		return
	}
	if r := []rune(msg); len(r) > maxFlash {
		msg = string(r[:maxFlash]) + "…"
	}
	s.SetFlash(msg)
	if st.Fits(s) != nil {
		s.SetFlash("")
	}
}
