package handlers

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/views"
	"github.com/playground-dev/playground/web/cluster"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/sse"
)

// keepAlive is how often an idle event stream sends a comment, which is
// also how a departed browser is noticed (the write fails).
const keepAlive = 10 * time.Second

// ownerOf returns the session's owner id, creating it.
func ownerOf(c *fiber.Ctx) string {
	if s := sessionOf(c); s != nil {
		return s.EnsureOwner()
	}
	return ""
}

// StartRun serves POST /runs: check the form, start the run (within the
// session's limits), answer with the run panel that follows it, or, when
// the request accepts text/event-stream, with an event stream: the panel
// as an event named "panel", then the run's events as /runs/:id/events
// sends them. A form with errors or a run that cannot start is answered
// with HTML either way.
func StartRun(scopes scoper, keep keeper, launch launcher, runs runFollower) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc, r := prepareSubmitted(c, scopes, keep)
		if r.Request == nil {
			return render(c, http.StatusOK, views.RunRejected(submittedPanels(c, r)))
		}
		rn, refused, err := launch.launch(c, sc, r)
		if err != nil {
			return err
		}
		if notice := views.NoticeOf(refused); notice != nil {
			if notice.Limited && !isHTMX(c) {
				c.Status(http.StatusTooManyRequests)
			}
			return render(c, c.Response().StatusCode(), views.RunNotStarted(notice.Message, notice.Hint))
		}
		if !wantsEventStream(c) {
			return render(c, http.StatusOK, views.RunPanel(views.NewRun(rn)))
		}
		// The page's own Run asks for the stream in the same request: the
		// panel comes as the first event, the run's events follow, so the
		// first token waits for no second request.
		var panel bytes.Buffer
		if err := views.RunPanel(views.NewRun(rn)).Render(c.UserContext(), &panel); err != nil {
			return err
		}
		followRun(c, runs.Closed(), rn, 0, sse.AppendEvent(nil, -1, "panel", panel.Bytes()))
		return nil
	}
}

// wantsEventStream reports whether the client asked for the run's events
// in the answer to POST /runs.
func wantsEventStream(c *fiber.Ctx) bool {
	return strings.Contains(c.Get(fiber.HeaderAccept), "text/event-stream")
}

// maxBatch bounds what one poll of a browser's event stream copies: a
// browser that reconnects to a long run, or reads slowly, is sent the log
// a batch at a time, so a connection holds one batch, not a copy of the
// log.
const maxBatch = 64 << 10

// runFollower says when the server stops (run.Manager): an event stream
// ends then.
type runFollower interface {
	Closed() <-chan struct{}
}

// anyRunFollower finds a session's run on this instance or another
// (cluster.Runs).
type anyRunFollower interface {
	runFollower
	// Follow fails with cluster.ErrNotFound, or a problem to try again.
	Follow(ctx context.Context, id, owner string) (run.Log, error)
}

// followRun answers with rn's events after the event id after, preceded by
// first (nil for none), until rn is done or closed is.
func followRun(c *fiber.Ctx, closed <-chan struct{}, rn run.Log, after int, first []byte) {
	more := make([]<-chan struct{}, 1)
	streamEvents(c, closed, rn.Watch, func(buf []byte) ([]byte, []<-chan struct{}, bool) {
		buf = append(buf, first...)
		first = nil
		evs, done, changed := rn.Since(after)
		for i, e := range evs {
			if len(buf) >= maxBatch && i > 0 {
				return buf, nil, false // the rest at the next read
			}
			buf = sse.AppendEvent(buf, e.ID, e.Name, eventData(rn, e))
			after = e.ID
		}
		more[0] = changed
		return buf, more, done
	})
}

// runStarter starts a run within its owner's limits (run.Manager).
type runStarter interface {
	TryStart(run.Spec) (*run.Run, error)
	// SetLast makes a run the one the owner's page shows after a reload
	// (nil: none).
	SetLast(owner string, r *run.Run)
}

// launcher starts runs and logs each (with its request body when
// logPrompts).
type launcher struct {
	runs       runStarter
	log        *slog.Logger
	logPrompts bool
}

