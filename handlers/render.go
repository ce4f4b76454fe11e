package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	webform "github.com/playground-dev/playground/web/form"
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

// postedDraft reads the posted form into a draft (form.Decode): where
// url.Values stop.
func postedDraft(c *fiber.Ctx) webform.Draft { return webform.Decode(formValues(c)) }

// queryValues copies the URL's query into url.Values.
func queryValues(c *fiber.Ctx) url.Values {
	v := url.Values{}
	c.Request().URI().QueryArgs().VisitAll(func(k, val []byte) {
		v.Add(string(k), string(val))
	})
	return v
}

// isHTMX reports whether htmx made the request.
func isHTMX(c *fiber.Ctx) bool { return c.Get("HX-Request") == "true" }

// StaticBytes serves fixed content with a long cache lifetime (the URL
// carries a content hash).
func StaticBytes(b []byte, contentType string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, contentType)
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
		return c.Send(b)
	}
}

func contentHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}
