// Package cluster lets several playground instances on one PostgreSQL
// serve any request of any browser, without sticky routing. It rests on
// PostgreSQL alone (tables and LISTEN/NOTIFY), the database the history
// already needs for several instances, not on a protocol of its own:
//
//   - every run an instance starts is registered (cluster_runs) and its
//     browser events are written, in order, to cluster_events, a batch
//     per few milliseconds in one transaction that also sends a NOTIFY
//     naming the runs it wrote; an instance following a run it does not
//     hold reads them (Follow), woken by that NOTIFY;
//   - Stop is a NOTIFY the instance running the run acts on; a follower
//     on another instance renews a watch lease by NOTIFY, so the run is not
//     abandoned while somebody follows it elsewhere;
//   - each instance marks itself alive (cluster_instances); the runs of
//     an instance silent for StaleAfter are ended interrupted by the first
//     other instance to notice, in the history and in their event logs;
//   - run limits are counted over every instance (cluster_slots) under
//     one advisory lock;
//   - the run each session's page shows after a reload is kept by owner
//     (cluster_last).
//
// A single instance without a database uses none of this.
package cluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/playground-dev/playground/web/experiment"
	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/run"
)

// Timings. A follower's lease outlives two renewals; an instance is dead
// after missing several heartbeats.
const (
	flushWait   = 10 * time.Millisecond
	beatEvery   = 2 * time.Second
	StaleAfter  = 10 * time.Second
	sweepEvery  = 3 * time.Second
	leaseEvery  = 4 * time.Second
	leaseFor    = 12 * time.Second
	idleRemote  = 30 * time.Second
	pruneEvery  = time.Minute
	keepEnded   = 30 * time.Minute
	lookupWait  = 5 * time.Second
	notifyLimit = 7800 // bytes of a NOTIFY payload (PostgreSQL's limit is 8000)
)

// The NOTIFY channels.
const (
	chanEvents = "playground_events"
	chanStop   = "playground_stop"
	chanWatch  = "playground_watch"
	chanModels = "playground_models"
	// chanExperiment carries a command for an experiment (JSON).
	chanExperiment = "playground_experiment"
)

// Interrupted is what a follower and the history are told of a run whose
// instance died.
const Interrupted = "The server running this run stopped; what had arrived is kept."

// Config is what a Node needs.
type Config struct {
	// URL is the PostgreSQL URL the history uses.
	URL string
	// Instance names this process (unique among the instances).
	Instance string
	// Runs are this instance's runs (Stop and leases act on them).
	Runs *run.Manager
	// Interrupt marks a dead instance's runs interrupted in the history
	// before their followers hear it (history.Store.Interrupt).
	Interrupt func(ctx context.Context, ids []string, message string) error
	// Secret keys the hash a client address is kept as (cluster_slots),
	// the same on every instance (the session keys' first; the database
	// URL when unset), so that reading the table does not give the
	// addresses back.
	Secret []byte
	// Forget, when set, drops this instance's cached model lists of a
	// provider another instance refreshed (account.Lister.ForgetToken).
	Forget func(token string)
	Log    *slog.Logger
}

