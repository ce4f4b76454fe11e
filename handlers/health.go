package handlers

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/web/catalog"
)

// Health answers GET /healthz with the server's state as JSON. It is only
// mounted once the catalog is loaded, so an answer means the process is
// up (the liveness probe).
func Health(cat *catalog.Catalog) fiber.Handler {
	return func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{
			"status":    "ok",
			"providers": len(cat.Providers),
			"models":    len(cat.Models),
		})
	}
}

// readyWait bounds each readiness check.
const readyWait = 2 * time.Second

// Readiness is one thing an instance needs to serve: its name and its
// check (nil error: fine).
type Readiness struct {
	Name  string
	Check func(ctx context.Context) error
}

// Ready answers GET /readyz: 200 when every check passes (the history's
// database answers; with several instances, this one hears the others),
// else 503 naming those that failed, so a balancer or Kubernetes sends it
// no browsers meanwhile (the readiness probe).
func Ready(checks []Readiness) fiber.Handler {
	return func(c *fiber.Ctx) error {
		failed := fiber.Map{}
		for _, r := range checks {
			ctx, cancel := context.WithTimeout(c.UserContext(), readyWait)
			err := r.Check(ctx)
			cancel()
			if err != nil {
				failed[r.Name] = err.Error()
			}
		}
		if len(failed) > 0 {
			return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unready", "failed": failed})
		}
		return c.JSON(fiber.Map{"status": "ready"})
	}
}
