package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
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
// refuses (some gateways answer 500) falls back to polling.
func (r *Run) followBackground(ctx context.Context) error {
	polling := !r.Spec.Request.Stream
	for resumes := 0; !r.res.Done && r.res.ResponseID != ""; {
		if err := ctx.Err(); err != nil {
			return err
		}
		url := r.responses.base + "/responses/" + r.res.ResponseID
		if !polling && resumes < maxResumes {
			resumes++
			r.mu.Lock()
			r.resumeCount++
			r.mu.Unlock()
			resp, err := r.m.clientFor(r.Spec).GetWith(ctx, url+"?stream=true&starting_after="+strconv.Itoa(r.res.LastSeq), r.Spec.Key, true, r.Spec.Request.ProviderHeaders())
			if err == nil && resp.Status != 200 {
				resp.Body.Close()
				err = fmt.Errorf("HTTP %d", resp.Status)
			}
			if err != nil {
				if ctx.Err() != nil {
					return context.Cause(ctx)
				}
				polling = true
				r.mu.Lock()
				r.polledAfterBreak = true
				r.mu.Unlock()
				continue
			}
			err = r.readBody(resp)
			resp.Body.Close()
			var cut *cutError
			if err != nil && !errors.As(err, &cut) {
				return err
			}
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(r.m.cfg.PollInterval):
		}
		resp, err := r.m.clientFor(r.Spec).GetWith(ctx, url, r.Spec.Key, false, r.Spec.Request.ProviderHeaders())
		if err != nil {
			return err
		}
		if resp.Status != 200 {
			e := upstream.ErrorFromResponse(resp, r.Spec.keyHint(), r.Spec.Model.SentModel())
			resp.Body.Close()
			return e
		}
		// Each poll is the whole response so far: it may be as large as
		// a run may read, no larger.
		limit := r.m.cfg.Caps.Bytes
		b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
		resp.Body.Close()
		if err != nil {
			return err
		}
		if int64(len(b)) > limit {
			return r.truncate("the answer exceeded "+units.Bytes(limit), "run-max-bytes")
		}
		var evs []stream.Event
		if err := stream.DecodeJSON(catalog.Responses, b, func(e stream.Event) { evs = append(evs, e) }); err != nil {
			return &stream.Error{Code: "bad_answer", Message: "the provider's answer could not be read"}
		}
		r.applyPoll(evs)
	}
	return nil
}

// applyPoll takes a poll's events: the whole response so far. What the
// run already has (streamed before the stream broke, or an earlier poll)
// is not applied again, so the text is not doubled: only what follows it.
func (r *Run) applyPoll(evs []stream.Event) {
	r.polled = true
	matched := map[[2]int]int{} // choice, kind: bytes of what the run has that the poll repeated
	for _, e := range evs {
		switch e.Kind {
		case stream.KindText, stream.KindReasoning, stream.KindRefusal:
			var have string
			if r.res.Has(e.Choice) {
				c := r.res.Choice(e.Choice)
				have = map[stream.Kind]*strings.Builder{stream.KindText: &c.Text, stream.KindReasoning: &c.Reasoning, stream.KindRefusal: &c.Refusal}[e.Kind].String()
			}
			k := [2]int{e.Choice, int(e.Kind)}
			rest := have[matched[k]:]
			switch {
			case rest == "":
			case strings.HasPrefix(rest, e.Text):
				matched[k] += len(e.Text)
				continue
			case strings.HasPrefix(e.Text, rest):
				matched[k] = len(have)
				e.Text = e.Text[len(rest):]
			}
			if e.Text == "" {
				continue
			}
		case stream.KindReasoningItem:
			if r.res.Has(e.Choice) && slices.Contains(r.res.Choice(e.Choice).ReasoningItems, e.Text) {
				continue
			}
		case stream.KindStatus:
			if e.Status == r.res.Status && e.ResponseID == r.res.ResponseID {
				continue
			}
		}
		r.handle(e)
	}
	r.flush()
}

// cancelBackground asks the provider to cancel a background response and
// says what it answered.
func (r *Run) cancelBackground() string {
	if !r.responses.background || r.res.ResponseID == "" || r.res.Done {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := r.m.clientFor(r.Spec).PostWith(ctx, r.responses.base+"/responses/"+r.res.ResponseID+"/cancel", r.Spec.Key, r.Spec.Request.ProviderHeaders())
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
