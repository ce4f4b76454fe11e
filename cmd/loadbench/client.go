package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// timing is one stream as the client saw it.
type timing struct {
	started  time.Duration // the playground: to the run panel (the first event)
	first    time.Duration // to the first text event
	end      time.Duration // to the end of the stream
	arrivals []time.Duration
	err      error
}

var client = &http.Client{Transport: &http.Transport{
	DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	MaxIdleConns:        8192,
	MaxIdleConnsPerHost: 8192,
	DisableCompression:  true,
	IdleConnTimeout:     90 * time.Second,
}}

// simModel is the simulated model the benchmark streams from: a chat
// model without reasoning, under seed 001's path.
const (
	simPath  = "/evolink/v1/chat/completions"
	simModel = "gpt-5.4"
	pgModel  = "seed001.gpt-5.4"
)

func prompt(n int) string { return "[[events:" + strconv.Itoa(n) + "]] go" }

// direct streams n events from the simulator (or a relay in front of it).
func direct(ctx context.Context, base string, n int) timing {
	body := fmt.Sprintf(`{"model":%q,"stream":true,"messages":[{"role":"user","content":%q}]}`, simModel, prompt(n))
	req, _ := http.NewRequestWithContext(ctx, "POST", base+simPath, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer bench")
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return timing{err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return timing{err: fmt.Errorf("%d: %.200s", resp.StatusCode, b)}
	}
	t := timing{}
	r := lines(resp.Body)
	for r.Scan() {
		line := r.Bytes()
		if !bytes.HasPrefix(line, []byte("data: ")) {
			continue
		}
		if bytes.HasPrefix(line, []byte("data: [DONE]")) {
			break
		}
		if bytes.Contains(line, []byte(`"content":"`)) && !bytes.Contains(line, []byte(`"content":""`)) {
			at := time.Since(start)
			if t.first == 0 {
				t.first = at
			}
			t.arrivals = append(t.arrivals, at)
		}
	}
	t.err = r.Err()
	t.end = time.Since(start)
	drain(resp.Body)
	if len(t.arrivals) == 0 && t.err == nil {
		t.err = fmt.Errorf("no text events")
	}
	return t
}

// session is a browser session of the playground: its cookie and token.
type session struct {
	base, cookie, csrf string
}

var csrfRE = regexp.MustCompile(`X-CSRF-Token&#34;:&#34;([0-9a-f]{64})`)

func newSession(ctx context.Context, base string) (*session, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/", nil)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	m := csrfRE.FindSubmatch(page)
	cookie := strings.Split(resp.Header.Get("Set-Cookie"), ";")[0]
	if m == nil || cookie == "" {
		return nil, fmt.Errorf("no session from %s", base)
	}
	return &session{base: base, cookie: cookie, csrf: string(m[1])}, nil
}

// viaPlayground starts a run as the page does: POST /runs accepting an
// event stream, which answers with the run panel (event "panel") and then
// the run's events; text events are delta and md events.
func viaPlayground(ctx context.Context, s *session, n int) timing {
	form := url.Values{"_provider": {"sim"}, "_model": {pgModel}, "messages.role": {"user"}, "messages.content": {prompt(n)}, "stream": {"false", "true"}}
	req, _ := http.NewRequestWithContext(ctx, "POST", s.base+"/runs", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/event-stream, text/html")
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", s.csrf)
	req.Header.Set("Cookie", s.cookie)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return timing{err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		return timing{err: fmt.Errorf("no run: %d %.200s", resp.StatusCode, b)}
	}
	t := timing{}
	r := lines(resp.Body)
	text := false
	for r.Scan() {
		line := r.Bytes()
		switch {
		case bytes.HasPrefix(line, []byte("event: ")):
			name := string(bytes.TrimSpace(line[7:]))
			if name == "panel" {
				t.started = time.Since(start)
			}
			if name == "done" {
				t.end = time.Since(start)
				if len(t.arrivals) == 0 {
					t.err = fmt.Errorf("no text events")
				}
				drain(resp.Body)
				return t
			}
			if name == "failure" {
				t.err = fmt.Errorf("the run failed")
			}
			text = name == "delta" || name == "md"
		case text && bytes.HasPrefix(line, []byte("data: ")):
			at := time.Since(start)
			if t.first == 0 {
				t.first = at
			}
			t.arrivals = append(t.arrivals, at)
			text = false
		}
	}
	t.end = time.Since(start)
	if t.err = r.Err(); t.err == nil {
		t.err = fmt.Errorf("the stream ended without done")
	}
	return t
}

// drain reads the rest of a stream that has ended (the relay's closing
// chunk), so its connection is kept for the next stream, as a browser
// keeps it; the times are taken before.
func drain(body io.Reader) { _, _ = io.Copy(io.Discard, io.LimitReader(body, 1<<20)) }

// lines reads an event stream line by line; a relay may coalesce many
// deltas into one long event, so lines may be long.
func lines(r io.Reader) *bufio.Scanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 256<<20)
	return sc
}