// Node is one instance's part in the cluster.
type Node struct {
	cfg Config
	db  *sql.DB

	mu      sync.Mutex
	runs    []runRow
	events  []eventRow
	ended   []string
	lasts   map[string]string
	remotes map[string]*Remote
	// admitted are the runs whose slots this instance holds.
	admitted map[string]bool
	// experiments are the experiments to publish (Experiments).
	experiments     map[string]experimentRow
	applyExperiment func(experiment.Command) error
	// groups are the comparisons whose runs have all started (GroupStarted).
	groups []groupRow
	// lost are the runs whose events were dropped (requeue): true once
	// their followers were told.
	lost map[string]bool
	// lostOver are the lost runs that ended before their followers were
	// told.
	lostOver map[string]bool
	// maxQueued is maxQueuedBytes (tests lower it).
	maxQueued int
	// waiting are the lookups waiting for a run (its id) or a comparison
	// ("g:" and its group) to be registered, woken by the NOTIFY.
	waiting map[string][]chan struct{}
	wake    chan struct{}
	// want are the followed runs to read (fetchSome; all: every one),
	// fetchWake wakes the reader.
	want      map[string]bool
	wantAll   bool
	fetchWake chan struct{}
	// ready is closed once the listener listens; listening is whether it
	// does now.
	ready     chan struct{}
	readyMu   sync.Once
	listening atomic.Bool
	// aliveSince is since when this instance's marks have all been
	// written (zero after a failed one: steady).
	aliveSince time.Time
	// steadyAfter is how long its marks must have been written before it
	// sweeps others (StaleAfter; tests shorten it).
	steadyAfter time.Duration
	// ctl is a small pool of its own for the marks, the sweep and the
	// leases, which must not wait behind the runs' work.
	ctl *sql.DB

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type runRow struct {
	id, owner, group, provider, model, overrides string
	pane                                         int
}

type groupRow struct {
	group, owner string
	started      int
}

type eventRow struct {
	run  string
	seq  int
	name string
	data []byte
}

// Open connects to the database, makes the cluster's tables and starts the
// node's loops; Close stops them.
func Open(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if len(cfg.Secret) == 0 {
		cfg.Secret = []byte(cfg.URL)
	}
	db, err := sql.Open("pgx", cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	db.SetMaxOpenConns(8)
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	ctl, err := sql.Open("pgx", cfg.URL)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("cluster: %w", err)
	}
	ctl.SetMaxOpenConns(2)
	n := &Node{cfg: cfg, db: db, ctl: ctl, steadyAfter: StaleAfter, lasts: map[string]string{}, remotes: map[string]*Remote{}, admitted: map[string]bool{},
		experiments: map[string]experimentRow{}, lost: map[string]bool{}, lostOver: map[string]bool{}, maxQueued: maxQueuedBytes, waiting: map[string][]chan struct{}{},
		wake: make(chan struct{}, 1), want: map[string]bool{}, fetchWake: make(chan struct{}, 1), ready: make(chan struct{})}
	if err := n.beat(ctx); err != nil {
		db.Close()
		ctl.Close()
		return nil, err
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	for _, loop := range []func(){n.writeLoop, n.listenLoop, n.fetchLoop, n.timedLoop} {
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			loop()
		}()
	}
	select {
	case <-n.ready:
	case <-time.After(5 * time.Second):
		n.cfg.Log.Warn("cluster: not listening yet; following runs of other instances waits for it")
	}
	return n, nil
}

// SetRuns sets the run manager (made after the node, which it is given
// to as its run.Cluster).
func (n *Node) SetRuns(m *run.Manager) {
	n.mu.Lock()
	n.cfg.Runs = m
	n.mu.Unlock()
}

// SetForget sets what drops this instance's cached model lists another
// instance refreshed (account.Lister.ForgetToken).
func (n *Node) SetForget(f func(token string)) {
	n.mu.Lock()
	n.cfg.Forget = f
	n.mu.Unlock()
}

func (n *Node) forgetter() func(string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cfg.Forget
}

func (n *Node) manager() *run.Manager {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cfg.Runs
}

// Close writes what is queued, leaves the cluster (its runs, already
// ended by the manager's Close, are not swept) and stops.
func (n *Node) Close() {
	n.flush()
	n.cancel()
	n.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n.flushCtx(ctx)
	_, _ = n.db.ExecContext(ctx, `DELETE FROM cluster_instances WHERE id = $1`, n.cfg.Instance)
	n.db.Close()
	n.ctl.Close()
}

// schema is the cluster's tables; made under an advisory lock so instances
// starting together do not race on CREATE.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS cluster_instances (id text PRIMARY KEY, alive_at timestamptz NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS cluster_runs (id text PRIMARY KEY, owner text NOT NULL, grp text NOT NULL DEFAULT '',
		pane int NOT NULL DEFAULT 0, instance text NOT NULL, provider text NOT NULL, model text NOT NULL, overrides text NOT NULL DEFAULT '',
		started timestamptz NOT NULL DEFAULT now(), ended_at timestamptz)`,
	`CREATE INDEX IF NOT EXISTS cluster_runs_group ON cluster_runs (grp, owner) WHERE grp <> ''`,
	`CREATE INDEX IF NOT EXISTS cluster_runs_live ON cluster_runs (instance) WHERE ended_at IS NULL`,
	`CREATE INDEX IF NOT EXISTS cluster_runs_ended ON cluster_runs (ended_at) WHERE ended_at IS NOT NULL`,
	`CREATE TABLE IF NOT EXISTS cluster_events (run_id text NOT NULL, seq int NOT NULL, name text NOT NULL, data bytea NOT NULL,
		PRIMARY KEY (run_id, seq))`,
	`CREATE TABLE IF NOT EXISTS cluster_slots (run_id text PRIMARY KEY, instance text NOT NULL, owner text NOT NULL,
		client text NOT NULL, operator boolean NOT NULL, started timestamptz NOT NULL DEFAULT now(), ended_at timestamptz)`,
	`CREATE INDEX IF NOT EXISTS cluster_slots_going ON cluster_slots (started) WHERE ended_at IS NULL`,
	`CREATE INDEX IF NOT EXISTS cluster_slots_started ON cluster_slots (started)`,
	`CREATE TABLE IF NOT EXISTS cluster_last (owner text PRIMARY KEY, run_id text NOT NULL, at timestamptz NOT NULL DEFAULT now())`,
	`CREATE TABLE IF NOT EXISTS cluster_groups (grp text PRIMARY KEY, owner text NOT NULL, started int NOT NULL, at timestamptz NOT NULL DEFAULT now())`,
	`CREATE TABLE IF NOT EXISTS cluster_experiments (id text PRIMARY KEY, owner text NOT NULL, instance text NOT NULL, data bytea NOT NULL,
		running boolean NOT NULL, created timestamptz NOT NULL, updated_at timestamptz NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS cluster_experiments_owner ON cluster_experiments (owner, created)`,
}

func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("cluster: cannot reach the database: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7302)`); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	for _, q := range schema {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("cluster: schema: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("cluster: schema: %w", err)
	}
	return nil
}

