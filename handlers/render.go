package handlers

import (
	"net/url"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
)

// render writes a templ component as the HTML response.
func render(c *fiber.Ctx, status int, comp templ.Component) error {
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return comp.Render(c.UserContext(), c.Response().BodyWriter())
}

// formValues copies the urlencoded body into url.Values. The copies outlive
// the request, unlike fasthttp's byte slices.
func formValues(c *fiber.Ctx) url.Values {
	v := url.Values{}
	c.Request().PostArgs().VisitAll(func(k, val []byte) {
		v.Add(string(k), string(val))
	})
	return v
}

// isHTMX reports whether htmx made the request.
func isHTMX(c *fiber.Ctx) bool { return c.Get("HX-Request") == "true" }
