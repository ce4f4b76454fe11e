package stream

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/problem"
)

func TestErrorProblem(t *testing.T) {
	for name, tc := range map[string]struct {
		err   *Error
		kind  problem.Kind
		msg   string
		retry time.Duration
	}{
		"a 429 is rate-limited": {&Error{Status: 429, Message: "slow down", Code: "rate_limit", RetryAfter: 3 * time.Second, Hint: "Wait."},
			problem.KindRateLimited, "429 Too Many Requests: slow down (rate_limit)", 3 * time.Second},
		"a 500 is upstream": {&Error{Status: 500, Message: "boom"}, problem.KindUpstream, "500 Internal Server Error: boom", 0},
		"a 503 is upstream": {&Error{Status: 503, RetryAfter: time.Second}, problem.KindUpstream, "503 Service Unavailable: the provider reported an error", time.Second},
		"inside a stream":   {&Error{Message: "overloaded", Param: "model"}, problem.KindUpstream, "overloaded [param: model]", 0},
		"a connect failure": {&Error{Code: "connect_failed", Message: "could not connect", Hint: "Check the base URL."}, problem.KindUpstream, "could not connect (connect_failed)", 0},
	} {
		t.Run(name, func(t *testing.T) {
			p := problem.Of(fmt.Errorf("run: %w", tc.err))
			if p.Kind != tc.kind || p.Message != tc.msg || p.Hint != tc.err.Hint || p.RetryAfter != tc.retry {
				t.Fatalf("problem %+v, want %s %q hint %q retry %s", p, tc.kind, tc.msg, tc.err.Hint, tc.retry)
			}
			var se *Error
			if !errors.As(p, &se) || se != tc.err {
				t.Fatal("the problem does not wrap the stream error")
			}
		})
	}
}