// Launched registers a run started here (run.Cluster).
func (n *Node) Launched(r *run.Run) {
	n.mu.Lock()
	n.runs = append(n.runs, runRow{id: r.ID, owner: history.OwnerKey(r.Spec.Owner), group: r.Spec.Origin.Group, pane: r.Spec.Origin.Pane,
		provider: r.Spec.Provider.ID, model: r.Spec.Model.ID, overrides: r.Spec.Origin.Overrides})
	n.mu.Unlock()
	n.kick()
}

// Appended queues a run's new events for the other instances (run.Cluster).
func (n *Node) Appended(r *run.Run, evs []run.Event) {
	n.mu.Lock()
	told, lost := n.lost[r.ID]
	for _, e := range evs {
		if e.Name == "done" {
			n.ended = append(n.ended, r.ID)
			if told {
				delete(n.lost, r.ID)
			} else if lost {
				// Its followers are still to be told (the next batch);
				// forgotten once they are.
				n.lostOver[r.ID] = true
			}
		}
		if !lost {
			n.events = append(n.events, eventRow{run: r.ID, seq: e.ID, name: e.Name, data: e.Data})
		}
	}
	n.mu.Unlock()
	n.kick()
}

// GroupStarted queues owner's comparison group as started with started
// runs (run.Cluster): in the batch after their registrations, so a
// follower that sees it finds them all.
func (n *Node) GroupStarted(owner, group string, started int) {
	n.mu.Lock()
	n.groups = append(n.groups, groupRow{group: group, owner: history.OwnerKey(owner), started: started})
	n.mu.Unlock()
	n.kick()
}

// SetLast keeps the run owner's page shows after a reload ("" for none),
// for the other instances.
func (n *Node) SetLast(owner, id string) {
	n.mu.Lock()
	n.lasts[history.OwnerKey(owner)] = id
	n.mu.Unlock()
	n.kick()
}

func (n *Node) kick() { signal(n.wake) }

// signal wakes the loop waiting on ch (a channel of one), unless it is
// woken already.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// writeLoop writes what is queued, a batch at a time: one transaction
// with its NOTIFY, a few milliseconds after the first item queued.
func (n *Node) writeLoop() {
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-n.wake:
		}
		time.Sleep(flushWait)
		n.flush()
	}
}

func (n *Node) flush() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n.flushCtx(ctx)
}

// batch is what one transaction writes.
type batch struct {
	runs   []runRow
	events []eventRow
	ended  []string
	lasts  map[string]string
	exps   map[string]experimentRow
	groups []groupRow
	// lost are runs whose events were dropped: ended interrupted for
	// their followers.
	lost []string
}

func (b batch) empty() bool {
	return len(b.runs) == 0 && len(b.events) == 0 && len(b.ended) == 0 && len(b.lasts) == 0 && len(b.exps) == 0 && len(b.groups) == 0 && len(b.lost) == 0
}

// maxQueuedBytes bounds the events kept for a retry while the database
// cannot be written; past it they are dropped, and their runs ended
// interrupted for the followers elsewhere once it can (Lost).
const maxQueuedBytes = 64 << 20

// Lost is what a follower elsewhere is told of a run whose events could
// not be shared.
const Lost = "The server running this run could not share its events with the others (their database was away); it goes on there."

// requeue puts a batch that failed back in front of what queued since:
// the small rows always, the events while they fit.
func (n *Node) requeue(b batch) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.runs = append(b.runs, n.runs...)
	n.ended = append(b.ended, n.ended...)
	for k, v := range n.lasts {
		b.lasts[k] = v
	}
	n.lasts = b.lasts
	for k, v := range n.experiments {
		b.exps[k] = v
	}
	n.experiments = b.exps
	n.groups = append(b.groups, n.groups...)
	for _, id := range b.lost {
		n.lost[id] = false
	}
	events := append(b.events, n.events...)
	size := 0
	for _, e := range events {
		size += len(e.data) + len(e.run) + len(e.name) + 16
	}
	if size > n.maxQueued {
		for _, e := range events {
			n.lost[e.run] = false
		}
		events = nil
	}
	n.events = events
}

