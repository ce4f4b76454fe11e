package experiment

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/checks"
	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/problem"
)

// Shared keeps the experiments where every instance of the playground
// reads them (web/cluster on PostgreSQL): the instance running one
// publishes it as it changes, the others show what it published and pass
// a person's Stop, Retry and votes on to it.
type Shared interface {
	// Publish keeps experiment id of owner as it stands (the latest
	// wins; written within milliseconds).
	Publish(id, owner string, data []byte, running bool)
	// Read is owner's experiment id as last published, and whether it
	// still runs (false once the instance running it died); ErrNotShared
	// when there is none.
	Read(ctx context.Context, id, owner string) (data []byte, running bool, err error)
	// Latest is owner's most recently started published experiment.
	Latest(ctx context.Context, owner string) (id string, data []byte, running bool, ok bool)
	// Send passes a command to the instance running the experiment.
	Send(ctx context.Context, c Command) error
}

// ErrNotShared: no instance has published such an experiment.
var ErrNotShared = errors.New("experiment: not shared")

// Command is what a person asked of an experiment another instance runs.
type Command struct {
	Op string `json:"op"` // stop, retry or vote
	ID string `json:"id"`
	// Owner is the session's OwnerKey (the instance running it checks it).
	Owner string      `json:"owner"`
	Cell  Cell        `json:"cell,omitzero"`
	Token string      `json:"token,omitempty"`
	Pick  checks.Pick `json:"pick,omitempty"`
}

// Published is an experiment as another instance shows it: its file, its
// record so far, the cells in flight with their answers so far, and the
// blind pair on offer.
type Published struct {
	File    []byte     `json:"file"`
	Record  Record     `json:"record"`
	Running bool       `json:"running"`
	Cells   []LiveCell `json:"cells,omitempty"`
	Offer   *Offer     `json:"offer,omitempty"`
	Created time.Time  `json:"created"`
	Title   string     `json:"title"`
}

// LiveCell is a cell in flight.
type LiveCell struct {
	Cell    Cell   `json:"cell"`
	RunID   string `json:"run_id"`
	Partial string `json:"partial,omitempty"`
}

// publishEvery is how often a running experiment is published.
const publishEvery = 500 * time.Millisecond

// publish hands l as it stands to the shared store.
func (ls *Lives) publish(l *Live) {
	if ls.Shared == nil {
		return
	}
	l.pubMu.Lock()
	defer l.pubMu.Unlock()
	snap := l.Snapshot()
	p := Published{File: l.File, Record: l.Record(), Running: snap.Running, Offer: l.sharedOffer(snap), Created: l.Created, Title: l.Plan.Title()}
	for c, st := range snap.States {
		if st.Running {
			p.Cells = append(p.Cells, LiveCell{Cell: c, RunID: st.RunID, Partial: st.Partial})
		}
	}
	slices.SortFunc(p.Cells, func(a, b LiveCell) int { return a.Cell.compare(b.Cell) })
	data, err := json.Marshal(p)
	if err != nil {
		return
	}
	ls.Shared.Publish(l.ID, l.Owner, data, p.Running)
}

func (c Cell) compare(d Cell) int {
	if c.Case != d.Case {
		return c.Case - d.Case
	}
	if c.Pane != d.Pane {
		return c.Pane - d.Pane
	}
	return c.Repeat - d.Repeat
}

// sharedOffer is the blind pair other instances show: kept while it is
// still the next pair to vote on, so its token stays valid here.
func (l *Live) sharedOffer(snap Snapshot) *Offer {
	l.mu.Lock()
	o := l.shown
	_, known := l.offers[tokenOf(o)]
	l.mu.Unlock()
	if o != nil && known {
		if next, ok := snap.NextPair(false); ok && samePair(next, o.Pair) {
			return o
		}
	}
	o = l.Offer()
	l.mu.Lock()
	l.shown = o
	l.mu.Unlock()
	return o
}

func tokenOf(o *Offer) string {
	if o == nil {
		return ""
	}
	return o.Token
}

func samePair(a, b Pair) bool {
	return a.Case == b.Case && min(a.A, a.B) == min(b.A, b.B) && max(a.A, a.B) == max(b.A, b.B)
}

