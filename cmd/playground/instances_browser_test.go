package main

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/playground-dev/playground/internal/balancer"
)

// servedRequest is one of the browser's requests through the balancer
// and the instance (its index) that answered it.
type servedRequest struct {
	method, path string
	kind         network.ResourceType
	inst         int
}

func (r servedRequest) String() string {
	return fmt.Sprintf("%s %s (%s) on %d", r.method, r.path, r.kind, r.inst)
}

// browserServed records, from the browser's network events, which
// instance answered each of its requests (the balancer's X-Served-By, as
// the response headers arrive: an event stream is noted when it opens).
type browserServed struct {
	t       *testing.T
	mu      sync.Mutex
	methods map[network.RequestID]string
	reqs    []servedRequest
}

func watchServed(t *testing.T, b *browser, cl *instances) *browserServed {
	s := &browserServed{t: t, methods: map[network.RequestID]string{}}
	chromedp.ListenTarget(b.ctx, func(ev any) {
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			s.mu.Lock()
			s.methods[e.RequestID] = e.Request.Method
			s.mu.Unlock()
		case *network.EventResponseReceived:
			h := map[string][]string{}
			for k, v := range e.Response.Headers {
				if strings.EqualFold(k, balancer.ServedBy) {
					h[balancer.ServedBy] = []string{fmt.Sprint(v)}
				}
			}
			addr, inst := balancer.Instance(h), -1
			for i, p := range cl.procs {
				if p.addr == addr {
					inst = i
				}
			}
			u, err := url.Parse(e.Response.URL)
			if err != nil || inst < 0 {
				return
			}
			s.mu.Lock()
			s.reqs = append(s.reqs, servedRequest{method: s.methods[e.RequestID], path: u.RequestURI(), kind: e.Type, inst: inst})
			s.mu.Unlock()
		}
	})
	return s
}

// mark is where the requests from now on start.
func (s *browserServed) mark() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

// wait is the first request since mark that match says is the one.
func (s *browserServed) wait(mark int, what string, match func(servedRequest) bool) servedRequest {
	s.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		s.mu.Lock()
		for _, r := range s.reqs[mark:] {
			if match(r) {
				s.mu.Unlock()
				return r
			}
		}
		seen := fmt.Sprint(s.reqs[mark:])
		s.mu.Unlock()
		if time.Now().After(deadline) {
			s.t.Fatalf("the browser never sent %s; it sent %s", what, seen)
		}
	}
}

