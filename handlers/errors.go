package handlers

import (
	"errors"
	"log/slog"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/static"
	"github.com/playground-dev/playground/views"
	"github.com/playground-dev/playground/web/problem"
)

// ErrorHandler is the one place errors become responses. A
// *problem.Error (or a domain error that tells one) is answered with its
// message, the status of its kind and, when it has one, a Retry-After
// header; Fiber's own errors (404, 405, 413, ...) carry safe messages;
// anything else is logged and answered with a fixed message, since
// upstream errors can echo requests. bodyLimit is the server's largest
// request body, named in the message.
func ErrorHandler(log *slog.Logger, bodyLimit int) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		p := problemOf(c, err, bodyLimit)
		status, msg := p.StatusCode(), p.Message
		setRetryAfter(c, p)
		if n := c.Request().Header.ContentLength(); n > 0 || n == -1 { // a declared or chunked body
			// The body may not have been read (it is streamed): what is
			// left of it must not be read as the next request.
			c.Context().SetConnectionClose()
		}
		if status >= 500 {
			log.Error("request failed", "method", c.Method(), "path", c.Path(), "status", status, "err", err)
		}
		if c.Accepts(fiber.MIMETextHTML, fiber.MIMEApplicationJSON) == fiber.MIMEApplicationJSON {
			return c.Status(status).JSON(fiber.Map{"error": msg})
		}
		if isHTMX(c) {
			// The page's htmx swaps error answers (responseHandling in the
			// layout), so the toast, swapped out of band, shows; the target
			// keeps what it had.
			c.Set("HX-Reswap", "none")
			return render(c, status, views.ErrorToast(msg))
		}
		return render(c, status, views.ErrorPage(status, msg, static.URL("/static", "css/app.css")))
	}
}

// problemOf reads err as a problem: Fiber's errors keep their status and
// message (with the server's own words for a body or headers too large),
// the rest goes through problem.Of.
func problemOf(c *fiber.Ctx, err error, bodyLimit int) *problem.Error {
	var fe *fiber.Error
	if !errors.As(err, &fe) {
		return problem.Of(err)
	}
	var p *problem.Error
	switch {
	case fe == fiber.ErrRequestEntityTooLarge:
		p = problem.BodyTooLarge(int64(bodyLimit))
	case fe.Code == fiber.StatusRequestHeaderFieldsTooLarge:
		// fasthttp could not read the headers: most often cookies piled
		// up for this host. The session cookie is cleared so the next
		// request gets in (and the person can reach Settings again).
		clearSessionCookie(c)
		p = problem.HeadersTooLarge(HeaderBuffer)
	default:
		p = &problem.Error{Kind: problem.KindOfStatus(fe.Code), Message: fe.Message}
	}
	p.Status, p.Err = fe.Code, err
	return p
}

// setRetryAfter sets the Retry-After header of a problem that says when
// to try again (whole seconds).
func setRetryAfter(c *fiber.Ctx, p *problem.Error) {
	if p != nil && p.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(p.RetryAfter.Seconds())))
	}
}
