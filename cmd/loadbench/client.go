package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
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
	// lateness is each stamped delta's receive time less its send time
	// (ms), in the order first received.
	lateness []float64
	id       string // the playground's run, when followed (viaFollow)
	// answered is when GET /runs/ID/events answered (its headers), when
	// followed: the instance has found the run.
	answered time.Duration
	// liveFrom (Unix µs), when set, is when the follow was answered, and
	// live the lateness of the deltas sent from then on: the stream
	// followed as it comes, without what queued before.
	liveFrom int64
	live     []float64
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

// prompt asks the simulator for n text events, each stamped with its send
// time when stamp is set.
func prompt(n int, stamp bool) string {
	if stamp {
		return "[[events:" + strconv.Itoa(n) + " stamp]] go"
	}
	return "[[events:" + strconv.Itoa(n) + "]] go"
}

// direct streams the prompt's events from the simulator (or a relay in
// front of it).
func direct(ctx context.Context, base, p string) timing {
	body := fmt.Sprintf(`{"model":%q,"stream":true,"messages":[{"role":"user","content":%q}]}`, simModel, p)
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
			now := time.Now()
			at := now.Sub(start)
			if t.first == 0 {
				t.first = at
			}
			t.arrivals = append(t.arrivals, at)
			scanStamps(line, func(st int64) { t.lateness = append(t.lateness, float64(now.UnixMicro()-st)/1000) })
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

// user is one simulated browser user of the playground: a cookie jar of
// its own, filled by GET / as the page is loaded (the session cookie) and
// updated from every answer's Set-Cookie as a browser does, and the CSRF
// token the page carries.
type user struct {
	base, csrf string
	client     *http.Client
}

var csrfRE = regexp.MustCompile(`X-CSRF-Token&#34;:&#34;([0-9a-f]{64})`)

// newUser loads the page as a new visitor: its session and token.
func newUser(ctx context.Context, base string) (*user, error) {
	jar, _ := cookiejar.New(nil)
	u := &user{base: base, client: &http.Client{Transport: client.Transport, Jar: jar}}
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/", nil)
	resp, err := u.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	m := csrfRE.FindSubmatch(page)
	loc, _ := url.Parse(base)
	if m == nil || len(jar.Cookies(loc)) == 0 {
		return nil, fmt.Errorf("no session from %s (%d)", base, resp.StatusCode)
	}
	u.csrf = string(m[1])
	return u, nil
}

// viaPlayground starts a run as the page does: POST /runs accepting an
// event stream, which answers with the run panel (event "panel") and then
// the run's events; text events are delta and md events.
func viaPlayground(ctx context.Context, u *user, p string) timing {
	resp, start, err := postRun(ctx, u, p, "text/event-stream, text/html")
	if err != nil {
		return timing{err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		return timing{err: fmt.Errorf("no run: %d %.200s", resp.StatusCode, b)}
	}
	return readRun(resp.Body, start, timing{})
}

// postRun sends the load benchmark's form to POST /runs as the page does
// (htmx, the CSRF token), accepting accept; start is when it was sent.
func postRun(ctx context.Context, u *user, p, accept string) (resp *http.Response, start time.Time, err error) {
	form := url.Values{"_provider": {"sim"}, "_model": {pgModel}, "messages.role": {"user"}, "messages.content": {p}, "stream": {"false", "true"}}
	req, _ := http.NewRequestWithContext(ctx, "POST", u.base+"/runs", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", accept)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", u.csrf)
	start = time.Now()
	resp, err = u.client.Do(req)
	return resp, start, err
}

// readRun reads a run's event stream to its done event into t, its times
// taken from start: the run panel (event "panel", when sent), the text
// events (delta and md) and their stamps.
func readRun(body io.Reader, start time.Time, t timing) timing {
	var seen map[int64]bool
	r := lines(body)
	text, failure := false, false
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
				drain(body)
				return t
			}
			if name == "failure" {
				t.err = fmt.Errorf("the run failed")
			}
			failure = name == "failure"
			text = name == "delta" || name == "md"
		case failure && bytes.HasPrefix(line, []byte("data: ")):
			t.err = fmt.Errorf("the run failed: %.300s", line[6:])
			failure = false
		case text && bytes.HasPrefix(line, []byte("data: ")):
			now := time.Now()
			at := now.Sub(start)
			if t.first == 0 {
				t.first = at
			}
			t.arrivals = append(t.arrivals, at)
			// An md event may carry again the stamps of text it
			// re-renders: a delta counts when it is first seen.
			scanStamps(line, func(st int64) {
				if seen == nil {
					seen = map[int64]bool{}
				}
				if !seen[st] {
					seen[st] = true
					l := float64(now.UnixMicro()-st) / 1000
					t.lateness = append(t.lateness, l)
					if t.liveFrom > 0 && st >= t.liveFrom {
						t.live = append(t.live, l)
					}
				}
			})
			text = false
		}
	}
	t.end = time.Since(start)
	if t.err = r.Err(); t.err == nil {
		t.err = fmt.Errorf("the stream ended without done")
	}
	return t
}