// TestBrowserClusterReloadOnAnotherInstance: a browser behind round-robin
// nginx in front of three instances on one PostgreSQL. A run started on
// one instance, the page reloaded onto another (page and event stream
// both served by instances that do not run it), keeps streaming where it
// was and ends with the text it had before the reload at its start; a
// second run, reloaded onto another instance, stops at Stop within 2 s;
// the inspector of a run from an instance that did not run it says so;
// the reloaded page is laid out at every screen size and theme.
func TestBrowserClusterReloadOnAnotherInstance(t *testing.T) {
	cl := startCluster(t, 3, "--sim-ttft", "20ms", "--sim-tps", "8")
	b := newBrowserWithin(t, 3*time.Minute)
	served := watchServed(t, b, cl)
	const (
		state = `[data-testid="run-state"]`
		// answerWords counts the words of the answer so far.
		answerWords = `(document.querySelector('[data-testid="answer"]')||{textContent:""}).textContent.split(/\s+/).filter(Boolean).length`
	)
	// answerText is the answer as a person reads it (spacing aside).
	answerText := func() string {
		t.Helper()
		var s string
		b.run(t, chromedp.Evaluate(`(document.querySelector('[data-testid="answer"]')||{textContent:""}).textContent`, &s))
		return strings.Join(strings.Fields(s), " ")
	}
	panelID := func() string {
		t.Helper()
		var id string
		b.run(t, chromedp.Evaluate(`document.querySelector('[data-testid="run"]').id`, &id))
		return strings.TrimPrefix(id, "run-")
	}
	// start runs the prompt and waits for its text to stream in: the
	// run's id and the instance that runs it.
	start := func(prompt string) (string, int) {
		t.Helper()
		mark := served.mark()
		runPrompt(t, b, prompt, "running")
		b.run(t, chromedp.Poll(answerWords+` >= 8`, nil,
			chromedp.WithPollingTimeout(20*time.Second)))
		post := served.wait(mark, "POST /runs", func(r servedRequest) bool { return r.method == "POST" && r.path == "/runs" })
		return panelID(), post.inst
	}
	// routeTo makes the browser's next request land on instance i, once
	// its requests under way are done (round robin is read from where a
	// request of the test lands, then advanced).
	routeTo := func(i int) {
		t.Helper()
		b.run(t, htmxSettled())
		cl.bc.get("/healthz")
		cl.next(i)
	}
	// reloadAway reloads the page so that the page and its event stream
	// of run id come from instances other than owner: round robin is set
	// for the page, and the other instance is tried when the browser's
	// own requests in between bring the stream back to owner.
	reloadAway := func(id string, owner int) (page, events servedRequest) {
		t.Helper()
		for attempt := range 4 {
			routeTo((owner + 1 + attempt%2) % len(cl.procs))
			mark := served.mark()
			b.run(t, chromedp.Reload(), chromedp.WaitVisible(`#run-`+id, chromedp.ByQuery))
			page = served.wait(mark, "the page", func(r servedRequest) bool { return r.kind == network.ResourceTypeDocument })
			events = served.wait(mark, "the run's event stream", func(r servedRequest) bool {
				return strings.HasPrefix(r.path, "/runs/"+id+"/events")
			})
			t.Logf("run on %d; reloaded: %s, %s", owner, page, events)
			if page.inst != owner && events.inst != owner {
				return page, events
			}
		}
		t.Fatalf("could not reload the page and its stream onto instances other than %d", owner)
		return
	}

	b.run(t,
		chromedp.Navigate(cl.bal.URL+"/"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		htmxReady("#draft"),
		pick(`#model`, "seed001.gpt-5.4"),
		waitText(`[data-testid="curl"]`, `"model": "gpt-5.4"`),
	)

	// A run, streaming; the page reloaded onto the other instances.
	id, owner := start("[[events:64]] Tell me about the sea.")
	before := answerText()
	reloadAway(id, owner)
	b.run(t, chromedp.Poll(fmt.Sprintf(answerWords+` > %d`, len(strings.Fields(before))), nil, chromedp.WithPollingTimeout(20*time.Second)))
	b.run(t,
		waitTextFor(state, "completed", 30*time.Second),
		chromedp.WaitVisible(`[data-testid="metrics"]`, chromedp.ByQuery),
	)
	final := answerText()
	if !strings.HasPrefix(final, before) || len(final) <= len(before) {
		t.Errorf("the text before the reload is not the start of the whole text:\nbefore: %s\nafter:  %s", before, final)
	}
	if n := len(strings.Fields(final)); n < 30 {
		t.Errorf("the whole answer is %d words: %s", n, final)
	}
	noRunError(t, b)
	// The nginx log agrees on who ran it (the aborted POST is logged
	// once it ended).
	if log, err := cl.bal.Served(); err != nil {
		t.Fatal(err)
	} else {
		for _, r := range log {
			if r[0] == "POST /runs" && r[1] != cl.procs[owner].addr {
				t.Errorf("the balancer's log has POST /runs on %s, the browser saw %s", r[1], cl.procs[owner].addr)
			}
		}
	}
	// The same text from a fresh page on yet another load: no piece lost
	// or doubled by the resumption.
	reloadAway(id, owner)
	b.run(t, waitTextFor(state, "completed", 30*time.Second))
	if again := answerText(); again != final {
		t.Errorf("the run reads differently on a fresh page:\n%s\n---\n%s", final, again)
	}
	checkLayout(t, b, "cluster reloaded run")

	// Its inspector, asked of an instance that did not run it.
	routeTo((owner + 1) % len(cl.procs))
	mark := served.mark()
	b.run(t,
		chromedp.Click(`[data-testid="inspector-tab"]`, chromedp.ByQuery),
		waitText(`[data-testid="inspector-body"]`, "Request"),
	)
	insp := served.wait(mark, "the inspector", func(r servedRequest) bool { return r.path == "/runs/"+id+"/inspector" })
	var body string
	b.run(t, text(`[data-testid="inspector-body"]`, &body))
	if !strings.Contains(body, "Tell me about the sea.") || !strings.Contains(body, "POST") {
		t.Errorf("the inspector (from %d, run on %d) lacks the request:\n%s", insp.inst, owner, body)
	}
	if insp.inst != owner && !strings.Contains(body, "ran on another instance") {
		t.Errorf("the inspector from %d does not say the run ran on another instance (%d):\n%s", insp.inst, owner, body)
	}
	t.Logf("inspector: %s", insp)
	checkLayout(t, b, "cluster inspector")

	// A second run, reloaded onto another instance, stopped there.
	b.run(t, chromedp.Click(`[data-tab="output"]`, chromedp.ByQuery))
	id2, owner2 := start("[[events:400]] Tell me a long story about the sea.")
	reloadAway(id2, owner2)
	b.run(t, waitText(state, "running"))
	routeTo((owner2 + 2) % len(cl.procs))
	mark = served.mark()
	stopAt := time.Now()
	b.run(t,
		chromedp.Click(`[data-testid="stop"]`, chromedp.ByQuery),
		waitTextFor(state, "stopped", 10*time.Second),
	)
	took := time.Since(stopAt)
	stop := served.wait(mark, "the stop", func(r servedRequest) bool { return r.path == "/runs/"+id2+"/stop" })
	t.Logf("stop of the run on %d: %s, shown stopped after %s", owner2, stop, took.Round(time.Millisecond))
	if stop.inst == owner2 {
		t.Errorf("the stop was sent to the instance running the run (%d), not another", owner2)
	}
	if took > 2*time.Second {
		t.Errorf("the stop took %s to show", took)
	}
	b.run(t, chromedp.WaitVisible(`[data-testid="metrics"]`, chromedp.ByQuery))
	noRunError(t, b)
	b.noScriptErrors(t)
}

// noRunError fails when the run panel shows an error.
func noRunError(t *testing.T, b *browser) {
	t.Helper()
	var shown string
	b.run(t, chromedp.Evaluate(`(() => { const e = document.querySelector('[data-testid="run-error"]'); return e.hidden ? "" : e.textContent; })()`, &shown))
	if strings.TrimSpace(shown) != "" {
		t.Errorf("the run panel shows an error: %s", shown)
	}
}
