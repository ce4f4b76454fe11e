package run

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/account"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/redact"
	"github.com/playground-dev/playground/web/upstream"
)

// A key is redacted from redact.MinKey bytes on, alike in the answer the
// page shows, the inspector's headers, the transcript and the error of a
// provider's model list (web/account).
func TestRedactionThreshold(t *testing.T) {
	for name, tc := range map[string]struct {
		key      string
		redacted bool
	}{
		"minimum length": {key: "sk-" + strings.Repeat("a", redact.MinKey-3), redacted: true},
		"one shorter":    {key: "sk-" + strings.Repeat("b", redact.MinKey-4), redacted: false},
		"longer":         {key: "sk-" + strings.Repeat("c", 2*redact.MinKey), redacted: true},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				w.Header().Set("X-Debug-Key", tc.key)
				fmt.Fprintf(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"echo %s end\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n", tc.key)
			}))
			defer srv.Close()
			m := newManager(t, Config{})
			s := spec(catalog.Chat, srv.URL, "{}")
			s.Key = tc.key
			r := m.Start(s)
			b := replay(t, wait(t, r))
			inspected, _ := json.Marshal(r.Inspect())
			for where, text := range map[string]string{"answer": b.html[0] + b.tail[0], "inspector": string(inspected),
				"transcript": string(r.Transcript()), "model list error": modelListError(t, tc.key)} {
				if got := !strings.Contains(text, tc.key); got != tc.redacted {
					t.Errorf("%s: key %q (%d bytes) redacted %v, want %v: %q", where, tc.key, len(tc.key), got, tc.redacted, text)
				}
				if tc.redacted && !strings.Contains(text, redact.Mask) {
					t.Errorf("%s: no mask in %q", where, text)
				}
			}
		})
	}
}

// modelListError is the error a provider's model list gives when the
// provider echoes key in its message.
func modelListError(t *testing.T, key string) string {
	fetch := func(_ context.Context, _, key string) (*upstream.Response, error) {
		body := `{"error":{"message":"Invalid API key ` + key + `"}}`
		return &upstream.Response{Status: 401, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}, nil
	}
	l := account.NewLister(fetch)
	p := account.Provider{ID: "my-1", Name: "gw", BaseURL: "https://gw.example/v1"}
	_, err := l.Models(context.Background(), "s1", p, key)
	if err == nil {
		t.Fatal("the model list did not fail")
	}
	return err.Error()
}
