package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/web/catalog"
)

// Health answers GET /healthz with the server's state as JSON. It is only
// mounted once the catalog is loaded, so an answer means ready.
func Health(cat *catalog.Catalog) fiber.Handler {
	return func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{
			"status":    "ok",
			"providers": len(cat.Providers),
			"models":    len(cat.Models),
		})
	}
}
