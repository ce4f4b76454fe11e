package run

import (
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/playground-dev/playground/internal/fixtures"
	"github.com/playground-dev/playground/web/catalog"
)

// Seed 003 documents its /responses answers in the Chat Completions shape
// (choices, prompt_tokens, completion_tokens, system_fingerprint;
// fixtures.Seed003Stream and the others). An upstream answering that
// way, streamed or not, must give the text, the finish reason and the
// usage as input and output, and its chatcmpl id must not be offered as
// a stored response to continue from.

func TestResponsesEndpointDocumentedShape(t *testing.T) {
	tests := []struct {
		name        string
		stream      bool
		contentType string
		body        string
		reqBody     string
	}{
		{"streamed", true, "text/event-stream", fixtures.Seed003Stream, "{}"},
		{"not streamed", false, "application/json", fixtures.Seed003JSON, "{}"},
		// background: true with an answer that is already whole: nothing
		// to poll, no id to poll with.
		{"not streamed, background asked", false, "application/json", fixtures.Seed003JSON, `{"background": true}`},
	}
	m := newManager(t, Config{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var polls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != "POST" || r.URL.Path != "/v1/responses" {
					polls.Add(1)
					w.WriteHeader(404)
					return
				}
				w.Header().Set("Content-Type", tc.contentType)
				if tc.stream {
					serve([]byte(tc.body), 9, 0)(w, r) // cut mid-chunk, mid-JSON
					return
				}
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			s := spec(catalog.Responses, srv.URL+"/v1", tc.reqBody)
			s.Request.Stream = tc.stream
			r := m.Start(s)
			b := replay(t, wait(t, r))
			if b.outcome == nil {
				t.Fatal("no done event")
			}
			sum := b.outcome
			if got := b.html[0] + b.tail[0]; got != "<p>Hello from the gateway ✓</p>\n" {
				t.Errorf("answer %q", got)
			}
			if sum.State != Completed || strings.Join(sum.Finish, ",") != "stop" || sum.Truncated {
				t.Errorf("state %s finish %v truncated %v", sum.State, sum.Finish, sum.Truncated)
			}
			u := sum.Usage
			if u.Estimated || u.Input != 12 || u.Output != 7 || u.Cached != 2 || u.Reasoning != 3 {
				t.Errorf("usage %+v, want input 12, output 7 (never the total 19 as output)", u)
			}
			// Price 1 per million for both: 12 input + 7 output tokens, of
			// which 2 cached (no cached price: billed as input).
			if !sum.Cost.Known || sum.Cost.Total.Rat().Sign() <= 0 || sum.Cost.Total.Rat().Cmp(big.NewRat(20, 1_000_000)) > 0 {
				t.Errorf("cost %+v", sum.Cost)
			}
			if sum.ResponseID != "" || sum.Stored {
				t.Errorf("the chatcmpl answer was taken for a stored response: id %q stored %v", sum.ResponseID, sum.Stored)
			}
			if b.errMsg != nil {
				t.Errorf("error %+v", *b.errMsg)
			}
			if polls.Load() != 0 {
				t.Errorf("%d requests after the answer (a poll of a chatcmpl id?)", polls.Load())
			}
			// The fields the Chat shape carries besides (system_fingerprint,
			// object, created, model) stay in the inspector's raw answer.
			in := r.Inspect()
			var raw strings.Builder
			for _, e := range in.Events {
				raw.WriteString(e.Data)
			}
			for _, k := range []string{`"system_fingerprint":"fp_1"`, `"created":1767225600`, `"model":"gpt-5.4-pro"`} {
				if !strings.Contains(raw.String(), k) {
					t.Errorf("inspector lacks %s", k)
				}
			}
		})
	}
}

func TestResponsesEndpointDocumentedError(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		status                  int
		code, param             string
	}{
		{"in the stream", "text/event-stream", fixtures.Seed003StreamError, 200, "overloaded", ""},
		{"whole body, 200", "application/json", fixtures.Seed003Error, 200, "invalid_value", "reasoning.effort"},
		{"whole body, 400", "application/json", fixtures.Seed003Error, 400, "invalid_value", "reasoning.effort"},
	}
	m := newManager(t, Config{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			s := spec(catalog.Responses, srv.URL+"/v1", "{}")
			s.Request.Stream = tc.contentType == "text/event-stream"
			b := replay(t, wait(t, m.Start(s)))
			if b.errMsg == nil || b.errMsg.Code != tc.code || b.errMsg.Param != tc.param {
				t.Fatalf("error %+v, want code %q param %q", b.errMsg, tc.code, tc.param)
			}
			if b.outcome == nil || b.outcome.State != Failed || b.outcome.ResponseID != "" {
				t.Errorf("summary %+v", b.outcome)
			}
		})
	}
}
