package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/stream"
)

// open posts body with the fault and reads the answer to its end or its
// break.
func open(t *testing.T, url string, body any, fault string) ([]byte, error) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer test")
	if fault != "" {
		req.Header.Set("X-Sim-Fault", fault)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// TestDropIsARealCut: the drop fault cuts the connection as a network
// does: the chunked body ends without its terminator (io.ErrUnexpectedEOF)
// after some events and before [DONE] or the terminal event.
func TestDropIsARealCut(t *testing.T) {
	srv := newTestServer(t)
	for _, tc := range []struct {
		name, path string
		style      catalog.Style
		body       map[string]any
	}{
		{"chat", "/chatgw/v1/chat/completions", catalog.Chat, chatBody(map[string]any{"stream": true})},
		{"responses", "/respgw/v1/responses", catalog.Responses, map[string]any{"model": "gpt-5.4-pro", "input": "Tell me about the sea", "stream": true, "reasoning": map[string]any{"effort": "none"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := open(t, srv.URL+tc.path, tc.body, "drop")
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("read error %v, want unexpected EOF", err)
			}
			res := decode(t, tc.style, b)
			if res.Done || res.Len() == 0 || strings.Contains(string(b), "[DONE]") || strings.Contains(string(b), "response.completed") {
				t.Fatalf("done %v text %q body %s", res.Done, res.Text(), b)
			}
			// The same request without the fault ends properly.
			b, err = open(t, srv.URL+tc.path, tc.body, "")
			if err != nil || !decode(t, tc.style, b).Done {
				t.Fatalf("without the fault: %v", err)
			}
		})
	}
}

// TestBackgroundDrop: a background stream cut by the drop fault goes on
// at the simulator: resuming after the last sequence number read gives the
// rest; with drop:noresume the resume answers 500 and polling gives the
// whole response.
func TestBackgroundDrop(t *testing.T) {
	srv := newTestServer(t)
	body := map[string]any{"model": "gpt-5.4-pro", "input": "Tell me about the sea", "background": true, "stream": true, "reasoning": map[string]any{"effort": "none"}}
	for _, fault := range []string{"drop", "drop:noresume"} {
		t.Run(fault, func(t *testing.T) {
			b, err := open(t, srv.URL+"/respgw/v1/responses", body, fault)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("read error %v", err)
			}
			first := decode(t, catalog.Responses, b)
			if first.Done || first.ResponseID == "" || first.LastSeq < 1 {
				t.Fatalf("first stream: done %v id %q seq %d", first.Done, first.ResponseID, first.LastSeq)
			}
			resp, rest := call(t, srv, "/respgw/v1/responses/"+first.ResponseID+"?stream=true&starting_after="+strconv.Itoa(first.LastSeq), nil, nil)
			if fault == "drop:noresume" {
				if resp.StatusCode != 500 {
					t.Fatalf("resume: %d, want 500", resp.StatusCode)
				}
				deadline := time.Now().Add(10 * time.Second)
				for {
					_, b := call(t, srv, "/respgw/v1/responses/"+first.ResponseID, nil, nil)
					res := stream.NewResult()
					if err := stream.DecodeJSON(catalog.Responses, b, res.Apply); err != nil {
						t.Fatal(err)
					}
					if res.Done {
						if !strings.HasPrefix(res.Text(), first.Text()) || res.Status != "completed" {
							t.Fatalf("polled %q (%s), streamed %q", res.Text(), res.Status, first.Text())
						}
						return
					}
					if time.Now().After(deadline) {
						t.Fatal("the polled response did not complete")
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			// The complete events read, then the resumed ones.
			head := b[:bytes.LastIndex(b, []byte("\n\n"))+2]
			whole := decode(t, catalog.Responses, append(head[:len(head):len(head)], rest...))
			if resp.StatusCode != 200 || !whole.Done || whole.Status != "completed" || !strings.HasPrefix(whole.Text(), first.Text()) || len(whole.Text()) <= len(first.Text()) {
				t.Fatalf("resumed: %d done %v status %q text %q", resp.StatusCode, whole.Done, whole.Status, whole.Text())
			}
		})
	}
}

// TestDropCutsAWholeAnswer: a non-streamed answer with the drop fault
// announces its whole length and is cut in the middle of its JSON body;
// without the fault the same request answers whole.
func TestDropCutsAWholeAnswer(t *testing.T) {
	srv := newTestServer(t)
	for _, tc := range []struct {
		name, path string
		body       map[string]any
	}{
		{"chat", "/chatgw/v1/chat/completions", chatBody(nil)},
		{"completions", "/apimodels/api/v1/completions", map[string]any{"model": "gpt-5.4-pro", "prompt": "Write about the sea:", "max_tokens": 30}},
		{"responses", "/respgw/v1/responses", map[string]any{"model": "gpt-5.4-pro", "input": "Tell me about the sea", "reasoning": map[string]any{"effort": "none"}}},
		{"responses in the documented shape", "/respgw-documented/v1/responses", map[string]any{"model": "gpt-5.4-pro", "input": "Tell me about the sea"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := open(t, srv.URL+tc.path, tc.body, "drop")
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("read error %v, want unexpected EOF (%d bytes)", err, len(b))
			}
			if len(b) == 0 || json.Valid(b) {
				t.Fatalf("a cut body is neither empty nor valid JSON: %s", b)
			}
			whole, err := open(t, srv.URL+tc.path, tc.body, "")
			if err != nil || !json.Valid(whole) {
				t.Fatalf("without the fault: %v %s", err, whole)
			}
		})
	}
}
