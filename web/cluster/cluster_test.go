package cluster

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playground-dev/playground/internal/pgtest"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/tokens"
	"github.com/playground-dev/playground/web/upstream"
)

// upstreamOf is a chat provider that streams n words, pause apart.
func upstreamOf(t *testing.T, n int, pause time.Duration) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range n {
			fmt.Fprintf(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"w%d \"}}]}\n\n", i)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(pause):
			}
		}
		fmt.Fprint(w, "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func specOf(base, owner, group string, pane int) run.Spec {
	return run.Spec{
		Provider: &catalog.Provider{ID: "p", Name: "P", APIKeyEnv: "P_KEY", Currency: "USD"},
		Model:    &catalog.Model{ID: "m", Style: catalog.Chat},
		Request: &request.Request{Method: "POST", Path: catalog.Chat.Path(), Body: []byte(`{"model":"m","stream":true}`), Stream: true,
			Header: []request.Header{{Name: "Content-Type", Value: "application/json"}}, KeyEnv: "P_KEY"},
		BaseURLs: []string{base},
		Key:      "sk-test",
		Owner:    owner,
		Client:   "192.0.2.1",
		Origin:   run.Origin{Group: group, Pane: pane},
	}
}

// instance is a run manager and its node, as one playground process has.
type instance struct {
	node *Node
	runs *run.Manager
	// interrupted are the ids the node marked interrupted in the history.
	mu          sync.Mutex
	interrupted []string
}