func (n *Node) flushCtx(ctx context.Context) {
	n.mu.Lock()
	b := batch{runs: n.runs, events: n.events, ended: n.ended, lasts: n.lasts, exps: n.experiments, groups: n.groups}
	n.runs, n.events, n.ended, n.lasts, n.experiments, n.groups = nil, nil, nil, map[string]string{}, map[string]experimentRow{}, nil
	for id, told := range n.lost {
		if !told {
			b.lost = append(b.lost, id)
			n.lost[id] = true
		}
	}
	n.mu.Unlock()
	if b.empty() {
		return
	}
	err := n.write(ctx, b)
	if err == nil {
		n.mu.Lock()
		for _, id := range b.lost {
			if n.lostOver[id] {
				delete(n.lost, id)
				delete(n.lostOver, id)
			}
		}
		n.mu.Unlock()
		return
	}
	n.cfg.Log.Warn("cluster: could not share runs with the other instances; retrying", "err", err)
	// Kept for the next batch, in order, so no follower sees a gap.
	n.requeue(b)
	time.AfterFunc(200*time.Millisecond, n.kick)
}

func (n *Node) write(ctx context.Context, b batch) error {
	runs, events, ended, lasts, exps := b.runs, b.events, b.ended, b.lasts, b.exps
	tx, err := n.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if len(runs) > 0 {
		ids, owners, groups, providers, models, overrides := make([]string, len(runs)), make([]string, len(runs)), make([]string, len(runs)),
			make([]string, len(runs)), make([]string, len(runs)), make([]string, len(runs))
		panes := make([]int32, len(runs))
		for i, r := range runs {
			ids[i], owners[i], groups[i], providers[i], models[i], overrides[i], panes[i] = r.id, r.owner, r.group, r.provider, r.model, r.overrides, int32(r.pane)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO cluster_runs (id, owner, grp, pane, provider, model, overrides, instance)
			SELECT u.*, $8 FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[]) AS u
			ON CONFLICT (id) DO NOTHING`, ids, owners, groups, panes, providers, models, overrides, n.cfg.Instance); err != nil {
			return err
		}
	}
	named := map[string]bool{}
	for _, r := range runs {
		// A lookup waiting for it is woken (the run and its comparison).
		named[r.id] = true
		if r.group != "" {
			named["g:"+r.group] = true
		}
	}
	if len(events) > 0 {
		rids, names := make([]string, len(events)), make([]string, len(events))
		seqs := make([]int32, len(events))
		datas := make([][]byte, len(events))
		for i, e := range events {
			rids[i], seqs[i], names[i], datas[i] = e.run, int32(e.seq), e.name, e.data
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO cluster_events (run_id, seq, name, data)
			SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::bytea[]) ON CONFLICT DO NOTHING`, rids, seqs, names, datas); err != nil {
			return err
		}
	}
	if len(ended) > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE cluster_runs SET ended_at = now() WHERE id = ANY($1) AND ended_at IS NULL`, ended); err != nil {
			return err
		}
	}
	for owner, id := range lasts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO cluster_last (owner, run_id, at) VALUES ($1, $2, now())
			ON CONFLICT (owner) DO UPDATE SET run_id = EXCLUDED.run_id, at = EXCLUDED.at`, owner, id); err != nil {
			return err
		}
	}
	if err := writeExperiments(ctx, tx, n.cfg.Instance, exps); err != nil {
		return err
	}
	for _, id := range b.lost {
		// Its followers elsewhere are told it cannot be followed from
		// here on (its events after a gap would never be taken).
		for _, e := range run.InterruptedEnding(Lost) {
			if _, err := tx.ExecContext(ctx, `INSERT INTO cluster_events (run_id, seq, name, data)
				SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3 FROM cluster_events WHERE run_id = $1`, id, e.Name, e.Data); err != nil {
				return err
			}
		}
		named[id] = true
	}
	for _, g := range b.groups {
		if _, err := tx.ExecContext(ctx, `INSERT INTO cluster_groups (grp, owner, started) VALUES ($1, $2, $3)
			ON CONFLICT (grp) DO UPDATE SET started = EXCLUDED.started`, g.group, g.owner, g.started); err != nil {
			return err
		}
		named["g:"+g.group] = true
	}
	if err := notifyBatch(ctx, tx, events, named); err != nil {
		return err
	}
	return tx.Commit()
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// notifyIDs sends ids on channel, as many NOTIFYs as their length needs.
func notifyIDs(ctx context.Context, db execer, channel string, ids []string) error {
	for len(ids) > 0 {
		var b strings.Builder
		i := 0
		for ; i < len(ids) && b.Len()+len(ids[i])+1 <= notifyLimit; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(ids[i])
		}
		if i == 0 {
			ids = ids[1:] // an id longer than a payload is not ours; skip it
			continue
		}
		if _, err := db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, channel, b.String()); err != nil {
			return err
		}
		ids = ids[i:]
	}
	return nil
}

