package handlers

import (
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/web/session"
)

// contentSecurityPolicy allows no inline script or style: the page's script
// is a file, htmx is configured not to inject styles or evaluate code.
// Images load only from the app and from inline data: a page never fetches
// another host by itself, so a model's answer cannot send the conversation
// out in an image URL and a share-link viewer's address reaches nobody.
// Remote images (in answers, and a person's own image URLs) are links
// that open in a new tab (web/markdown).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// SecurityHeaders sets the headers every response carries.
func SecurityHeaders() fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set("Content-Security-Policy", contentSecurityPolicy)
		c.Set("X-Content-Type-Options", "nosniff")
		c.Set("Referrer-Policy", "no-referrer")
		c.Set("X-Frame-Options", "DENY")
		return c.Next()
	}
}

const sessionLocal = "session"

// Sessions loads the browser's session before the handler and writes it
// back after, if the handler changed it.
//
// Copies of a cookie end at every change of the session's keys or
// providers (session epochs): the request that
// makes the change raises the epoch and gets the new one; a cookie of an
// older epoch is served a new, empty session. A request whose copy was
// superseded a moment ago is most likely another of the same browser, sent
// before the change reached it: its empty session is not written back
// (that would replace the browser's real cookie), nor is a session that a
// change elsewhere superseded while this request ran. A change of keys that
// loses such a race is answered 409, so nobody believes a key cleared that
// was not.
func Sessions(store *session.Store, epochs *session.Epochs, log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		s := store.Load(c.Get(fiber.HeaderCookie))
		write := true
		switch epochs.Check(c.UserContext(), s.Owner(), s) {
		case session.Superseded:
			s, write = store.Load(""), false
		case session.Stale:
			s = store.Load("")
		}
		if c.Protocol() == "https" {
			s.MarkSecure() // served over TLS, or behind a trusted TLS proxy
		}
		c.Locals(sessionLocal, s)
		account := s.Account()
		err := c.Next()
		keys := s.Account() != account
		switch {
		case !write:
		case keys:
			ok, berr := epochs.Bump(c.UserContext(), s.Owner(), s)
			if berr != nil {
				log.Error("session epoch not raised", "err", berr)
			}
			write = ok
			if !ok && err == nil {
				log.Info("session change refused: the session changed in another request")
				c.Response().Header.Del(fiber.HeaderLocation)
				return fiber.NewError(fiber.StatusConflict, "Your session changed in another tab or window while this was being saved, so it was not saved. Reload the page and try again.")
			}
		case s.Changed():
			// Another request of this browser may have changed the
			// session while this one ran: its cookie is the current one.
			write = epochs.Check(c.UserContext(), s.Owner(), s) == session.Current
		}
		if s.Changed() && write {
			cookie, serr := store.Save(s)
			if serr != nil {
				log.Error("session save failed", "err", serr)
			} else {
				c.Response().Header.Add(fiber.HeaderSetCookie, cookie)
			}
		}
		return err
	}
}

// sessionOf returns the request's session.
func sessionOf(c *fiber.Ctx) *session.Session {
	s, _ := c.Locals(sessionLocal).(*session.Session)
	return s
}

// AccessLog logs one line per request: method, path (no query string),
// status, duration and size. Never headers (cookies, keys) or bodies
// (prompts). Static files and health checks log at debug level.
func AccessLog(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		status := c.Response().StatusCode()
		if err != nil {
			status = fiber.StatusInternalServerError
			var fe *fiber.Error
			if errors.As(err, &fe) {
				status = fe.Code
			}
		}
		level := slog.LevelInfo
		if p := c.Path(); strings.HasPrefix(p, "/static/") || p == "/healthz" || p == "/readyz" {
			level = slog.LevelDebug
		}
		size := -1 // a stream: its size is not known yet
		if !c.Response().IsBodyStream() {
			size = len(c.Response().Body())
		}
		log.Log(c.UserContext(), level, "request", "method", c.Method(), "path", c.Path(), "status", status,
			"duration_ms", time.Since(start).Milliseconds(), "bytes", size)
		return err
	}
}