// runRE finds the run's id in its panel (id="run-ID"), as the page's
// EventSource URL /runs/ID/events does.
var runRE = regexp.MustCompile(`id="run-([0-9a-f]{32})"`)

// errRunNotFound is a follow answered 404: the instance did not find the
// run (on another instance, not registered in the database in time).
var errRunNotFound = errors.New("404, the run was not found")

// viaFollow starts a run as a page that is reloaded meets it: POST /runs
// answered with the run panel's HTML (not an event stream), then the
// run's events followed with GET /runs/ID/events, each request on
// whichever instance the balancer at u.base picks. Its times are from the
// POST; started is the panel's, answered the events' headers, id the
// run's.
func viaFollow(ctx context.Context, u *user, p string) timing {
	resp, start, err := postRun(ctx, u, p, "text/html")
	if err != nil {
		return timing{err: err}
	}
	panel, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := runRE.FindSubmatch(panel)
	if err != nil || resp.StatusCode != 200 || m == nil {
		return timing{err: fmt.Errorf("no run: %d %v %.200s", resp.StatusCode, err, panel)}
	}
	t := timing{started: time.Since(start), id: string(m[1])}
	req, _ := http.NewRequestWithContext(ctx, "GET", u.base+"/runs/"+t.id+"/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	ev, err := u.client.Do(req)
	if err != nil {
		t.err = err
		return t
	}
	defer ev.Body.Close()
	t.answered = time.Since(start)
	t.liveFrom = start.Add(t.answered).UnixMicro()
	if ev.StatusCode != 200 || !strings.HasPrefix(ev.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(ev.Body)
		if ev.StatusCode == http.StatusNotFound {
			t.err = fmt.Errorf("run %s's events: %w", t.id, errRunNotFound)
		} else {
			t.err = fmt.Errorf("run %s's events: %d %.200s", t.id, ev.StatusCode, b)
		}
		return t
	}
	return readRun(ev.Body, start, t)
}

// stampPrefix is the simulator's sim.StampPrefix (not imported: the Go
// relay is this binary, and should not carry the simulator).
const stampPrefix = "ts"

// scanStamps calls fn with each stamp in b, in order: the simulator's
// StampPrefix ("ts") and exactly 16 digits, Unix microseconds. What comes
// before is not looked at: markdown may drop the piece's space, and the
// HTML is JSON-escaped ("\u003cp\u003ets1764876000123456").
func scanStamps(b []byte, fn func(int64)) {
	const digits = 16
	for {
		i := bytes.Index(b, []byte(stampPrefix))
		if i < 0 {
			return
		}
		j := i + len(stampPrefix)
		if len(b) < j+digits {
			return
		}
		var v int64
		k := j
		for ; k < len(b) && k < j+digits+1 && b[k] >= '0' && b[k] <= '9'; k++ {
			v = v*10 + int64(b[k]-'0')
		}
		if k-j == digits {
			fn(v)
		}
		b = b[k:]
	}
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