// listenLoop listens for the cluster's NOTIFYs on a connection of its own,
// reconnecting when it breaks (and then reading every followed run again,
// in case a NOTIFY was missed).
func (n *Node) listenLoop() {
	wait := 100 * time.Millisecond
	for n.ctx.Err() == nil {
		err := n.listen()
		if n.ctx.Err() != nil {
			return
		}
		n.cfg.Log.Warn("cluster: listening broke off; reconnecting", "err", err)
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

func (n *Node) listen() error {
	conn, err := pgx.Connect(n.ctx, n.cfg.URL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	for _, ch := range []string{chanEvents, chanCarried, chanStop, chanWatch, chanModels, chanExperiment} {
		if _, err := conn.Exec(n.ctx, "LISTEN "+ch); err != nil {
			return err
		}
	}
	n.listening.Store(true)
	defer n.listening.Store(false)
	n.readyMu.Do(func() { close(n.ready) })
	n.fetchAll() // anything written while not listening
	for {
		note, err := conn.WaitForNotification(n.ctx)
		if err != nil {
			return err
		}
		var ids []string
		if note.Channel != chanCarried {
			ids = strings.Split(note.Payload, ",")
		}
		switch note.Channel {
		case chanEvents:
			n.wakeWaiting(ids)
			n.fetchSome(ids)
		case chanCarried:
			n.takeCarried(note.Payload)
		case chanStop:
			if m := n.manager(); m != nil {
				for _, id := range ids {
					if r, ok := m.Find(id); ok {
						r.Stop()
					}
				}
			}
		case chanWatch:
			if m := n.manager(); m != nil {
				for _, id := range ids {
					if r, ok := m.Find(id); ok {
						r.Lease(leaseFor)
					}
				}
			}
		case chanExperiment:
			// Off the listener: a vote on an ended experiment writes the
			// history.
			go n.experimentCommand(note.Payload)
		case chanModels:
			if f := n.forgetter(); f != nil {
				f(note.Payload)
			}
		}
	}
}

// wakeWaiting wakes the lookups waiting for ids.
func (n *Node) wakeWaiting(ids []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, id := range ids {
		for _, ch := range n.waiting[id] {
			close(ch)
		}
		delete(n.waiting, id)
	}
}

// waiter is a lookup waiting for its key to be named by a NOTIFY
// (wakeWaiting): made before the lookup reads, so a NOTIFY that comes
// between the read and the wait is not missed.
type waiter struct {
	n   *Node
	key string
	ch  chan struct{}
}

func (n *Node) waiter(key string) *waiter {
	w := &waiter{n: n, key: key, ch: make(chan struct{})}
	n.mu.Lock()
	n.waiting[key] = append(n.waiting[key], w.ch)
	n.mu.Unlock()
	return w
}

// wait waits for the NOTIFY, at most d, then forgets the waiter.
func (w *waiter) wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-w.ch:
	case <-t.C:
	case <-ctx.Done():
	}
	w.forget()
}

func (w *waiter) forget() {
	n := w.n
	n.mu.Lock()
	defer n.mu.Unlock()
	chans := n.waiting[w.key]
	if i := slices.Index(chans, w.ch); i >= 0 {
		n.waiting[w.key] = slices.Delete(chans, i, i+1)
		if len(n.waiting[w.key]) == 0 {
			delete(n.waiting, w.key)
		}
	}
}

// fetchSome asks the reader for the runs named that this node follows
// (it never blocks: the listener must not wait behind reads).
func (n *Node) fetchSome(ids []string) {
	n.mu.Lock()
	added := false
	for _, id := range ids {
		if _, ok := n.remotes[id]; ok {
			n.want[id], added = true, true
		}
	}
	n.mu.Unlock()
	if added {
		n.kickFetch()
	}
}

// fetchAll asks the reader for every followed run.
func (n *Node) fetchAll() {
	n.mu.Lock()
	n.wantAll = true
	n.mu.Unlock()
	n.kickFetch()
}

func (n *Node) kickFetch() { signal(n.fetchWake) }

// fetchLoop reads the new events of the runs asked for, those asked for
// together in one query.
func (n *Node) fetchLoop() {
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-n.fetchWake:
		}
		n.mu.Lock()
		want := make([]string, 0, len(n.want))
		if n.wantAll {
			for id := range n.remotes {
				want = append(want, id)
			}
		} else {
			for id := range n.want {
				want = append(want, id)
			}
		}
		n.want, n.wantAll = map[string]bool{}, false
		n.mu.Unlock()
		_ = n.read(n.ctx, want)
	}
}