func start(t *testing.T, url, name string, cfg run.Config) *instance {
	t.Helper()
	in := &instance{}
	node, err := Open(context.Background(), Config{URL: url, Instance: name, Interrupt: func(_ context.Context, ids []string, msg string) error {
		in.mu.Lock()
		in.interrupted = append(in.interrupted, ids...)
		in.mu.Unlock()
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Cluster = node
	if cfg.Grace == 0 {
		cfg.Grace = 5 * time.Second
	}
	ucfg := upstream.DefaultConfig()
	m := run.NewManager(cfg, upstream.New(ucfg), &tokens.Counter{})
	node.SetRuns(m)
	in.node, in.runs = node, m
	t.Cleanup(func() {
		m.Close()
		node.Close()
	})
	return in
}

// drain follows l from after until it is over and returns its events.
func drain(t *testing.T, l run.Log, after int) []run.Event {
	t.Helper()
	release := l.Watch()
	defer release()
	var out []run.Event
	deadline := time.After(20 * time.Second)
	for {
		evs, over, changed := l.Since(after)
		for _, e := range evs {
			out = append(out, e)
			after = e.ID
		}
		if over && len(evs) == 0 {
			return out
		}
		if len(evs) > 0 {
			continue
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("not over after 20 s; %d events", len(out))
		}
	}
}

// markSilent makes instance's last mark a minute old, as if it had gone
// silent.
func markSilent(t *testing.T, url, instance string) {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE cluster_instances SET alive_at = now() - interval '1 minute' WHERE id = $1`, instance); err != nil {
		t.Fatal(err)
	}
}

// followedElsewhere starts a run of words words 20 ms apart on a and
// follows it on b until it has a few events.
func followedElsewhere(t *testing.T, a, b *instance, words int) (*run.Run, *Remote) {
	t.Helper()
	up := upstreamOf(t, words, 20*time.Millisecond)
	r := a.runs.Start(specOf(up.URL, "alice", "", 0))
	remote := followOn(t, b, r.ID, "alice")
	t.Cleanup(remote.Watch())
	for remote.length() < 3 {
		time.Sleep(10 * time.Millisecond)
	}
	return r, remote
}

// pair is two instances on a fresh schema.
func pair(t *testing.T, acfg, bcfg run.Config) (url string, a, b *instance) {
	t.Helper()
	url = pgtest.Schema(t)
	return url, start(t, url, "a", acfg), start(t, url, "b", bcfg)
}

// followOn follows owner's run id from in.
func followOn(t *testing.T, in *instance, id, owner string) *Remote {
	t.Helper()
	r, err := in.node.Follow(context.Background(), id, owner)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func names(evs []run.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, fmt.Sprintf("%d:%s", e.ID, e.Name))
	}
	return out
}

func TestFollowFromAnotherInstance(t *testing.T) {
	url, a, b := pair(t, run.Config{}, run.Config{})
	up := upstreamOf(t, 30, 10*time.Millisecond)

	r := a.runs.Start(specOf(up.URL, "alice", "", 0))
	// The same events, in the same order, from the start and resumed.
	remote := followOn(t, b, r.ID, "alice")
	got := drain(t, remote, 0)
	want := drain(t, r, 0)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("remote events differ:\n got %v\nwant %v", names(got), names(want))
	}
	if len(want) < 3 || want[len(want)-1].Name != "done" {
		t.Fatalf("events %v", names(want))
	}
	resumed := drain(t, remote, 3)
	if !reflect.DeepEqual(resumed, want[3:]) {
		t.Fatalf("resumed after 3: %v, want %v", names(resumed), names(want[3:]))
	}
	if o, ok := remote.Ended(); !ok || o.State != run.Completed {
		t.Fatalf("ended %v %v", o.State, ok)
	}
	// Another session cannot follow it.
	if _, err := b.node.Follow(context.Background(), r.ID, "mallory"); err != ErrNotFound {
		t.Fatalf("another owner: %v", err)
	}
	// A fresh follower of the finished run reads it whole.
	b2 := start(t, url, "b2", run.Config{})
	late := followOn(t, b2, r.ID, "alice")
	if got := drain(t, late, 0); !reflect.DeepEqual(got, want) {
		t.Fatalf("late follower: %v", names(got))
	}
}

func TestRunsFindsHereThenElsewhere(t *testing.T) {
	_, a, b := pair(t, run.Config{}, run.Config{})
	up := upstreamOf(t, 200, 20*time.Millisecond)
	r := a.runs.Start(specOf(up.URL, "alice", "", 0))
	a.runs.SetLast("alice", r)

	rs := Runs{Manager: b.runs, Node: b.node}
	l, err := rs.Follow(context.Background(), r.ID, "alice")
	if err != nil {
		t.Fatal("not found from b:", err)
	}
	if _, local := l.(*run.Run); local {
		t.Fatal("b holds a's run?")
	}
	// (registered with the run's first batch)
	time.Sleep(50 * time.Millisecond)
	local, in, ok := rs.LastRun(context.Background(), "alice")
	if !ok || local != nil || in.ID != r.ID || in.Provider != "p" || in.Model != "m" {
		t.Fatalf("last: %+v %v %v", in, local, ok)
	}
	// A newer run on b is the last, though a still holds its own.
	r2 := b.runs.Start(specOf(up.URL, "alice", "", 0))
	b.runs.SetLast("alice", r2)
	time.Sleep(50 * time.Millisecond)
	if local, _, ok := (Runs{Manager: a.runs, Node: a.node}).LastRun(context.Background(), "alice"); ok && local == r {
		t.Fatal("a shows its own older run as the last")
	}
	r2.Stop()
	// Stop from b reaches a within a second.
	release := l.Watch()
	defer release()
	t0 := time.Now()
	if ok, err := rs.Stop(context.Background(), r.ID, "alice"); !ok || err != nil {
		t.Fatalf("stop: %v %v", ok, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		if _, over, _ := l.Since(0); over {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("the stop did not reach the run")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("stopped after %s", d)
	}
	if o, _ := l.Ended(); o.State != run.Stopped {
		t.Fatalf("state %s", o.State)
	}
	if ok, _ := rs.Stop(context.Background(), "nope", "alice"); ok {
		t.Fatal("stopped a run that does not exist")
	}
}

func TestFollowerElsewhereKeepsRunWatched(t *testing.T) {
	url := pgtest.Schema(t)
	// Nobody watches the run on a; b follows it. With a grace of 1 s a
	// would abandon it if b's watch did not reach it.
	a := start(t, url, "a", run.Config{Grace: time.Second})
	b := start(t, url, "b", run.Config{})
	up := upstreamOf(t, 60, 50*time.Millisecond) // 3 s
	r := a.runs.Start(specOf(up.URL, "alice", "", 0))
	remote := followOn(t, b, r.ID, "alice")
	drain(t, remote, 0)
	if o, _ := remote.Ended(); o.State != run.Completed {
		t.Fatalf("state %s (%s): the run was abandoned though b followed it", o.State, o.Reason)
	}
}

func TestDeadInstanceRunsEndInterrupted(t *testing.T) {
	url, a, b := pair(t, run.Config{}, run.Config{})
	r, remote := followedElsewhere(t, a, b, 400)
	// a dies: its loops stop (no heartbeat, nothing more written), as
	// with SIGKILL; its heartbeat is made old.
	a.node.cancel()
	a.node.wg.Wait()
	markSilent(t, url, "a")
	// An instance whose own marks are not steady sweeps nothing (its
	// database may have been away: the others' marks late for the same
	// reason).
	b.node.steadyAfter = time.Hour
	if err := b.node.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, over, _ := remote.Since(0); over {
		t.Fatal("swept by an instance that is not steady")
	}
	b.node.steadyAfter = 0
	if err := b.node.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	evs := drain(t, remote, 0)
	last := evs[len(evs)-2:]
	if last[0].Name != "failure" || last[1].Name != "done" || !strings.Contains(string(last[0].Data), "stopped") {
		t.Fatalf("ending %v %s", names(last), last[0].Data)
	}
	if o, _ := remote.Ended(); o.State != run.Interrupted {
		t.Fatalf("state %s", o.State)
	}
	b.mu.Lock()
	got := b.interrupted
	b.mu.Unlock()
	if !reflect.DeepEqual(got, []string{r.ID}) {
		t.Fatalf("history interrupted %v", got)
	}
	// A second sweep ends nothing again.
	if err := b.node.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(drain(t, remote, 0)); n != len(evs) {
		t.Fatalf("%d events after a second sweep, want %d", n, len(evs))
	}
	r.Stop() // a's goroutine, which a real kill would have ended
}

func TestLimitsHoldOverInstances(t *testing.T) {
	url := pgtest.Schema(t)
	lim := run.Limits{AtOnce: 1, ClientAtOnce: 2, PerMinute: 3}
	a := start(t, url, "a", run.Config{Limits: lim})
	b := start(t, url, "b", run.Config{Limits: lim})
	up := upstreamOf(t, 20, 20*time.Millisecond)

	r1, err := a.runs.TryStart(specOf(up.URL, "alice", "", 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.runs.TryStart(specOf(up.URL, "alice", "", 0)); err == nil || !strings.Contains(err.Error(), "1 runs going") {
		t.Fatalf("second run at once on b: %v", err)
	}
	// Another session from the same address: its own first run passes,
	// the address's third does not.
	r2, err := b.runs.TryStart(specOf(up.URL, "bob", "", 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.runs.TryStart(specOf(up.URL, "carol", "", 0)); err == nil || !strings.Contains(err.Error(), "network address has 2") {
		t.Fatalf("third from the address: %v", err)
	}
	drain(t, r1, 0)
	drain(t, r2, 0)
	// Over: alice may start again, on either instance, up to 3 a minute.
	r3, err := b.runs.TryStart(specOf(up.URL, "alice", "", 0))
	if err != nil {
		t.Fatalf("after the first ended: %v", err)
	}
	drain(t, r3, 0)
	r4, err := a.runs.TryStart(specOf(up.URL, "alice", "", 0))
	if err != nil {
		t.Fatal(err)
	}
	drain(t, r4, 0)
	_, err = b.runs.TryStart(specOf(up.URL, "alice", "", 0))
	if err == nil || !strings.Contains(err.Error(), "started 3 runs in the last minute") {
		t.Fatalf("fourth in a minute: %v", err)
	}
}

func TestGroupFollowedElsewhere(t *testing.T) {
	_, a, b := pair(t, run.Config{}, run.Config{})
	up := upstreamOf(t, 10, 10*time.Millisecond)
	var local []*run.Run
	for pane := range 3 {
		local = append(local, a.runs.Start(specOf(up.URL, "alice", "g1", pane)))
		time.Sleep(30 * time.Millisecond) // each in its own batch
		// Not followed before every pane has started: the first panes
		// are not all of them.
		if g, err := b.node.group(context.Background(), "g1", "alice"); err != nil || len(g) != 0 {
			t.Fatalf("the comparison read with %d panes before it started them all (%v)", len(g), err)
		}
	}
	a.runs.GroupStarted("alice", "g1", 3)
	group, err := Runs{Manager: b.runs, Node: b.node}.FollowGroup(context.Background(), "g1", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(group) != 3 {
		t.Fatalf("%d panes", len(group))
	}
	for i, l := range group {
		if l.Pane() != i {
			t.Fatalf("pane %d at %d", l.Pane(), i)
		}
		if got, want := drain(t, l, 0), drain(t, local[i], 0); !reflect.DeepEqual(got, want) {
			t.Fatalf("pane %d: %v want %v", i, names(got), names(want))
		}
	}
	if g, _ := (Runs{Manager: b.runs, Node: b.node}).FollowGroup(context.Background(), "g1", "mallory"); len(g) != 0 {
		t.Fatal("another owner's group")
	}
}

func TestModelsRefreshReachesTheOthers(t *testing.T) {
	_, a, b := pair(t, run.Config{}, run.Config{})
	got := make(chan string, 1)
	b.node.SetForget(func(tok string) { got <- tok })
	a.node.ModelsRefreshed("tok-1")
	select {
	case tok := <-got:
		if tok != "tok-1" {
			t.Fatalf("token %q", tok)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the other instance was not told")
	}
}

// An instance alive but late (its marks held up) whose runs another swept:
// its next mark ends them here too, interrupted, as the others were told;
// a Stop still reaches such a run.
func TestLateInstanceIsFenced(t *testing.T) {
	url, a, b := pair(t, run.Config{}, run.Config{})
	r, remote := followedElsewhere(t, a, b, 400)
	markSilent(t, url, "a")
	b.node.steadyAfter = 0
	if err := b.node.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	drain(t, remote, 0)
	if o, _ := remote.Ended(); o.State != run.Interrupted {
		t.Fatalf("the follower elsewhere: %s", o.State)
	}
	if err := a.node.beat(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if e := r.Wait(ctx); e.State != run.Interrupted {
		t.Fatalf("the late instance's own run ended %s, not interrupted", e.State)
	}
}

// With the database away, following a run of another instance is a 503
// to try again (an EventSource reconnects), not a 404 (which ends it).
func TestDatabaseAwayIsNotNotFound(t *testing.T) {
	_, _, b := pair(t, run.Config{}, run.Config{})
	b.node.db.Close()
	_, err := Runs{Manager: b.runs, Node: b.node}.Follow(context.Background(), "some-run", "alice")
	if p := problem.Of(err); p == nil || p.Kind != problem.KindUnavailable || p.RetryAfter == 0 {
		t.Fatalf("%v", err)
	}
	if _, err := (Runs{Manager: b.runs, Node: b.node}).Stop(context.Background(), "some-run", "alice"); problem.KindOf(err) != problem.KindUnavailable {
		t.Fatalf("stop: %v", err)
	}
}

// Events that could not be written while the database was away, past
// what is kept for a retry, are dropped: the run's followers elsewhere
// are told it cannot be followed, once the database is back, also when
// the run ended before they were told.
func TestLostEventsEndTheFollowersRun(t *testing.T) {
	for _, endsFirst := range []bool{false, true} {
		t.Run(fmt.Sprint("ends first ", endsFirst), func(t *testing.T) {
			_, a, b := pair(t, run.Config{}, run.Config{})
			r, remote := followedElsewhere(t, a, b, 300)
			a.node.mu.Lock()
			a.node.maxQueued = 10
			a.node.mu.Unlock()
			a.node.requeue(batch{events: []eventRow{{run: r.ID, seq: 999, name: "delta", data: []byte("0123456789abcdef")}},
				lasts: map[string]string{}, exps: map[string]experimentRow{}})
			if endsFirst {
				a.node.Appended(r, []run.Event{{ID: 1000, Name: "done", Data: []byte(`{"state":"completed"}`)}})
			}
			a.node.kick()
			drain(t, remote, 0)
			if o, _ := remote.Ended(); o.State != run.Interrupted || !strings.Contains(o.Reason, "could not share") {
				t.Fatalf("the follower elsewhere: %s %q", o.State, o.Reason)
			}
			r.Stop()
		})
	}
}

// A slot left by a failed Release is counted over at the next mark, also
// when nothing runs on the instance (an empty list of runs, not NULL).
func TestFenceEndsALeftSlot(t *testing.T) {
	url, a, _ := pair(t, run.Config{}, run.Config{})
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO cluster_slots (run_id, instance, owner, client, operator, started) VALUES ('gone', 'a', 'o', '', false, now() - interval '1 minute')`); err != nil {
		t.Fatal(err)
	}
	if err := a.node.beat(context.Background()); err != nil {
		t.Fatal(err)
	}
	var ended bool
	if err := db.QueryRow(`SELECT ended_at IS NOT NULL FROM cluster_slots WHERE run_id = 'gone'`).Scan(&ended); err != nil || !ended {
		t.Fatalf("the left slot still counts (%v)", err)
	}
}

// A run the cluster has as ended whose events lack their ending (lost, or
// pruned first) is followed to an interrupted end, not for ever.
func TestEndedRunWithoutItsEnding(t *testing.T) {
	url, _, b := pair(t, run.Config{}, run.Config{})
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`INSERT INTO cluster_runs (id, owner, instance, provider, model, ended_at) VALUES ('r1', '` + history.OwnerKey("alice") + `', 'gone', 'p', 'm', now())`,
		`INSERT INTO cluster_events (run_id, seq, name, data) VALUES ('r1', 1, 'start', '{}'), ('r1', 2, 'delta', '{}')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	remote := followOn(t, b, "r1", "alice")
	evs := drain(t, remote, 0)
	if len(evs) != 4 || evs[3].Name != "done" {
		t.Fatalf("events %v", names(evs))
	}
	if o, _ := remote.Ended(); o.State != run.Interrupted {
		t.Fatalf("state %s", o.State)
	}
}
