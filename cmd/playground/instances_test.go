package main

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/playground-dev/playground/internal/balancer"
	"github.com/playground-dev/playground/internal/pgtest"
	"github.com/playground-dev/playground/web/sse"
)

// instances is three playground processes on one PostgreSQL schema with
// shared session keys, behind nginx doing plain round robin.
type instances struct {
	t     *testing.T
	bal   *balancer.Balancer
	procs []*childProc
	// bc is a browser's session through the balancer.
	bc *browserClient
	// served is the instance that answered the last response through the
	// balancer (its X-Served-By header).
	served atomic.Int32
}

// servedBy notes which instance answered each response.
type servedBy struct{ cl *instances }

func (s servedBy) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && strings.HasPrefix(req.URL.String(), s.cl.bal.URL) {
		addr := balancer.Instance(resp.Header)
		for i, p := range s.cl.procs {
			if p.addr == addr {
				s.cl.served.Store(int32(i))
			}
		}
	}
	return resp, err
}

type childProc struct {
	base, addr string
	kill       func()
}

func startCluster(t *testing.T, n int, args ...string) *instances {
	t.Helper()
	if _, err := balancer.Binary(); err != nil {
		t.Fatal(err) // .ci/run installs nginx; a missing one fails
	}
	db := pgtest.Schema(t)
	var hash, block [32]byte
	_, _ = rand.Read(hash[:])
	_, _ = rand.Read(block[:])
	keys := hex.EncodeToString(hash[:]) + ":" + hex.EncodeToString(block[:])
	cl := &instances{t: t}
	var backends []string
	for range n {
		cmd, base := startChild(t, t.TempDir(), append([]string{"--database-url", db, "--session-keys", keys}, args...)...)
		p := &childProc{base: base, addr: strings.TrimPrefix(base, "http://"), kill: func() { cmd.Process.Kill(); cmd.Wait() }}
		cl.procs = append(cl.procs, p)
		backends = append(backends, p.addr)
	}
	bal, err := balancer.Start(t.TempDir(), backends)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bal.Close)
	cl.bal = bal
	cl.served.Store(-1)
	cl.bc = newBrowserClient(t, bal.URL)
	cl.bc.c.Transport = servedBy{cl}
	cl.bc.get("/healthz")
	return cl
}

// last is the instance (its index) that answered the last response
// through the balancer.
func (cl *instances) last() int {
	cl.t.Helper()
	i := int(cl.served.Load())
	if i < 0 {
		cl.t.Fatal("no response through the balancer named its instance")
	}
	return i
}

