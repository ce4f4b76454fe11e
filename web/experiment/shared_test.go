package experiment

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/checks"
)

// memShared is two instances' shared store in memory: what one
// publishes the other reads; a command goes to the instance running it.
type memShared struct {
	mu      sync.Mutex
	data    map[string][]byte
	running map[string]bool
	owner   map[string]string
	apply   func(Command) error
}

func (m *memShared) Publish(id, owner string, data []byte, running bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data[id], m.running[id], m.owner[id] = data, running, owner
}

func (m *memShared) Read(_ context.Context, id, owner string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if d, ok := m.data[id]; ok && m.owner[id] == owner {
		return d, m.running[id], nil
	}
	return nil, false, ErrNotShared
}

func (m *memShared) Latest(_ context.Context, owner string) (string, []byte, bool, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, o := range m.owner {
		if o == owner {
			return id, m.data[id], m.running[id], true
		}
	}
	return "", nil, false, false
}

func (m *memShared) Send(_ context.Context, c Command) error { return m.apply(c) }

// TestExperimentSeenFromAnotherInstance: the grid another instance shows
// is the one the instance running it has, and a vote given there reaches
// it; another session sees nothing, a stale pair is refused.
func TestExperimentSeenFromAnotherInstance(t *testing.T) {
	b := newSimBench(t, nil)
	src := cityDraft + "cases: [{city: Paris}, {city: Lisbon}]\npanes:\n  - {name: a}\n  - {name: b, params: {temperature: 0.5}}\n"
	p := b.plan(t, src)
	shared := &memShared{data: map[string][]byte{}, running: map[string]bool{}, owner: map[string]string{}}
	n := 0
	here := &Lives{NewID: func() string { n++; return "x" + string(rune('0'+n)) }, Shared: shared}
	there := &Lives{Shared: shared}
	shared.apply = here.Apply
	l, err := here.Start("alice", b.runner(), p, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for l.Running() || func() bool { s, _, _ := there.View(ctx, b.cat, l.ID, "alice"); return s.Running }() {
		if time.Now().After(deadline) {
			t.Fatal("not over")
		}
		time.Sleep(20 * time.Millisecond)
	}
	snap, offer, err := there.View(ctx, b.cat, l.ID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	mine := l.Snapshot()
	if snap.Done != 4 || snap.Done != mine.Done || snap.Report.Verdict != mine.Report.Verdict || snap.Running {
		t.Fatalf("seen elsewhere: %d done, %q; here %d, %q", snap.Done, snap.Report.Verdict, mine.Done, mine.Report.Verdict)
	}
	if _, _, err := there.View(ctx, b.cat, l.ID, "mallory"); err == nil {
		t.Fatal("another session sees it")
	}
	if offer == nil {
		t.Fatal("no blind pair offered elsewhere")
	}
	if err := there.Do(ctx, "alice", Command{Op: "vote", ID: l.ID, Token: "stale", Pick: checks.PickA}); err == nil || !strings.Contains(err.Error(), "already voted") {
		t.Fatalf("stale pair: %v", err)
	}
	if err := there.Do(ctx, "alice", Command{Op: "vote", ID: l.ID, Token: offer.Token, Pick: checks.PickA}); err != nil {
		t.Fatal(err)
	}
	if got := l.Snapshot().Votes; len(got) != 1 || got[0].Case != offer.Case {
		t.Fatalf("votes here %+v", got)
	}
	if err := there.Do(ctx, "mallory", Command{Op: "stop", ID: l.ID}); err == nil {
		t.Fatal("another session stopped it")
	}
	// A command naming another owner is refused by the instance running it.
	if err := here.Apply(Command{Op: "stop", ID: l.ID, Owner: "someone else"}); err == nil {
		t.Fatal("applied another owner's command")
	}
	// Published as running: shown running while its instance is alive,
	// over once it is gone (running false).
	var pub Published
	shared.mu.Lock()
	data := shared.data[l.ID]
	shared.mu.Unlock()
	if err := json.Unmarshal(data, &pub); err != nil {
		t.Fatal(err)
	}
	pub.Running = true
	data, _ = json.Marshal(pub)
	if s, _, err := Remote(b.cat, l.ID, data, true); err != nil || !s.Running {
		t.Fatalf("alive: running %v, %v", s.Running, err)
	}
	if s, _, err := Remote(b.cat, l.ID, data, false); err != nil || s.Running {
		t.Fatalf("its instance gone: running %v, %v", s.Running, err)
	}
}

// The experiment page shows the session's newest experiment, wherever it
// runs: one started on another instance after this one's own.
func TestLatestExperimentIsTheNewest(t *testing.T) {
	b := newSimBench(t, nil)
	src := cityDraft + "cases: [{city: Paris}]\n"
	p := b.plan(t, src)
	shared := &memShared{data: map[string][]byte{}, running: map[string]bool{}, owner: map[string]string{}}
	here := &Lives{NewID: func() string { return "older" }, Shared: shared}
	there := &Lives{NewID: func() string { return "newer" }, Shared: shared}
	shared.apply = func(Command) error { return nil }
	for _, ls := range []*Lives{here, there} {
		l, err := ls.Start("alice", b.runner(), p, []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(10 * time.Second); l.Running(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("not over")
			}
		}
		time.Sleep(5 * time.Millisecond) // created one after the other
	}
	// Once both published their end, memShared's Latest is made to be
	// the newer one (its map has no order).
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		shared.mu.Lock()
		over := len(shared.data) == 2 && !shared.running["older"] && !shared.running["newer"]
		if over {
			delete(shared.data, "older")
			delete(shared.owner, "older")
		}
		shared.mu.Unlock()
		if over {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not published over")
		}
	}
	if s, _, ok := here.LatestView(context.Background(), b.cat, "alice"); !ok || s.ID != "newer" {
		t.Fatalf("latest here: %q %v, want the newer one from the other instance", s.ID, ok)
	}
	if s, _, ok := there.LatestView(context.Background(), b.cat, "alice"); !ok || s.ID != "newer" {
		t.Fatalf("latest there: %q %v", s.ID, ok)
	}
}
