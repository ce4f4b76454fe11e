package account_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/account"
	"github.com/playground-dev/playground/web/redact"
	"github.com/playground-dev/playground/web/upstream"
)

// A model list's error redacts a key from redact.MinKey bytes on, the
// threshold the run's answer and inspector use (web/run
// TestRedactionThreshold).
func TestListerErrorRedactionThreshold(t *testing.T) {
	for name, tc := range map[string]struct {
		key      string
		redacted bool
	}{
		"minimum length": {key: "sk-" + strings.Repeat("a", redact.MinKey-3), redacted: true},
		"one shorter":    {key: "sk-" + strings.Repeat("b", redact.MinKey-4), redacted: false},
		"longer":         {key: "sk-" + strings.Repeat("c", 2*redact.MinKey), redacted: true},
	} {
		t.Run(name, func(t *testing.T) {
			fetch := func(_ context.Context, _, key string) (*upstream.Response, error) {
				body := `{"error":{"message":"Invalid API key ` + key + `"}}`
				return &upstream.Response{Status: 401, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}, nil
			}
			l := account.NewLister(fetch)
			p := account.Provider{ID: "my-1", Name: "gw", BaseURL: "https://gw.example/v1"}
			_, err := l.Models(context.Background(), "s1", p, tc.key)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if got := !strings.Contains(msg, tc.key); got != tc.redacted {
				t.Errorf("key %q (%d bytes) redacted %v, want %v: %q", tc.key, len(tc.key), got, tc.redacted, msg)
			}
			if tc.redacted && !strings.Contains(msg, redact.Mask) {
				t.Errorf("no mask in %q", msg)
			}
		})
	}
}
