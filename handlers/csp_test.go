package handlers

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// TestCSPLoadsImagesOnlyFromSelfAndData: no page may fetch an image from
// another host by itself (security review, finding 6).
func TestCSPLoadsImagesOnlyFromSelfAndData(t *testing.T) {
	app := fiber.New()
	app.Use(SecurityHeaders())
	app.Get("/", func(c *fiber.Ctx) error { return c.SendString("ok") })
	resp, err := app.Test(httptest.NewRequest("GET", "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	var imgSrc string
	for _, d := range strings.Split(resp.Header.Get("Content-Security-Policy"), ";") {
		if d = strings.TrimSpace(d); strings.HasPrefix(d, "img-src ") {
			imgSrc = d
		}
	}
	if imgSrc != "img-src 'self' data:" {
		t.Errorf("CSP directive %q, want img-src 'self' data:", imgSrc)
	}
}