// launch starts a checked draft as a run within the session's limits. A
// run that cannot start (no key, no base URL, a limit) gives the problem
// that says why, with its Retry-After header set.
func (l launcher) launch(c *fiber.Ctx, sc scope, r draft.Result) (*run.Run, *problem.Error, error) {
	spec, err := sc.drafts.Spec(r, ownerOf(c))
	var rn *run.Run
	if err == nil {
		spec.Client = clientAddr(c)
		rn, err = l.runs.TryStart(spec)
	}
	if p := (*problem.Error)(nil); errors.As(err, &p) {
		setRetryAfter(c, p)
		return nil, p, nil
	}
	if err != nil {
		return nil, nil, err
	}
	attrs := []any{"run", rn.ID, "provider", r.Provider.ID, "model", r.Model.ID, "style", string(r.Model.Style),
		"prompt_tokens", r.Estimate.PromptTokens, "key_from", string(sc.drafts.KeySource(r.Provider))}
	if l.logPrompts {
		attrs = append(attrs, "request_body", string(spec.Request.Body))
	}
	l.log.Info("run started", attrs...)
	// The page shows it after a reload; the run manager keeps that, so
	// the session cookie is not written again for every run.
	l.runs.SetLast(spec.Owner, rn)
	return rn, nil, nil
}

// ContinueRun serves POST /runs/:id/continue: the run's answer appended to
// its conversation (with the tool results given as result.CALL_ID) becomes
// the playground's form; with ?send=1 the next turn starts at once; with
// ?stored=1 a stored Responses run is named as previous_response_id and
// only the new turn is sent.
func ContinueRun(inputs runInputs, scopes scoper, keep keeper, launch launcher) fiber.Handler {
	return func(c *fiber.Ctx) error {
		e, err := inputs.Inputs(c.UserContext(), ownerOf(c), c.Params("id"))
		if err != nil {
			return err
		}
		sc := scopes.of(c)
		m, ok := sc.cat.Model(e.Provider, e.Model)
		if !ok {
			return problem.Errorf(problem.KindConflict, "The model of this run is no longer available.")
		}
		next, err := draft.Next(m, e.Form, e.Output, e.Outcome, draft.Results(formValues(c)), c.Query("stored") == "1")
		if err != nil {
			return err // a problem that says why not
		}
		r := sc.drafts.Prepare(draft.Input{Provider: e.Provider, Model: e.Model, Form: next, Vars: draft.TemplateVars(e.Vars)})
		keep.keep(c, r)
		if s := sessionOf(c); s != nil {
			s.Pick(r.Provider.ID, r.Model.ID)
		}
		w := views.NewWorkspace(sc.cat, r, sc.drafts.KeySource)
		var current *views.Run
		if c.Query("send") == "1" && r.Request != nil {
			rn, refused, err := launch.launch(c, sc, r)
			if err != nil {
				return err
			}
			if rn != nil {
				v := views.NewRun(rn)
				current = &v
			}
			w.Notice = views.NoticeOf(refused)
		}
		return render(c, http.StatusOK, views.WorkspaceView(w, current))
	}
}

// RunEvents serves GET /runs/:id/events: the run's events as SSE, from
// after the Last-Event-ID the browser sends when it reconnects (or ?after=);
// 204 once a finished run's events are all delivered.
func RunEvents(runs anyRunFollower) fiber.Handler {
	return func(c *fiber.Ctx) error {
		rn, err := runs.Follow(c.UserContext(), c.Params("id"), ownerOf(c))
		if errors.Is(err, cluster.ErrNotFound) {
			return fiber.ErrNotFound
		}
		if err != nil {
			return err
		}
		// A reconnecting EventSource sends Last-Event-ID; a page resuming a
		// stream it read itself names the last id it saw in ?after=.
		last := c.Get("Last-Event-ID")
		if last == "" {
			last = c.Query("after")
		}
		after, _ := strconv.Atoi(last)
		if evs, done, _ := rn.Since(after); done && len(evs) == 0 {
			// The run is over and the browser has all of it: 204 tells
			// an EventSource to stop reconnecting.
			return c.SendStatus(http.StatusNoContent)
		}
		followRun(c, runs.Closed(), rn, after, nil)
		return nil
	}
}

// runStopper stops a session's run on this instance or another
// (cluster.Runs).
type runStopper interface {
	Stop(ctx context.Context, id, owner string) (bool, error)
}

