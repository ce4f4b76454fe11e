package run

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/stream"
	"github.com/playground-dev/playground/web/units"
	"github.com/playground-dev/playground/web/upstream"
)

// maxResumes bounds the resumed streams of one background run; past it
// (or when a resume is refused) the run polls.
const maxResumes = 5

// followBackground follows a background response until it ends: by
// resuming its stream after the last sequence number, or by polling. A
// resumed stream that breaks is resumed again; a resume the provider
// refuses (some gateways answer 500) falls back to polling. The run only
// consumes what the follower produces: a resumed stream is read like the
// first one (readBody), and a poll gives the events the run does not have
// yet (stream.Result.Unseen).
func (r *Run) followBackground(ctx context.Context) error {
	polling := !r.Spec.Request.Stream
	for resumes := 0; !r.res.Done && r.res.ResponseID != ""; {
		if err := ctx.Err(); err != nil {
			return err
		}
		bg := r.background()
		if !polling && resumes < maxResumes {
			resumes++
			r.mu.Lock()
			r.resumeCount++
			r.mu.Unlock()
			err := r.resume(ctx, bg)
			var cut *cutError
			switch {
			case errors.Is(err, errResumeRefused):
				if ctx.Err() != nil {
					return context.Cause(ctx)
				}
				polling = true
				r.mu.Lock()
				r.polledAfterBreak = true
				r.mu.Unlock()
			case err != nil && !errors.As(err, &cut):
				return err
			}
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(r.m.cfg.PollInterval):
		}
		evs, err := r.poll(ctx, bg)
		if err != nil {
			return err
		}
		r.polled = true // no speed can be told of what came by polling
		for _, e := range r.res.Unseen(evs) {
			r.handle(e)
		}
		r.flush()
	}
	return nil
}

// background is the response the run follows.
func (r *Run) background() upstream.Background {
	return upstream.Background{Base: r.responses.base, ID: r.res.ResponseID}
}

// errResumeRefused: the resume request failed or was answered with
// something other than 200; the run polls instead.
var errResumeRefused = errors.New("resume refused")

// resume reads the response's stream after the last sequence number the
// run has.
func (r *Run) resume(ctx context.Context, bg upstream.Background) error {
	resp, err := r.m.clientFor(r.Spec).GetWith(ctx, bg.ResumeURL(r.res.LastSeq), r.Spec.Key, true, r.Spec.Request.ProviderHeaders())
	if err != nil {
		return errResumeRefused
	}
	defer resp.Body.Close()
	if resp.Status != 200 {
		return errResumeRefused
	}
	return r.readBody(resp)
}

// poll reads the whole response so far and decodes it into events.
func (r *Run) poll(ctx context.Context, bg upstream.Background) ([]stream.Event, error) {
	resp, err := r.m.clientFor(r.Spec).GetWith(ctx, bg.PollURL(), r.Spec.Key, false, r.Spec.Request.ProviderHeaders())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.Status != 200 {
		return nil, upstream.ErrorFromResponse(resp, r.Spec.keyHint(), r.Spec.Model.SentModel())
	}
	// Each poll is the whole response so far: it may be as large as a
	// run may read, no larger.
	limit := r.m.cfg.Caps.Bytes
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, r.truncate("the answer exceeded "+units.Bytes(limit), "run-max-bytes")
	}
	var evs []stream.Event
	if err := stream.DecodeJSON(catalog.Responses, b, func(e stream.Event) { evs = append(evs, e) }); err != nil {
		return nil, &stream.Error{Code: "bad_answer", Message: "the provider's answer could not be read"}
	}
	return evs, nil
}

// cancelBackground asks the provider to cancel a background response and
// says what it answered.
func (r *Run) cancelBackground() string {
	if !r.responses.background || r.res.ResponseID == "" || r.res.Done {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := r.m.clientFor(r.Spec).PostWith(ctx, r.background().CancelURL(), r.Spec.Key, r.Spec.Request.ProviderHeaders())
	if err != nil {
		return "the background response may still run: the cancel request failed (" + r.red.String(err.Error()) + ")"
	}
	defer resp.Body.Close()
	if resp.Status < 200 || resp.Status > 299 {
		e := upstream.ErrorFromResponse(resp, r.Spec.keyHint(), r.Spec.Model.SentModel())
		return "the background response may still run: the provider answered the cancel with " + r.red.String(e.Error())
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var obj struct {
		Status string `json:"status"`
	}
	_ = json.Unmarshal(b, &obj)
	if obj.Status == "" {
		obj.Status = "cancelled"
	}
	r.append(jsonEvent("status", map[string]any{"status": obj.Status, "response_id": r.res.ResponseID}))
	if obj.Status != "cancelled" {
		return "the provider answered the cancel with the status " + strconv.Quote(r.red.String(obj.Status))
	}
	return "the provider cancelled the background response"
}
