package run

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/request"
)

const echoKey = "sk-OPERATORopenaiSECRET1234567890"

// echoing is an upstream that echoes the key it was sent in response
// headers, cut in two across flushed deltas (text, reasoning, tool
// arguments, refusal) and JSON-escaped.
func echoing(t *testing.T) *httptest.Server { return echoingFrom(t, "") }

// echoingFrom is echoing of the value of the request header named (a
// provider's secret header) instead of the key, when header is not "".
func echoingFrom(t *testing.T, header string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if header != "" {
			key = r.Header.Get(header)
		}
		if key != echoKey {
			t.Errorf("the upstream got secret %q", key)
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("X-Debug-Key", key)
		w.Header().Set("X-Echo-Authorization", r.Header.Get("Authorization"))
		w.Header().Set("X-Echo-Url", url.QueryEscape("k="+key))
		w.Header().Set("X-"+key, "1")
		half := len(key) / 2
		send := func(delta string) {
			fmt.Fprintf(w, "data: {\"choices\":[{\"index\":0,\"delta\":%s}]}\n\n", delta)
			w.(http.Flusher).Flush()
			time.Sleep(30 * time.Millisecond) // separate flushes in the run
		}
		q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
		send(`{"reasoning_content":` + q("r:"+key[:half]) + `}`)
		send(`{"reasoning_content":` + q(key[half:]+" ok") + `}`)
		send(`{"content":` + q("text "+key[:5]) + `}`)
		send(`{"content":` + q(key[5:]+" and ") + `}`)
		send(`{"content":"escaped sk\u002d` + key[3:] + ` and url ` + strings.ReplaceAll(key, "-", "%2D") + `"}`)
		send(`{"refusal":` + q(key[:10]) + `}`)
		send(`{"refusal":` + q(key[10:]) + `}`)
		send(`{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":` + q(`{"k":"`+key[:12]) + `}}]}`)
		send(`{"tool_calls":[{"index":0,"function":{"arguments":` + q(key[12:]+`"}`) + `}}]}`)
		fmt.Fprint(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" end sk-OPER\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
		w.(http.Flusher).Flush()
		fmt.Fprint(w, ": after the end "+key+"\n") // read by the drain, into the transcript
	}))
}

// leaks reports the pieces of the key (a third of it or more, as is or
// JSON-escaped) that s holds.
func leaks(s string) []string {
	var found []string
	n := len(echoKey) / 3
	for i := 0; i+n <= len(echoKey); i++ {
		p := echoKey[i : i+n]
		for _, form := range []string{p, strings.ReplaceAll(p, "-", `\u002d`), strings.ReplaceAll(p, "-", "%2D")} {
			if strings.Contains(s, form) {
				found = append(found, form)
			}
		}
	}
	return found
}

// A key a provider echoes reaches neither the browser nor any stored
// copy: headers, text and reasoning cut across deltas, tool arguments,
// refusals, JSON-escaped and URL-encoded.
func TestEchoedKeyRedactedEverywhere(t *testing.T) {
	for _, secret := range []string{"key", "header"} {
		t.Run(secret, func(t *testing.T) { testEchoedSecret(t, secret) })
	}
}

// testEchoedSecret: the key, or a provider's secret header value (sent
// as X-Virtual-Key, as a header-routed gateway takes it), echoed back.
func testEchoedSecret(t *testing.T, secret string) {
	header := ""
	if secret == "header" {
		header = "X-Virtual-Key"
	}
	srv := echoingFrom(t, header)
	defer srv.Close()
	m := newManager(t, Config{})
	s := spec(catalog.Chat, srv.URL, "{}")
	s.Key = echoKey
	if header != "" {
		s.Key = "sk-other-key-000"
		s.Request.Header = append(s.Request.Header, request.Header{Name: header, Value: "${VK}", Secret: true})
		s.Request = s.Request.WithSecrets(map[string]string{header: echoKey})
	}
	r := m.Start(s)
	evs := wait(t, r)
	var page strings.Builder
	for _, e := range evs {
		page.Write(e.Data)
	}
	b := replay(t, evs)
	shown := b.html[0] + b.tail[0] + b.reasoning[0] + b.refusal[0] + b.tools[0][0]
	in := r.Inspect()
	inspected, _ := json.Marshal(in)
	out, _ := json.Marshal(r.output())
	for name, s := range map[string]string{"browser events": page.String(), "page": shown, "inspector": string(inspected),
		"transcript": string(r.Transcript()), "output": string(out), "partial": r.Partial()} {
		if l := leaks(s); len(l) > 0 {
			t.Errorf("%s shows pieces of the key: %q", name, l)
		}
	}
	if !strings.Contains(b.reasoning[0], "r:[redacted] ok") || !strings.Contains(shown, "text [redacted] and") ||
		!strings.Contains(shown, "escaped [redacted] and url [redacted]") || !strings.Contains(b.refusal[0], "[redacted]") {
		t.Errorf("what the page shows: %q", shown)
	}
	if !strings.HasPrefix(r.Partial(), "text [redacted] and escaped [redacted]") {
		t.Errorf("the partial text: %q", r.Partial())
	}
	if !strings.Contains(string(r.Transcript()), ": after the end [redacted]") {
		t.Errorf("the bytes after the end are not in the transcript, redacted:\n%s", r.Transcript())
	}
	// The held tail that never became the key comes out at the end.
	if !strings.Contains(shown, "end sk-OPER") {
		t.Errorf("the tail of the answer is lost: %q", shown)
	}
	var headers []string
	for _, h := range in.ResponseHeaders {
		headers = append(headers, h.Name+": "+h.Value)
	}
	if !strings.Contains(strings.Join(headers, "\n"), "X-Debug-Key: [redacted]") {
		t.Errorf("headers %q", headers)
	}
}

