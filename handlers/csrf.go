package handlers

import (
	"crypto/subtle"
	"net/http"

	"github.com/gofiber/fiber/v2"
)

// CSRF protection is a synchronizer token kept in the encrypted session:
// htmx sends it in the X-CSRF-Token header (the page's body carries
// hx-headers), plain forms in a hidden _csrf field. Cross-origin requests
// are also refused on the browser's own word (Sec-Fetch-Site, Origin), by
// net/http's CrossOriginProtection.
const (
	csrfHeader     = "X-CSRF-Token"
	csrfField      = "_csrf"
	csrfRefusedMsg = "This request did not come from a page of this playground, or the page is too old. Reload the page and try again."
)

// csrfToken returns the session's token, creating it.
func csrfToken(c *fiber.Ctx) string {
	if s := sessionOf(c); s != nil {
		return s.EnsureCSRF()
	}
	return ""
}

// csrfChecked marks a request whose token came in its header.
const csrfChecked = "csrf-checked"

// CSRF refuses state-changing requests (anything but GET, HEAD and
// OPTIONS) from another origin, from a session with no token, or with a
// wrong token in the X-CSRF-Token header, all before the body is read. A
// request with no such header is checked by CSRFField, once BodyLimits has
// bounded its body.
func CSRF() fiber.Handler {
	cop := http.NewCrossOriginProtection()
	return func(c *fiber.Ctx) error {
		if !changesState(c) {
			return c.Next()
		}
		r := &http.Request{Method: c.Method(), Host: string(c.Request().Host()), Header: http.Header{}}
		for _, h := range []string{"Sec-Fetch-Site", "Origin"} {
			if v := c.Get(h); v != "" {
				r.Header.Set(h, v)
			}
		}
		if err := cop.Check(r); err != nil {
			return fiber.NewError(fiber.StatusForbidden, csrfRefusedMsg)
		}
		want := sessionToken(c)
		if want == "" {
			return fiber.NewError(fiber.StatusForbidden, csrfRefusedMsg)
		}
		if got := c.Get(csrfHeader); got != "" {
			if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
				return fiber.NewError(fiber.StatusForbidden, csrfRefusedMsg)
			}
			c.Locals(csrfChecked, true)
		}
		return c.Next()
	}
}

// CSRFField checks the token of a plain form, in its _csrf field: from
// the body only, never the query string, where a token would end up in
// logs and history.
func CSRFField() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !changesState(c) || c.Locals(csrfChecked) != nil {
			return c.Next()
		}
		got := c.Request().PostArgs().Peek(csrfField)
		if subtle.ConstantTimeCompare(got, []byte(sessionToken(c))) != 1 {
			return fiber.NewError(fiber.StatusForbidden, csrfRefusedMsg)
		}
		return c.Next()
	}
}

func changesState(c *fiber.Ctx) bool {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return false
	}
	return true
}

// sessionToken is the session's CSRF token, "" when it has none.
func sessionToken(c *fiber.Ctx) string {
	if s := sessionOf(c); s != nil {
		return s.CSRF()
	}
	return ""
}