// read fetches what the remotes ids lack and hands it to them.
func (n *Node) read(ctx context.Context, ids []string) error {
	seen := map[string]bool{}
	var rs []*Remote
	var rids []string
	var afters []int32
	n.mu.Lock()
	for _, id := range ids {
		if r := n.remotes[id]; r != nil && !seen[id] {
			seen[id] = true
			rs = append(rs, r)
		}
	}
	n.mu.Unlock()
	for _, r := range rs {
		rids = append(rids, r.id)
		afters = append(afters, int32(r.length()))
	}
	if len(rids) == 0 {
		return nil
	}
	rows, err := n.db.QueryContext(ctx, `SELECT e.run_id, e.seq, e.name, e.data FROM cluster_events e
		JOIN unnest($1::text[], $2::int[]) AS f(run_id, after) ON e.run_id = f.run_id AND e.seq > f.after
		ORDER BY e.run_id, e.seq`, rids, afters)
	retry := func(err error) {
		n.cfg.Log.Warn("cluster: could not read the events of runs on other instances; again shortly", "err", err)
		time.AfterFunc(200*time.Millisecond, func() {
			if n.ctx.Err() == nil {
				n.fetchSome(rids)
			}
		})
	}
	if err != nil {
		retry(err)
		return err
	}
	defer rows.Close()
	byID := map[string]*Remote{}
	for _, r := range rs {
		byID[r.id] = r
	}
	got := map[*Remote][]run.Event{}
	for rows.Next() {
		var id string
		var e run.Event
		if err := rows.Scan(&id, &e.ID, &e.Name, &e.Data); err != nil {
			retry(err)
			return err
		}
		if r := byID[id]; r != nil {
			got[r] = append(got[r], e)
		}
	}
	err = rows.Err()
	if err != nil {
		retry(err) // what was read is kept; the rest comes again
	}
	for r, evs := range got {
		r.add(evs)
	}
	return err
}

// timedLoop beats, sweeps the dead instances' runs, renews the leases of
// followed runs, drops idle remotes and prunes old rows.
func (n *Node) timedLoop() {
	beat := time.NewTicker(beatEvery)
	defer beat.Stop()
	sweep := time.NewTicker(sweepEvery)
	defer sweep.Stop()
	lease := time.NewTicker(leaseEvery)
	defer lease.Stop()
	prune := time.NewTicker(pruneEvery)
	defer prune.Stop()
	for {
		var err error
		var what string
		select {
		case <-n.ctx.Done():
			return
		case <-beat.C:
			what, err = "mark this instance alive", n.beat(n.ctx)
		case <-sweep.C:
			what, err = "end the runs of a stopped instance", n.Sweep(n.ctx)
		case <-lease.C:
			what, err = "renew the watch of runs followed here", n.renew(n.ctx)
		case <-prune.C:
			what, err = "prune the shared runs", n.prune(n.ctx)
		}
		if err != nil && n.ctx.Err() == nil {
			n.cfg.Log.Warn("cluster: could not "+what, "err", err)
		}
	}
}

// beat marks this instance alive (on the control pool, so a busy main
// pool does not make it late), then fences its runs.
func (n *Node) beat(ctx context.Context) error {
	_, err := n.ctl.ExecContext(ctx, `INSERT INTO cluster_instances (id, alive_at) VALUES ($1, clock_timestamp())
		ON CONFLICT (id) DO UPDATE SET alive_at = clock_timestamp()`, n.cfg.Instance)
	n.mu.Lock()
	switch {
	case err != nil:
		n.aliveSince = time.Time{}
	case n.aliveSince.IsZero():
		n.aliveSince = time.Now()
	}
	n.mu.Unlock()
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	return n.fence(ctx)
}

