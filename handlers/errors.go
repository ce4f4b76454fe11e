package handlers

import (
	"errors"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/views"
)

// ErrorHandler is the one place errors become responses. Fiber's own errors
// (404, 405, 413, ...) carry safe messages; anything else is logged and
// answered with a fixed message, since upstream errors can echo requests.
func ErrorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		status, msg := fiber.StatusInternalServerError, "Something went wrong on our side. It has been logged."
		var fe *fiber.Error
		if errors.As(err, &fe) {
			status, msg = fe.Code, fe.Message
			if status == fiber.StatusRequestEntityTooLarge {
				msg = "The request is too large."
			}
		}
		if status >= 500 {
			log.Error("request failed", "method", c.Method(), "path", c.Path(), "status", status, "err", err)
		}
		if c.Accepts(fiber.MIMETextHTML, fiber.MIMEApplicationJSON) == fiber.MIMEApplicationJSON {
			return c.Status(status).JSON(fiber.Map{"error": msg})
		}
		if isHTMX(c) {
			c.Set("HX-Reswap", "none")
			return render(c, status, views.ErrorToast(msg))
		}
		return render(c, status, views.ErrorPage(status, msg))
	}
}
