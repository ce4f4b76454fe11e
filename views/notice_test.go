package views

import (
	"testing"
	"time"

	"github.com/playground-dev/playground/web/problem"
)

func TestNoticeOf(t *testing.T) {
	for name, tc := range map[string]struct {
		p    *problem.Error
		want *Notice
	}{
		"none": {nil, nil},
		"no key": {&problem.Error{Kind: problem.KindInvalid, Message: "No API key for X.", Hint: "Enter your key in Settings."},
			&Notice{Message: "No API key for X.", Hint: "Enter your key in Settings."}},
		"no base URL": {&problem.Error{Kind: problem.KindUnavailable, Message: "No base URL.", Hint: "Set X_BASE_URL."},
			&Notice{Message: "No base URL.", Hint: "Set X_BASE_URL."}},
		"a limit": {&problem.Error{Kind: problem.KindRateLimited, Message: "You have 2 runs going.", Hint: "Limits are set by the server's operator.", RetryAfter: time.Second},
			&Notice{Message: "You have 2 runs going.", Hint: "Limits are set by the server's operator.", Limited: true}},
	} {
		t.Run(name, func(t *testing.T) {
			got := NoticeOf(tc.p)
			if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
				t.Fatalf("NoticeOf = %+v, want %+v", got, tc.want)
			}
		})
	}
}
