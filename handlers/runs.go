package handlers

import (
	"bufio"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/views"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/sse"
)

// Session keys of runs.
const (
	keyOwner   = "sid" // a random id: the runs a session may see
	keyLastRun = "run" // the run the page shows after a reload
)

// keepAlive is how often an idle event stream sends a comment, which is
// also how a departed browser is noticed (the write fails).
const keepAlive = 10 * time.Second

// ownerOf returns the session's owner id, creating it.
func ownerOf(c *fiber.Ctx) string { return sessionRandom(c, keyOwner, 16) }

// StartRun serves POST /runs: check the form, start the run (within the
// session's limits), answer with the run panel that follows it.
func StartRun(d *Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc, r := d.prepareSubmitted(c)
		spec, err := sc.drafts.Spec(r, ownerOf(c))
		var le *draft.LaunchError
		switch {
		case errors.Is(err, draft.ErrNotReady):
			return render(c, http.StatusOK, views.RunRejected(views.NewPanels(r, views.NewFields(r))))
		case errors.As(err, &le):
			return render(c, http.StatusOK, views.RunNotStarted(le.Message, le.Hint))
		case err != nil:
			return err
		}
		rn, err := d.Runs.TryStart(spec)
		var lim *run.LimitError
		if errors.As(err, &lim) {
			if lim.RetryAfter > 0 {
				c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(lim.RetryAfter.Seconds())))
			}
			status := http.StatusTooManyRequests
			if isHTMX(c) {
				status = http.StatusOK // htmx swaps only 2xx answers into the page
			}
			return render(c, status, views.RunNotStarted(lim.Message, "Limits are set by the server's operator."))
		}
		if err != nil {
			return err
		}
		attrs := []any{"run", rn.ID, "provider", r.Provider.ID, "model", r.Model.ID, "style", string(r.Model.Style),
			"prompt_tokens", r.Estimate.PromptTokens, "key_from", string(sc.drafts.KeySource(r.Provider))}
		if d.LogPrompts {
			attrs = append(attrs, "request_body", string(spec.Request.Body))
		}
		d.Log.Info("run started", attrs...)
		if s := sessionOf(c); s != nil {
			s.Set(keyLastRun, rn.ID)
		}
		return render(c, http.StatusOK, views.RunPanel(views.NewRun(rn)))
	}
}

// RunEvents serves GET /runs/:id/events: the run's events as SSE, from
// after the Last-Event-ID the browser sends when it reconnects.
func RunEvents(runs *run.Manager) fiber.Handler {
	return func(c *fiber.Ctx) error {
		rn, ok := runs.Get(c.Params("id"), ownerOf(c))
		if !ok {
			return fiber.ErrNotFound
		}
		after, _ := strconv.Atoi(c.Get("Last-Event-ID"))
		c.Set(fiber.HeaderContentType, "text/event-stream")
		c.Set(fiber.HeaderCacheControl, "no-cache")
		c.Set("X-Accel-Buffering", "no")
		closed := runs.Closed()
		// The writer runs after this handler returns: it uses only copies.
		c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
			release := rn.Watch()
			defer release()
			tick := time.NewTicker(keepAlive)
			defer tick.Stop()
			buf := make([]byte, 0, 8<<10)
			for {
				evs, done, more := rn.Since(after)
				buf = buf[:0]
				for _, e := range evs {
					buf = sse.AppendEvent(buf, e.ID, e.Name, e.Data)
					after = e.ID
				}
				if len(buf) > 0 {
					if _, err := w.Write(buf); err != nil {
						return
					}
					if err := w.Flush(); err != nil {
						return // the browser left
					}
				}
				if done {
					return
				}
				select {
				case <-more:
				case <-closed:
					return
				case <-tick.C:
					if _, err := w.Write(sse.AppendComment(buf[:0], "keep-alive")); err != nil {
						return
					}
					if err := w.Flush(); err != nil {
						return
					}
				}
			}
		})
		return nil
	}
}

// StopRun serves POST /runs/:id/stop.
func StopRun(runs *run.Manager) fiber.Handler {
	return func(c *fiber.Ctx) error {
		rn, ok := runs.Get(c.Params("id"), ownerOf(c))
		if !ok {
			return fiber.ErrNotFound
		}
		rn.Stop()
		return c.SendStatus(http.StatusNoContent)
	}
}

// RunInspector serves GET /runs/:id/inspector: request, response and raw
// events.
func RunInspector(runs *run.Manager) fiber.Handler {
	return func(c *fiber.Ctx) error {
		rn, ok := runs.Get(c.Params("id"), ownerOf(c))
		if !ok {
			return fiber.ErrNotFound
		}
		return render(c, http.StatusOK, views.Inspector(views.NewInspection(rn.ID, rn.Inspect())))
	}
}

// RunTranscript serves GET /runs/:id/transcript.sse: the raw stream.
func RunTranscript(runs *run.Manager) fiber.Handler {
	return func(c *fiber.Ctx) error {
		rn, ok := runs.Get(c.Params("id"), ownerOf(c))
		if !ok {
			return fiber.ErrNotFound
		}
		c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="run-`+rn.ID+`.sse"`)
		return c.Send(rn.Transcript())
	}
}
