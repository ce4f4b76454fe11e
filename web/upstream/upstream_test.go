package upstream

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/request"
)

func TestRetryAfter(t *testing.T) {
	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		header http.Header
		min    time.Duration
		max    time.Duration
	}{
		{http.Header{"Retry-After": {"17"}}, 17 * time.Second, 17 * time.Second},
		{http.Header{"Retry-After-Ms": {"1500"}, "Retry-After": {"9"}}, 1500 * time.Millisecond, 1500 * time.Millisecond},
		{http.Header{"Retry-After": {date}}, 80 * time.Second, 91 * time.Second},
		{http.Header{"Retry-After": {"soon"}}, 0, 0},
		{http.Header{}, 0, 0},
	}
	for _, tc := range tests {
		if got := retryAfter(tc.header); got < tc.min || got > tc.max {
			t.Errorf("%v: %v", tc.header, got)
		}
	}
}

func TestNewHTTPRequestNeedsBaseURL(t *testing.T) {
	_, err := NewHTTPRequest(t.Context(), &requestForTest, "", "k")
	if err == nil || !strings.Contains(err.Error(), "no base URL") {
		t.Fatalf("err = %v", err)
	}
}

var requestForTest = request.Request{Method: "POST", Path: "/chat/completions", BaseURLEnv: "X_BASE_URL"}