// Remote is a published experiment read back on another instance: the
// snapshot its grid shows and the pair on offer. running false ends it
// (its instance died): nothing in flight any more.
func Remote(cat *catalog.Catalog, id string, data []byte, running bool) (Snapshot, *Offer, error) {
	var p Published
	if err := json.Unmarshal(data, &p); err != nil {
		return Snapshot{}, nil, err
	}
	rec, err := json.Marshal(p.Record)
	if err != nil {
		return Snapshot{}, nil, err
	}
	s, err := Stored(cat, id, p.File, rec)
	if err != nil {
		return Snapshot{}, nil, err
	}
	s.Running = p.Running && running
	if !s.Running {
		return s, p.Offer, nil
	}
	for _, c := range p.Cells {
		s.States[c.Cell] = CellState{Running: true, RunID: c.RunID, Partial: c.Partial}
	}
	// The cells not started yet wait their turn.
	for _, c := range s.Plan.Cells() {
		if _, ok := s.States[c]; !ok {
			s.States[c] = CellState{}
		}
	}
	return s, p.Offer, nil
}

// View is owner's experiment id as its grid shows it: from this instance
// when it runs it, else as the instance running it published it.
func (ls *Lives) View(ctx context.Context, cat *catalog.Catalog, id, owner string) (Snapshot, *Offer, error) {
	if l, ok := ls.Get(id, owner); ok {
		return l.Snapshot(), l.Offer(), nil
	}
	if ls.Shared == nil {
		return Snapshot{}, nil, notKept()
	}
	data, running, err := ls.Shared.Read(ctx, id, owner)
	if errors.Is(err, ErrNotShared) {
		return Snapshot{}, nil, notKept()
	}
	if err != nil {
		return Snapshot{}, nil, err
	}
	return Remote(cat, id, data, running)
}

// LatestView is owner's most recent experiment on any instance: this
// instance's unless another started a newer one.
func (ls *Lives) LatestView(ctx context.Context, cat *catalog.Catalog, owner string) (Snapshot, *Offer, bool) {
	l, local := ls.Latest(owner)
	if ls.Shared != nil {
		if id, data, running, ok := ls.Shared.Latest(ctx, owner); ok && (!local || id != l.ID) {
			var p Published
			if json.Unmarshal(data, &p) == nil && (!local || p.Created.After(l.Created)) {
				if s, o, err := Remote(cat, id, data, running); err == nil {
					return s, o, true
				}
			}
		}
	}
	if local {
		return l.Snapshot(), l.Offer(), true
	}
	return Snapshot{}, nil, false
}

func notKept() *problem.Error {
	return problem.NotFound("experiment (the server keeps the latest ones while it runs)")
}

// Do applies c to owner's experiment: here when this instance runs it,
// else on the instance that does.
func (ls *Lives) Do(ctx context.Context, owner string, c Command) error {
	if l, ok := ls.Get(c.ID, owner); ok {
		return l.apply(c)
	}
	if ls.Shared == nil {
		return notKept()
	}
	before, _, err := ls.Shared.Read(ctx, c.ID, owner)
	if errors.Is(err, ErrNotShared) {
		return notKept()
	} else if err != nil {
		return err
	}
	if c.Op == "vote" {
		// The pair voted on must be the one offered (its token), as
		// VoteOn checks here.
		var p Published
		if json.Unmarshal(before, &p) != nil || p.Offer == nil || p.Offer.Token != c.Token {
			return problem.Invalid("pair", "this pair was already voted on or is too old; vote on the one shown now")
		}
	}
	c.Owner = history.OwnerKey(owner)
	if err := ls.Shared.Send(ctx, c); err != nil {
		return err
	}
	// The grid answered next shows the command's effect once the
	// instance running the experiment published it (within a second).
	for deadline := time.Now().Add(commandWait); time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(50 * time.Millisecond):
		}
		if now, _, err := ls.Shared.Read(ctx, c.ID, owner); err != nil || !bytes.Equal(now, before) {
			return nil
		}
	}
	return nil
}

// commandWait bounds how long Do waits to see a command's effect.
const commandWait = time.Second

// Apply runs a command another instance passed on, for an experiment
// this one runs (its owner checked against the command's).
func (ls *Lives) Apply(c Command) error {
	ls.mu.Lock()
	l, ok := ls.byID[c.ID]
	ls.mu.Unlock()
	if !ok || history.OwnerKey(l.Owner) != c.Owner {
		return notKept()
	}
	return l.apply(c)
}

func (l *Live) apply(c Command) error {
	switch c.Op {
	case "stop":
		l.Stop()
		return nil
	case "retry":
		return l.Retry(c.Cell)
	case "vote":
		return l.VoteOn(c.Token, c.Pick)
	}
	return problem.Invalid("op", "no such command")
}