// next makes the balancer's next request land on instance i: round robin
// goes through the instances in order, so requests to /healthz advance
// it (the instances killed are skipped by nginx and by this).
func (cl *instances) next(i int, alive ...int) {
	cl.t.Helper()
	for range 10 {
		prev := cl.last()
		want := (prev + 1) % len(cl.procs)
		for !contains(alive, want) && len(alive) > 0 {
			want = (want + 1) % len(cl.procs)
		}
		if want == i {
			return
		}
		resp, err := cl.bc.c.Get(cl.bal.URL + "/healthz")
		if err != nil {
			cl.t.Fatal(err)
		}
		resp.Body.Close()
	}
	cl.t.Fatalf("could not route to instance %d", i)
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// on is the session's browser client talking to instance i directly.
func (cl *instances) on(i int) *browserClient {
	return &browserClient{tb: cl.t, base: cl.procs[i].base, c: cl.bc.c, csrf: cl.bc.csrf}
}

// sseEvent is one event of a stream as a browser's EventSource gets it.
type sseEvent struct {
	id, name, data string
}

// eventStream reads a response's events, across calls.
type eventStream struct {
	t *testing.T
	d *sse.Decoder
}

func newEventStream(t *testing.T, body io.Reader) *eventStream {
	return &eventStream{t: t, d: sse.NewDecoder(body, 4<<20)}
}

// until reads events until stop says so (or the stream ends), and
// returns what came.
func (s *eventStream) until(stop func(sseEvent) bool) []sseEvent {
	var out []sseEvent
	for {
		e, err := s.d.Next()
		if err != nil {
			return out
		}
		ev := sseEvent{id: string(e.ID), name: string(e.Type), data: string(e.Data)}
		out = append(out, ev)
		if stop(ev) {
			return out
		}
	}
}

// events reads body's events until stop says so.
func events(t *testing.T, body io.Reader, stop func(sseEvent) bool) []sseEvent {
	return newEventStream(t, body).until(stop)
}

// follow opens a run's event stream through the balancer.
func (cl *instances) follow(id string, after int) *http.Response {
	cl.t.Helper()
	u := cl.bal.URL + "/runs/" + id + "/events"
	if after > 0 {
		u += "?after=" + strconv.Itoa(after)
	}
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept", "text/event-stream")
	client := &http.Client{Jar: cl.bc.c.Jar, Transport: cl.bc.c.Transport} // no timeout: a stream
	resp, err := client.Do(req)
	if err != nil {
		cl.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		cl.t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	cl.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// startRun starts a run through the balancer and returns its id and the
// instance it runs on.
func (cl *instances) startRun(prompt string) (string, int) {
	cl.t.Helper()
	_, panel := cl.bc.post("/runs", url.Values{"_provider": {"sim"}, "_model": {"seed001.gpt-5.4"},
		"messages.role": {"user"}, "messages.content": {prompt}, "stream": {"true"}}, true)
	m := runRE.FindStringSubmatch(panel)
	if m == nil {
		cl.t.Fatalf("no run: %.500s", panel)
	}
	return m[1], cl.last()
}

func ids(t *testing.T, evs []sseEvent) []int {
	var out []int
	for _, e := range evs {
		if e.id == "" {
			continue
		}
		n, err := strconv.Atoi(e.id)
		if err != nil {
			t.Fatalf("event id %q", e.id)
		}
		out = append(out, n)
	}
	return out
}

func isDone(e sseEvent) bool { return e.name == "done" }

// TestSeveralInstancesBehindABalancer: three instances on one PostgreSQL
// behind round-robin nginx serve one browser as one playground: a run is
// followed on another instance than the one running it, the page reloaded
// on another still shows it, the stream resumes where it was without gaps
// or duplicates, and a third instance stops it; a comparison streams
// from an instance that did not start it; an instance killed mid-run has
// its run ended interrupted, with its text, by the others; the history
// and its exports read the same on every instance.
func TestSeveralInstancesBehindABalancer(t *testing.T) {
	cl := startCluster(t, 3, "--sim-ttft", "20ms", "--sim-tps", "15")

	for i := range cl.procs {
		if body := cl.on(i).get("/readyz"); !strings.Contains(body, `"status":"ready"`) {
			t.Fatalf("instance %d not ready: %s", i, body)
		}
	}

	// The form kept on one instance is the form on the others.
	cl.on(0).post("/draft/preview", url.Values{"_provider": {"sim"}, "_model": {"seed001.gpt-5.4"},
		"messages.role": {"user"}, "messages.content": {"Remember the tides."}}, true)
	// (written within 50 ms: a save does not wait for the database)
	for i := range cl.procs {
		for deadline := time.Now().Add(2 * time.Second); !strings.Contains(cl.on(i).get("/"), "Remember the tides."); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Errorf("instance %d lost the form kept on instance 0", i)
				break
			}
		}
	}

	// A run, followed through the balancer on another instance.
	id, owner := cl.startRun("Tell me about the sea.")
	follower := (owner + 1) % 3
	cl.next(follower)
	resp := cl.follow(id, 0)
	if got := cl.last(); got != follower {
		t.Fatalf("followed on %d, want %d", got, follower)
	}
	first := events(t, resp.Body, func(e sseEvent) bool { return e.name == "delta" && mustAtoi(e.id) >= 6 })
	resp.Body.Close()
	seen := ids(t, first)
	if len(seen) == 0 || seen[0] != 1 {
		t.Fatalf("first events %v", seen)
	}
	lastID := seen[len(seen)-1]

	// The page reloaded on the third instance shows the run, live.
	third := (owner + 2) % 3
	cl.next(third)
	page := cl.bc.get("/")
	if cl.last() != third {
		t.Fatalf("reload on %d, want %d", cl.last(), third)
	}
	if !strings.Contains(page, `/runs/`+id+`/events`) {
		t.Fatalf("the reloaded page on another instance does not follow the run:\n%.2000s", page)
	}

	// Resumed on the instance running it (it is the next in turn), then
	// stopped from another.
	cl.next(owner)
	resp = cl.follow(id, lastID)
	resumedEvents := make(chan []sseEvent, 1)
	go func() { resumedEvents <- events(t, resp.Body, isDone) }()
	time.Sleep(300 * time.Millisecond)
	cl.next(follower)
	stopAt := time.Now()
	if st, body := cl.bc.post("/runs/"+id+"/stop", url.Values{}, true); st != http.StatusNoContent {
		t.Fatalf("stop: %d %s", st, body)
	}
	if got := cl.last(); got == owner {
		t.Fatalf("stop served by the owner %d", got)
	}
	var resumed []sseEvent
	select {
	case resumed = <-resumedEvents:
	case <-time.After(10 * time.Second):
		t.Fatal("the run did not end after the stop")
	}
	if d := time.Since(stopAt); d > time.Second {
		t.Errorf("the stop took %s to reach the run", d)
	}
	got := ids(t, resumed)
	if len(got) == 0 || got[0] != lastID+1 {
		t.Fatalf("resumed after %d with %v", lastID, got)
	}
	for i := 1; i < len(got); i++ {
		if got[i] != got[i-1]+1 {
			t.Fatalf("gap or duplicate in the resumed events: %v", got)
		}
	}
	if done := resumed[len(resumed)-1]; !strings.Contains(done.data, `"state":"stopped"`) && !strings.Contains(done.data, "stopped") {
		t.Fatalf("ended %s", done.data)
	}

	// The whole log read from an instance that did not run it is the
	// same as from the one that did.
	whole := func(i int) []sseEvent {
		resp, err := cl.on(i).c.Get(cl.procs[i].base + "/runs/" + id + "/events")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return events(t, resp.Body, isDone)
	}
	if a, b := whole(owner), whole(follower); !slices.Equal(a, b) {
		t.Fatalf("the run's events differ between instances:\n%v\n%v", a, b)
	}

	// Its inspector and transcript from an instance that did not run it:
	// the history's copy.
	if insp := cl.on(follower).get("/runs/" + id + "/inspector"); !strings.Contains(insp, "ran on another instance") ||
		!strings.Contains(insp, "/chat/completions") || !strings.Contains(insp, "Tell me about the sea.") || strings.Contains(insp, "Events (0)") {
		t.Errorf("inspector on another instance:\n%.1500s", insp)
	}
	if sse := cl.on(follower).get("/runs/" + id + "/transcript.sse"); !strings.Contains(sse, "data: ") {
		t.Errorf("transcript on another instance: %.500s", sse)
	}
	// The copy button's answer, from either.
	if a, b := cl.on(owner).get("/runs/"+id+"/answer/0"), cl.on(follower).get("/runs/"+id+"/answer/0"); a == "" || a != b {
		t.Errorf("the answer to copy: %q here, %q on another instance", a, b)
	}

	// A comparison started on one instance streams from another.
	_, runs := cl.bc.post("/compare/run", url.Values{"messages.role": {"user"}, "messages.content": {"Compare the seas."},
		"pane.0.provider": {"sim"}, "pane.0.model": {"seed001.gpt-5.4"}, "pane.0.f.stream": {"true"},
		"pane.1.provider": {"sim"}, "pane.1.model": {"seed001.gpt-5.4"}, "pane.1.f.stream": {"true"}}, true)
	started := cl.last()
	group := regexp.MustCompile(`data-group-events="/compare/([^/"]+)/events"`).FindStringSubmatch(runs)
	if group == nil {
		t.Fatalf("no comparison: %.500s", runs)
	}
	cl.next((started + 1) % 3)
	ev := cl.bc.get("/compare/" + group[1] + "/events")
	if cl.last() == started {
		t.Fatal("the comparison streamed from the instance that started it")
	}
	if n := strings.Count(ev, "event: done"); n != 2 || !strings.Contains(ev, `"p":0`) || !strings.Contains(ev, `"p":1`) {
		t.Fatalf("comparison events from another instance (%d done):\n%.1500s", n, ev)
	}
	// The compare page reloaded on another instance shows the comparison.
	if page := cl.on((started + 2) % 3).get("/compare"); !strings.Contains(page, `data-group-events="/compare/`+group[1]+`/events"`) ||
		strings.Count(page, `data-testid="stop"`) != 2 {
		t.Errorf("the compare page on another instance lacks the comparison:\n%.2000s", page)
	}

	// An experiment started on one instance: its grid polled from
	// another, stopped from a third, its page on any.
	cl.bc.get("/experiment")
	_, startedExp := cl.bc.post("/experiment/run", url.Values{"name": {"Seas"}, "cases": {"sea\nNorth\nBaltic\nAral\n"},
		"checks": {"- type: contains\n  values: [a]\n"}, "repeats": {"1"}}, true)
	runsOn := cl.last()
	exp := regexp.MustCompile(`hx-get="/experiment/([^/"]+)/grid`).FindStringSubmatch(startedExp)
	if exp == nil {
		t.Fatalf("no experiment: %.800s", startedExp)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		grid := cl.on((runsOn + 1) % 3).get("/experiment/" + exp[1] + "/grid")
		if !strings.Contains(grid, `data-running="true"`) {
			t.Fatalf("the grid from another instance while it runs:\n%.1500s", grid)
		}
		if strings.Contains(grid, "1 of 6 done") || strings.Contains(grid, "2 of 6 done") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no cell ended, seen from another instance:\n%.1500s", grid)
		}
	}
	if st, body := cl.on((runsOn+2)%3).post("/experiment/"+exp[1]+"/stop", url.Values{}, true); st != http.StatusOK {
		t.Fatalf("stop from a third instance: %d %.500s", st, body)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		grid := cl.on((runsOn + 1) % 3).get("/experiment/" + exp[1] + "/grid")
		if strings.Contains(grid, `data-running="false"`) {
			// "stopped" among the counts, or "Stopped: …" in the verdict
			// when cells were left waiting.
			if !strings.Contains(strings.ToLower(grid), "stopped") {
				t.Errorf("the stopped experiment's grid:\n%.1500s", grid)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stop from another instance did not reach the experiment:\n%.1500s", grid)
		}
	}
	for i := range cl.procs {
		if page := cl.on(i).get("/experiment"); !strings.Contains(page, "/experiment/"+exp[1]+"/grid") {
			t.Errorf("the experiment page on instance %d lacks the experiment", i)
		}
	}

	// An instance killed mid-run: the others end its run interrupted,
	// with the text it had, and the browser following it hears so.
	id2, owner2 := cl.startRun("Tell me a long story about the sea.")
	other := (owner2 + 1) % 3
	cl.next(other)
	resp = cl.follow(id2, 0)
	body := newEventStream(t, resp.Body)
	before := body.until(func(e sseEvent) bool { return e.name == "delta" && mustAtoi(e.id) >= 6 })
	// The history has the output so far (written every 2 s).
	hist := cl.on(other)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(hist.get("/history/runs/"+id2), `data-testid="record-answer"><p>`); {
		if time.Now().After(deadline) {
			t.Fatal("the running run's output never reached the history")
		}
		time.Sleep(100 * time.Millisecond)
	}
	killedAt := time.Now()
	cl.procs[owner2].kill()
	after := make(chan []sseEvent, 1)
	go func() { after <- body.until(isDone) }()
	var ending []sseEvent
	select {
	case ending = <-after:
	case <-time.After(40 * time.Second):
		t.Fatal("the follower was never told the run ended")
	}
	t.Logf("the killed instance's run ended %s after the kill", time.Since(killedAt).Round(time.Millisecond))
	if len(ending) < 2 || ending[len(ending)-2].name != "failure" || !strings.Contains(ending[len(ending)-2].data, "stopped") ||
		!strings.Contains(ending[len(ending)-1].data, "interrupted") {
		t.Fatalf("ending after the kill: %v (before: %d events)", ending, len(before))
	}
	alive := []int{}
	for i := range cl.procs {
		if i != owner2 {
			alive = append(alive, i)
		}
	}
	for _, i := range alive {
		page := cl.on(i).get("/history/runs/" + id2)
		for _, want := range []string{`data-testid="record-status">interrupted`, "The server running this run stopped", `data-testid="record-answer"><p>`} {
			if !strings.Contains(page, want) {
				t.Errorf("instance %d: the killed run's page lacks %q", i, want)
			}
		}
	}

	// The history and its exports read the same on every instance left.
	for _, path := range []string{"/history/export.jsonl", "/history/runs/" + id + "/export.json", "/history/runs/" + id2 + "/export.json",
		"/history/runs/" + id + "/export.sh"} {
		var first string
		for n, i := range alive {
			b := cl.on(i).get(path)
			if n == 0 {
				first = b
				if len(b) < 50 {
					t.Fatalf("%s: %q", path, b)
				}
			} else if b != first {
				t.Errorf("%s differs between instances %d and %d", path, alive[0], i)
			}
		}
	}
	list := map[int][]string{}
	for _, i := range alive {
		list[i] = regexp.MustCompile(`/history/runs/([A-Za-z0-9_-]+)"`).FindAllString(cl.on(i).get("/history"), -1)
		if len(list[i]) == 0 || strings.Join(list[i], ",") != strings.Join(list[alive[0]], ",") {
			t.Errorf("history list on %d: %v, on %d: %v", i, list[i], alive[0], list[alive[0]])
		}
	}
}

func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