// StopRun serves POST /runs/:id/stop, on whichever instance runs it.
func StopRun(runs runStopper) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ok, err := runs.Stop(c.UserContext(), c.Params("id"), ownerOf(c))
		if err != nil {
			return err
		}
		if !ok {
			return fiber.ErrNotFound
		}
		return c.SendStatus(http.StatusNoContent)
	}
}

// RunInspector serves GET /runs/:id/inspector: request, response and raw
// events; for another instance's run, what the history has of it.
func RunInspector(runs elsewhereFinder, hist entryTranscripts) fiber.Handler {
	return func(c *fiber.Ctx) error {
		rn, ok := runs.Get(c.Params("id"), ownerOf(c))
		if !ok {
			if !runs.Elsewhere(c.UserContext(), c.Params("id"), ownerOf(c)) {
				return fiber.ErrNotFound
			}
			e, err := hist.Get(c.UserContext(), ownerOf(c), c.Params("id"))
			if err != nil {
				return err
			}
			var transcript []byte
			if e.Status != run.Running {
				if transcript, err = hist.Transcript(c.UserContext(), ownerOf(c), e.ID); err != nil {
					return err
				}
			}
			return render(c, http.StatusOK, views.Inspector(views.NewStoredInspection(e, transcript)))
		}
		return render(c, http.StatusOK, views.Inspector(views.NewInspection(rn.ID, rn.Inspect())))
	}
}

// elsewhereFinder finds a session's run on this instance, else tells
// whether another instance has it (cluster.Runs).
type elsewhereFinder interface {
	runFinder
	Elsewhere(ctx context.Context, id, owner string) bool
}

// toHistory answers a request for another instance's run with the
// history's copy of what it asks for (which keeps it once the run ends),
// else 404.
func toHistory(c *fiber.Ctx, runs elsewhereFinder, path string) error {
	if !runs.Elsewhere(c.UserContext(), c.Params("id"), ownerOf(c)) {
		return fiber.ErrNotFound
	}
	return c.Redirect("/history/runs/"+url.PathEscape(c.Params("id"))+path, http.StatusSeeOther)
}

// RunTranscript serves GET /runs/:id/transcript.sse: the raw stream.
func RunTranscript(runs elsewhereFinder) fiber.Handler {
	return func(c *fiber.Ctx) error {
		rn, ok := runs.Get(c.Params("id"), ownerOf(c))
		if !ok {
			return toHistory(c, runs, "/transcript.sse")
		}
		c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="run-`+rn.ID+`.sse"`)
		return c.Send(rn.Transcript())
	}
}

// RunAudio serves a finished run's spoken answer of a choice, playable
// (pcm16 inside a WAV header), with its format's Content-Type: a
// same-origin URL, as the CSP's media-src ('self') allows.
func RunAudio(runs elsewhereFinder) fiber.Handler {
	return func(c *fiber.Ctx) error {
		rn, ok := runs.Get(c.Params("id"), ownerOf(c))
		if !ok {
			return toHistory(c, runs, "/audio/"+url.PathEscape(c.Params("choice")))
		}
		return sendAudio(c, rn.Audio, "private, max-age=3600")
	}
}

// RunAnswer serves a finished run's answer of a choice as markdown, as the
// model wrote it (the key redacted): what the panel's copy buttons copy;
// for a run this instance does not hold (another's, or one it dropped),
// the history's copy of the ended run.
func RunAnswer(runs runFinder, hist entryGetter) fiber.Handler {
	return func(c *fiber.Ctx) error {
		i, err := strconv.Atoi(c.Params("choice"))
		if err != nil {
			return fiber.ErrNotFound
		}
		var text string
		if rn, ok := runs.Get(c.Params("id"), ownerOf(c)); ok {
			if text, ok = rn.Answer(i); !ok {
				return fiber.ErrNotFound
			}
		} else {
			e, err := hist.Get(c.UserContext(), ownerOf(c), c.Params("id"))
			if err != nil {
				return err
			}
			if e.Status == run.Running {
				return fiber.ErrNotFound // not finished: the panel offers no copy yet
			}
			if text, ok = e.Output.Answer(i); !ok {
				return fiber.ErrNotFound
			}
		}
		c.Set(fiber.HeaderContentType, "text/markdown; charset=utf-8")
		c.Set(fiber.HeaderCacheControl, "private, no-store")
		return c.SendString(text)
	}
}
