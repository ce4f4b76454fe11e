package problem

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// teller is a domain error that tells its problem.
type teller struct{ p *Error }

func (t teller) Error() string   { return "teller" }
func (t teller) Problem() *Error { return t.p }

func TestKindStatus(t *testing.T) {
	for k, want := range map[Kind]int{
		KindInvalid:     http.StatusUnprocessableEntity,
		KindNotFound:    http.StatusNotFound,
		KindConflict:    http.StatusConflict,
		KindUpstream:    http.StatusBadGateway,
		KindRateLimited: http.StatusTooManyRequests,
		KindUnavailable: http.StatusServiceUnavailable,
		KindTooLarge:    http.StatusRequestEntityTooLarge,
		KindInternal:    http.StatusInternalServerError,
		"nonsense":      http.StatusInternalServerError,
	} {
		if got := k.Status(); got != want {
			t.Errorf("%q.Status() = %d, want %d", k, got, want)
		}
	}
}

func TestOf(t *testing.T) {
	sentinel := errors.New("store: gone")
	limited := &Error{Kind: KindRateLimited, Message: "Slow down.", RetryAfter: 3 * time.Second}
	told := &Error{Kind: KindUpstream, Message: "502 Bad Gateway: down"}
	for name, tc := range map[string]struct {
		err              error
		kind             Kind
		msg, hint, field string
		status           int
		same             *Error // Of returns exactly this
	}{
		"nil":                 {err: nil, status: http.StatusOK},
		"plain error":         {err: errors.New("dial tcp 10.0.0.1: secret"), kind: KindInternal, msg: InternalMessage, status: 500},
		"a problem as it is":  {err: limited, kind: KindRateLimited, msg: "Slow down.", status: 429, same: limited},
		"wrapped problem":     {err: fmt.Errorf("starting: %w", limited), kind: KindRateLimited, msg: "Slow down.", status: 429, same: limited},
		"teller":              {err: teller{told}, kind: KindUpstream, msg: "502 Bad Gateway: down", status: 502, same: told},
		"wrapped teller":      {err: fmt.Errorf("x: %w", teller{told}), kind: KindUpstream, msg: "502 Bad Gateway: down", status: 502, same: told},
		"teller telling nil":  {err: teller{nil}, kind: KindInternal, msg: InternalMessage, status: 500},
		"invalid field":       {err: Invalid("to", "Not a date."), kind: KindInvalid, msg: "Not a date.", field: "to", status: 422},
		"not found":           {err: NotFound("run in this session's history"), kind: KindNotFound, msg: "No such run in this session's history.", status: 404},
		"errorf":              {err: Errorf(KindConflict, "Cannot %s.", "continue"), kind: KindConflict, msg: "Cannot continue.", status: 409},
		"status overrides":    {err: &Error{Kind: KindUnavailable, Message: "Busy.", Status: 507}, kind: KindUnavailable, msg: "Busy.", status: 507},
		"with a hint":         {err: &Error{Kind: KindUnavailable, Message: "No key.", Hint: "Enter one."}, kind: KindUnavailable, msg: "No key.", hint: "Enter one.", status: 503},
		"wrapping a sentinel": {err: &Error{Kind: KindNotFound, Message: "Gone.", Err: sentinel}, kind: KindNotFound, msg: "Gone.", status: 404},
	} {
		t.Run(name, func(t *testing.T) {
			p := Of(tc.err)
			if got := StatusOf(tc.err); got != tc.status {
				t.Errorf("StatusOf = %d, want %d", got, tc.status)
			}
			if got := KindOf(tc.err); got != tc.kind {
				t.Errorf("KindOf = %q, want %q", got, tc.kind)
			}
			if tc.err == nil {
				if p != nil {
					t.Fatalf("Of(nil) = %v", p)
				}
				return
			}
			if p.Message != tc.msg || p.Hint != tc.hint || p.Field != tc.field {
				t.Errorf("Of = %q/%q/%q, want %q/%q/%q", p.Message, p.Hint, p.Field, tc.msg, tc.hint, tc.field)
			}
			if tc.same != nil && p != tc.same {
				t.Errorf("Of returned a copy, want the error itself")
			}
			if p.Kind == KindInternal && !errors.Is(p, tc.err) {
				t.Errorf("internal problem lost its cause")
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	sentinel := errors.New("gone")
	p := &Error{Kind: KindNotFound, Message: "No such run.", Err: sentinel}
	if p.Error() != "No such run." {
		t.Errorf("Error() = %q", p.Error())
	}
	if !errors.Is(p, sentinel) {
		t.Error("errors.Is does not find the cause")
	}
	if got := (&Error{Kind: KindConflict}).Error(); got != "conflict" {
		t.Errorf("Error() without a message = %q, want the kind", got)
	}
}

func TestKindOfStatus(t *testing.T) {
	for status, want := range map[int]Kind{
		404: KindNotFound, 410: KindNotFound, 409: KindConflict, 502: KindUpstream, 429: KindRateLimited,
		503: KindUnavailable, 413: KindTooLarge, 431: KindTooLarge, 400: KindInvalid, 405: KindInvalid,
		422: KindInvalid, 500: KindInternal, 504: KindInternal, 200: KindInternal,
	} {
		if got := KindOfStatus(status); got != want {
			t.Errorf("KindOfStatus(%d) = %q, want %q", status, got, want)
		}
	}
}
