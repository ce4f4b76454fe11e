package cluster

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/playground-dev/playground/web/run"
)

// Remote is a run another instance runs, as this one follows it: its
// event log, read from the database as the NOTIFYs say it grew. It reads
// like a *run.Run for a browser's event stream (Since, Watch, Ended,
// Pane). The browsers of this instance following the same run share one.
type Remote struct {
	n    *Node
	id   string
	pane int

	mu      sync.Mutex
	log     []run.Event
	over    bool
	changed chan struct{}
	// watchers are the browser streams following it here; left is when
	// the last of them left.
	watchers int
	left     time.Time
}

// Follow is owner's run id on whichever instance runs it: its whole log so
// far, and what follows as it comes. ErrNotFound: no such run of owner.
func (n *Node) Follow(ctx context.Context, id, owner string) (*Remote, error) {
	in, err := n.Lookup(ctx, id, owner)
	if err != nil {
		return nil, err
	}
	return n.follow(ctx, in), nil
}

// FollowGroup follows every run of owner's comparison group, by pane.
func (n *Node) FollowGroup(ctx context.Context, group, owner string) ([]*Remote, error) {
	infos, err := n.Group(ctx, group, owner)
	if err != nil {
		return nil, err
	}
	out := make([]*Remote, len(infos))
	for i, in := range infos {
		out[i] = n.follow(ctx, in)
	}
	return out, nil
}

func (n *Node) follow(ctx context.Context, in Info) *Remote {
	n.mu.Lock()
	r := n.remotes[in.ID]
	fresh := r == nil
	if fresh {
		r = &Remote{n: n, id: in.ID, pane: in.Pane, changed: make(chan struct{}), left: time.Now()}
		n.remotes[in.ID] = r
	} else {
		// Not dropped as idle before its new follower starts watching.
		r.mu.Lock()
		r.left = time.Now()
		r.mu.Unlock()
	}
	n.mu.Unlock()
	if fresh {
		// Registered first, read second: an event written in between is
		// read by both, and kept once. Read with the node's context: a
		// request that goes away must not leave it unread.
		err := n.read(n.ctx, []string{in.ID})
		_ = notifyIDs(ctx, n.db, chanWatch, []string{in.ID})
		if err == nil && in.Ended {
			// Read whole after the run read as ended (its ending is
			// written with its end): an ending missing is lost.
			r.endIfMissing()
		}
	} else {
		n.fetchSome([]string{in.ID}) // in case a read of it failed
	}
	return r
}

// endIfMissing ends the log of a run the cluster has as ended but whose
// ending its events lack (they were lost, or pruned before the run's
// row): a follower is told it broke off instead of waiting for ever.
func (r *Remote) endIfMissing() {
	r.mu.Lock()
	over, next := r.over, len(r.log)+1
	r.mu.Unlock()
	if over {
		return
	}
	evs := run.InterruptedEnding(Interrupted)
	for i := range evs {
		evs[i].ID = next + i
	}
	r.add(evs)
}

// ID is the run's id.
func (r *Remote) ID() string { return r.id }

// Pane is the run's pane in its comparison.
func (r *Remote) Pane() int { return r.pane }

// length is how many events the log holds (the id of its last).
func (r *Remote) length() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.log)
}

// add appends the events that continue the log (ids in order from the
// next); one already there is skipped. false: an event came after a gap
// (the log missed some), so the run must be read from the table.
func (r *Remote) add(evs []run.Event) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	grew, whole := false, true
	for _, e := range evs {
		if r.over || e.ID <= len(r.log) {
			continue
		}
		if e.ID != len(r.log)+1 {
			whole = false
			continue
		}
		r.log = append(r.log, e)
		grew = true
		if e.Name == "done" {
			r.over = true
		}
	}
	if grew {
		close(r.changed)
		r.changed = make(chan struct{})
	}
	return whole
}

// Since returns the events after id, whether the run is over, and a
// channel closed when more arrive (as run.Run's).
func (r *Remote) Since(after int) ([]run.Event, bool, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var evs []run.Event
	if after < len(r.log) {
		evs = r.log[max(after, 0):]
	}
	return evs, r.over, r.changed
}

// Watch counts a browser following the run here: while one does, the
// instance running it is told so (it does not abandon the run).
func (r *Remote) Watch() (release func()) {
	r.mu.Lock()
	r.watchers++
	r.mu.Unlock()
	return sync.OnceFunc(func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.watchers--; r.watchers == 0 {
			r.left = time.Now()
		}
	})
}

// idle says whether somebody follows the run here, else for how long
// nobody has.
func (r *Remote) idle(now time.Time) (watched bool, idle time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.watchers > 0 {
		return !r.over, 0
	}
	return false, now.Sub(r.left)
}

// Ended is the outcome of a run that has ended, from its done event.
func (r *Remote) Ended() (run.Outcome, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.over {
		return run.Outcome{}, false
	}
	var o run.Outcome
	if json.Unmarshal(r.log[len(r.log)-1].Data, &o) != nil {
		return run.Outcome{}, false
	}
	return o, true
}