// The history's copy (the output handed to the recorder, its failure and
// its transcript) holds no piece of the key either.
func TestEchoedKeyNotRecorded(t *testing.T) {
	srv := echoing(t)
	defer srv.Close()
	rec := &progressRecorder{}
	m := newManager(t, Config{Recorder: rec})
	s := spec(catalog.Chat, srv.URL, "{}")
	s.Key = echoKey
	wait(t, m.Start(s))
	rec.mu.Lock()
	defer rec.mu.Unlock()
	stored, _ := json.Marshal(rec.end)
	if l := leaks(string(stored) + string(rec.end.Transcript)); len(l) > 0 {
		t.Errorf("the record holds pieces of the key: %q", l)
	}
}

// TestEchoedKeyInTokenProbabilities: a key spread over several tokens of
// the token-probability view, each in its own flush, is found in their
// joined text like the answer's: neither the tokens nor their
// alternatives spell it.
func TestEchoedKeyInTokenProbabilities(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		toks := []string{"key ", "is "}
		for i := 0; i < len(echoKey); i += 5 {
			toks = append(toks, echoKey[i:min(i+5, len(echoKey))])
		}
		toks = append(toks, " ok")
		for _, tok := range toks {
			q, _ := json.Marshal(tok)
			alt, _ := json.Marshal(echoKey)
			fmt.Fprintf(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":%s},\"logprobs\":{\"content\":[{\"token\":%s,\"logprob\":-0.5,\"top_logprobs\":[{\"token\":%s,\"logprob\":-3}]}]}}]}\n\n", q, q, alt)
			w.(http.Flusher).Flush()
			time.Sleep(20 * time.Millisecond)
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	defer srv.Close()
	m := newManager(t, Config{})
	s := spec(catalog.Chat, srv.URL, "{}")
	s.Key = echoKey
	var joined strings.Builder
	for _, e := range wait(t, m.Start(s)) {
		if e.Name != "lp" {
			continue
		}
		var lp struct{ Toks [][3]json.RawMessage }
		if err := json.Unmarshal(e.Data, &lp); err != nil {
			t.Fatal(err)
		}
		for _, row := range lp.Toks {
			var tok string
			json.Unmarshal(row[0], &tok)
			joined.WriteString(tok)
			if strings.Contains(string(row[2]), "OPERATOR") {
				t.Errorf("an alternative shows the key: %s", row[2])
			}
		}
	}
	if got := joined.String(); got != "key is [redacted] ok" {
		t.Errorf("the tokens read %q", got)
	}
}

// TestRunningTranscriptHoldsAPartialKey: while the stream stops in the
// middle of the key (its first part in a whole event, the rest not sent
// yet), the transcript and inspector do not show that part.
func TestRunningTranscriptHoldsAPartialKey(t *testing.T) {
	hold := make(chan struct{})
	defer close(hold)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hello \"}}]}\n\n")
		fmt.Fprintf(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"your key is %s\"}}]}\n\n", echoKey[:14])
		w.(http.Flusher).Flush()
		select {
		case <-hold:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	m := newManager(t, Config{})
	s := spec(catalog.Chat, srv.URL, "{}")
	s.Key = echoKey
	r := m.Start(s)
	release := r.Watch()
	defer release()
	// Both events have been read once the answer shows "your key is".
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		evs, _, _ := r.Since(0)
		var seen strings.Builder
		for _, e := range evs {
			seen.Write(e.Data)
		}
		if strings.Contains(seen.String(), "your key is") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if r.State() != Running {
		t.Fatalf("the run ended: %s", r.State())
	}
	if tr := string(r.Transcript()); !strings.Contains(tr, "hello") || strings.Contains(tr, echoKey[:10]) {
		t.Errorf("running transcript: %q", tr)
	}
	for _, e := range r.Inspect().Events {
		if strings.Contains(e.Data, echoKey[:10]) {
			t.Errorf("inspector event: %q", e.Data)
		}
	}
	r.Stop()
}