// Sweep ends the runs of instances silent for StaleAfter: interrupted in
// the history, then in their event logs, so a follower is told. Each run
// is claimed, ended and notified in one transaction, so one instance ends
// it, and an error leaves it for the next sweep. An instance that has not
// itself been marking itself alive for StaleAfter (its database was away:
// the others' marks may be late for the same reason) sweeps nothing yet.
func (n *Node) Sweep(ctx context.Context) error {
	if !n.steady() {
		return nil
	}
	tx, err := n.ctl.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	dead := `NOT EXISTS (SELECT 1 FROM cluster_instances i WHERE i.id = %s.instance AND i.alive_at > clock_timestamp() - make_interval(secs => $2))`
	rows, err := tx.QueryContext(ctx, `UPDATE cluster_runs SET ended_at = now() WHERE ended_at IS NULL AND instance <> $1 AND `+
		fmt.Sprintf(dead, "cluster_runs")+` RETURNING id`, n.cfg.Instance, StaleAfter.Seconds())
	if err != nil {
		return err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, table := range []string{"cluster_slots", "cluster_experiments"} {
		set, open := "ended_at = now()", "ended_at IS NULL"
		if table == "cluster_experiments" {
			set, open = "running = false", "running"
		}
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET `+set+` WHERE `+open+` AND instance <> $1 AND `+fmt.Sprintf(dead, table),
			n.cfg.Instance, StaleAfter.Seconds()); err != nil {
			return err
		}
	}
	if len(ids) > 0 {
		// The history first: a page opened at the ending finds the run
		// over (marking it twice, should this transaction fail, is
		// harmless).
		if n.cfg.Interrupt != nil {
			if err := n.cfg.Interrupt(ctx, ids, Interrupted); err != nil {
				return fmt.Errorf("the history: %w", err)
			}
		}
		for _, id := range ids {
			for _, e := range run.InterruptedEnding(Interrupted) {
				if _, err := tx.ExecContext(ctx, `INSERT INTO cluster_events (run_id, seq, name, data)
					SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3 FROM cluster_events WHERE run_id = $1`, id, e.Name, e.Data); err != nil {
					return err
				}
			}
		}
		if err := notifyIDs(ctx, tx, chanEvents, ids); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if len(ids) > 0 {
		n.cfg.Log.Info("cluster: ended the runs of a stopped instance", "runs", len(ids))
	}
	return nil
}

// steady reports whether this instance has marked itself alive without a
// miss for StaleAfter.
func (n *Node) steady() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return !n.aliveSince.IsZero() && time.Since(n.aliveSince) >= n.steadyAfter
}

// fence ends here, interrupted, the runs another instance ended while
// this one still ran them (it swept this one, which was late: its
// database away, its machine stalled), so this instance's browsers are
// told what the others were; and it counts as over the slots of runs no
// longer going here (a Release that failed).
func (n *Node) fence(ctx context.Context) error {
	m := n.manager()
	if m == nil {
		return nil
	}
	ids := m.RunningIDs()
	if ids == nil {
		ids = []string{} // nil is NULL: NOT (x = ANY(NULL)) matches nothing
	}
	if len(ids) > 0 {
		rows, err := n.ctl.QueryContext(ctx, `SELECT id FROM cluster_runs WHERE instance = $1 AND ended_at IS NOT NULL AND id = ANY($2)`,
			n.cfg.Instance, ids)
		if err != nil {
			return err
		}
		var swept []string
		for rows.Next() {
			var id string
			if rows.Scan(&id) == nil {
				swept = append(swept, id)
			}
		}
		rows.Close()
		for _, id := range swept {
			if r, ok := m.Find(id); ok {
				n.cfg.Log.Warn("cluster: another instance ended a run of this one (it found this one silent); ending it here too", "run", id)
				r.Interrupt(Interrupted)
			}
		}
	}
	_, err := n.ctl.ExecContext(ctx, `UPDATE cluster_slots SET ended_at = now() WHERE instance = $1 AND ended_at IS NULL
		AND started < clock_timestamp() - interval '10 seconds' AND NOT (run_id = ANY($2))`, n.cfg.Instance, ids)
	return err
}

// renew tells the instances running the runs followed here that they are
// watched, and drops the remotes nobody has followed for a while.
func (n *Node) renew(ctx context.Context) error {
	now := time.Now()
	var ids []string
	n.mu.Lock()
	for id, r := range n.remotes {
		watched, idle := r.idle(now)
		switch {
		case watched:
			ids = append(ids, id)
		case idle > idleRemote:
			delete(n.remotes, id)
		}
	}
	n.mu.Unlock()
	return notifyIDs(ctx, n.ctl, chanWatch, ids)
}

func (n *Node) prune(ctx context.Context) error {
	keep := keepEnded.Seconds()
	for _, q := range []string{
		`DELETE FROM cluster_events e USING cluster_runs r WHERE e.run_id = r.id AND r.ended_at < now() - make_interval(secs => $1)`,
		`DELETE FROM cluster_runs WHERE ended_at < now() - make_interval(secs => $1)`,
		`DELETE FROM cluster_last WHERE at < now() - make_interval(secs => $1)`,
		`DELETE FROM cluster_groups WHERE at < now() - make_interval(secs => $1)`,
		`DELETE FROM cluster_experiments WHERE NOT running AND updated_at < now() - make_interval(secs => $1)`,
		`DELETE FROM cluster_slots WHERE ended_at IS NOT NULL AND started < now() - make_interval(secs => 120) AND $1 > 0`,
		`DELETE FROM cluster_instances WHERE alive_at < now() - make_interval(secs => $1)`,
	} {
		if _, err := n.db.ExecContext(ctx, q, keep); err != nil {
			return err
		}
	}
	return nil
}

// ErrNotListening: the instance does not hear the others (its listening
// connection to PostgreSQL is down; it reconnects).
var ErrNotListening = errors.New("not listening to the other instances (reconnecting to PostgreSQL)")

// Ready says whether this instance takes part in the cluster: it hears
// the others and can write (its readiness, /readyz).
func (n *Node) Ready(ctx context.Context) error {
	if !n.listening.Load() {
		return ErrNotListening
	}
	return n.db.PingContext(ctx)
}

// Stop asks the instance running run id to stop it (the caller checked
// the owner: Lookup).
func (n *Node) Stop(ctx context.Context, id string) error {
	_, err := n.db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, chanStop, id)
	return err
}

// ModelsRefreshed tells the other instances to drop their cached model
// list named token (account.Lister's Forgotten), in the background.
func (n *Node) ModelsRefreshed(token string) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := n.db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, chanModels, token); err != nil {
			n.cfg.Log.Warn("cluster: could not tell the other instances of a refreshed model list", "err", err)
		}
	}()
}

// Info is what the cluster knows of a run: enough for its panel.
type Info struct {
	ID, Group, Provider, Model string
	// Overrides names what a comparison's pane overrides (run.Origin).
	Overrides string
	Pane      int
	Ended     bool
	// Local: a run of this instance (only its ID is set).
	Local bool
}

// ErrNotFound: no instance has such a run of this owner.
var ErrNotFound = errors.New("cluster: no such run")

// Lookup finds owner's run id on any instance, waiting up to 5 s for one
// just started (its registration is written within milliseconds, later
// on a saturated machine).
func (n *Node) Lookup(ctx context.Context, id, owner string) (Info, error) {
	deadline := time.Now().Add(lookupWait)
	for {
		var in Info
		var ended sql.NullTime
		w := n.waiter(id)
		err := n.db.QueryRowContext(ctx, `SELECT id, grp, pane, provider, model, overrides, ended_at FROM cluster_runs WHERE id = $1 AND owner = $2`,
			id, history.OwnerKey(owner)).Scan(&in.ID, &in.Group, &in.Pane, &in.Provider, &in.Model, &in.Overrides, &ended)
		if err == nil {
			w.forget()
			in.Ended = ended.Valid
			return in, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			w.forget()
			return Info{}, err
		}
		if time.Now().After(deadline) {
			w.forget()
			return Info{}, ErrNotFound
		}
		// Woken by the NOTIFY of its registration (looked for again every
		// 250 ms, should the listener be reconnecting).
		w.wait(ctx, min(250*time.Millisecond, time.Until(deadline)))
		if ctx.Err() != nil {
			return Info{}, ctx.Err()
		}
	}
}

// Group is owner's runs of a comparison, on any instance, by pane,
// waiting up to 5 s for a comparison just started.
func (n *Node) Group(ctx context.Context, group, owner string) ([]Info, error) {
	deadline := time.Now().Add(lookupWait)
	for {
		w := n.waiter("g:" + group)
		out, err := n.group(ctx, group, owner)
		if err != nil || len(out) > 0 || time.Now().After(deadline) {
			w.forget()
			return out, err
		}
		w.wait(ctx, min(250*time.Millisecond, time.Until(deadline)))
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
}

func (n *Node) group(ctx context.Context, group, owner string) ([]Info, error) {
	// Only once every pane that will run has started (GroupStarted): a
	// follower must not take the first panes for all of them.
	var started int
	err := n.db.QueryRowContext(ctx, `SELECT started FROM cluster_groups WHERE grp = $1 AND owner = $2`, group, history.OwnerKey(owner)).Scan(&started)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rows, err := n.db.QueryContext(ctx, `SELECT id, grp, pane, provider, model, overrides, ended_at FROM cluster_runs WHERE grp = $1 AND owner = $2 ORDER BY pane`,
		group, history.OwnerKey(owner))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Info
	for rows.Next() {
		var in Info
		var ended sql.NullTime
		if err := rows.Scan(&in.ID, &in.Group, &in.Pane, &in.Provider, &in.Model, &in.Overrides, &ended); err != nil {
			return nil, err
		}
		in.Ended = ended.Valid
		out = append(out, in)
	}
	return out, rows.Err()
}

// Last is the run owner's page shows after a reload, from whichever
// instance started it; ErrNotFound when there is none (or it is gone).
func (n *Node) Last(ctx context.Context, owner string) (Info, error) {
	n.mu.Lock()
	id, queued := n.lasts[history.OwnerKey(owner)]
	n.mu.Unlock()
	if queued {
		// Set here and not written yet: this instance's word is the
		// newest.
		if id == "" {
			return Info{}, ErrNotFound
		}
		return Info{ID: id, Local: true}, nil
	}
	err := n.db.QueryRowContext(ctx, `SELECT run_id FROM cluster_last WHERE owner = $1`, history.OwnerKey(owner)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) || err == nil && id == "" {
		return Info{}, ErrNotFound
	}
	if err != nil {
		return Info{}, err
	}
	// Registered with the same batch as cluster_last: no wait for it.
	var in Info
	var ended sql.NullTime
	err = n.db.QueryRowContext(ctx, `SELECT id, grp, pane, provider, model, overrides, ended_at FROM cluster_runs WHERE id = $1 AND owner = $2`,
		id, history.OwnerKey(owner)).Scan(&in.ID, &in.Group, &in.Pane, &in.Provider, &in.Model, &in.Overrides, &ended)
	if errors.Is(err, sql.ErrNoRows) {
		return Info{}, ErrNotFound
	}
	in.Ended = ended.Valid
	return in, err
}
