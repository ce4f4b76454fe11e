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
	keyCSRF        = "csrf"
	csrfHeader     = "X-CSRF-Token"
	csrfField      = "_csrf"
	csrfRefusedMsg = "This request did not come from a page of this playground, or the page is too old. Reload the page and try again."
)

// csrfToken returns the session's token, creating it.
func csrfToken(c *fiber.Ctx) string { return sessionRandom(c, keyCSRF, 32) }

// CSRF refuses state-changing requests (anything but GET, HEAD and
// OPTIONS) without the session's token or from another origin.
func CSRF() fiber.Handler {
	cop := http.NewCrossOriginProtection()
	return func(c *fiber.Ctx) error {
		switch c.Method() {
		case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
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
		s := sessionOf(c)
		want := ""
		if s != nil {
			want = s.Get(keyCSRF)
		}
		if want == "" {
			return fiber.NewError(fiber.StatusForbidden, csrfRefusedMsg)
		}
		got := c.Get(csrfHeader)
		if got == "" {
			// A plain form's field, from the body only: never the query
			// string, where a token would end up in logs and history.
			got = string(c.Request().PostArgs().Peek(csrfField))
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			return fiber.NewError(fiber.StatusForbidden, csrfRefusedMsg)
		}
		return c.Next()
	}
}
