// Package run holds the runs in flight: each run sends its request
// upstream, decodes the answer into normalized events, keeps an event log
// of browser events (so a reconnecting browser resumes with Last-Event-ID
// without gaps or duplicates), and can be stopped. A run nobody watches is
// cancelled after a grace period, so no tokens are paid for that nobody
// reads.
package run

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/redact"
	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/tokens"
	"github.com/playground-dev/playground/web/units"
	"github.com/playground-dev/playground/web/upstream"
)

// State is where a run is.
type State string

// Run states.
const (
	Running     State = "running"
	Completed   State = "completed"
	Failed      State = "failed"
	Stopped     State = "stopped"
	Interrupted State = "interrupted" // the stream broke off
)

// Spec is what a run needs.
type Spec struct {
	Provider *catalog.Provider
	Model    *catalog.Model
	Request  *request.Request
	BaseURLs []string
	Key      string
	// Owner is the session that started the run; only it may see it.
	Owner string
	// PromptTokens is the pre-send estimate, for costing a run whose
	// upstream reports no usage.
	PromptTokens int
	// Client is the address of the browser that started the run (a /64
	// for IPv6), for the limits per client address.
	Client string
	// OperatorKey marks a run on the operator's key (from the server's
	// environment), for the limit over everyone's runs on them.
	OperatorKey bool
	// Untrusted marks a base URL a person supplied: the run connects
	// through the manager's guarded client, and fails if it has none.
	Untrusted bool
	// KeyHint follows "The API key is missing or wrong." for a 401.
	KeyHint string
	// Origin is kept with the run in the history.
	Origin Origin
}

// Config tunes a Manager.
type Config struct {
	// Grace is how long a run may go unwatched before it is cancelled.
	Grace time.Duration
	// Keep is how long a finished run stays available (inspector, replay).
	Keep time.Duration
	// MaxRuns bounds the runs kept in memory; the oldest finished go first.
	MaxRuns int
	// PollInterval is the background-mode polling interval.
	PollInterval time.Duration
	// MaxTranscript bounds the raw bytes kept per run for the inspector.
	MaxTranscript int
	// SpoolDir, when set, holds the spool file each run's raw transcript
	// goes to past its first 16 KB (spool.go), so an open stream does not
	// hold its whole transcript in memory. Empty keeps transcripts in
	// memory.
	SpoolDir string
	// Limits bound each session's runs (TryStart).
	Limits Limits
	// Log, when set, gets one line per finished run (no prompt, no
	// output, no key).
	Log *slog.Logger
	// Recorder, when set, keeps every run (the history).
	Recorder Recorder
	// Caps bound what one run takes and what all runs hold (caps.go).
	Caps Caps
	// Cluster, when set, shares the runs with the other instances on one
	// database (web/cluster): their events, Stop, and the limits.
	Cluster Cluster
}

// Cluster is what a Manager tells the other instances of its runs
// (web/cluster implements it on PostgreSQL).
type Cluster interface {
	// Launched: r starts here (before its first event).
	Launched(r *Run)
	// Appended: events joined r's log (their IDs set), in order; the
	// events are not changed afterwards.
	Appended(r *Run, evs []Event)
	// Admit counts the run id as going over every instance if the limits
	// allow it, else returns the problem that says which refused it
	// (Refusal). Release counts it no longer going.
	Admit(s Spec, id string, l Limits, now time.Time) error
	Release(id string)
	// SetLast keeps the run owner's page shows after a reload ("": none).
	SetLast(owner, id string)
	// GroupStarted: owner's comparison group has every run it will have
	// (started of its panes started), all Launched before.
	GroupStarted(owner, group string, started int)
}

// Log is a run's browser events as a follower reads them: a *Run of this
// process, or a run another instance runs (web/cluster's Remote).
type Log interface {
	// Since returns the events after id, whether the run is over, and a
	// channel closed when more arrive.
	Since(after int) ([]Event, bool, <-chan struct{})
	// Watch counts a follower until release.
	Watch() (release func())
	// Ended is the outcome of a run that has ended.
	Ended() (Outcome, bool)
	// Pane is the run's pane in its comparison.
	Pane() int
}

// DefaultConfig is a 15 s grace, runs kept 30 minutes, 500 at most.
func DefaultConfig() Config {
	return Config{Grace: 15 * time.Second, Keep: 30 * time.Minute, MaxRuns: 500, PollInterval: time.Second, MaxTranscript: 8 << 20}
}

// Manager starts and finds runs.
type Manager struct {
	cfg     Config
	client  *upstream.Client
	guarded *upstream.Client
	tokens  *tokens.Counter
	// admission counts the runs going, and keeps the limits (limit.go).
	admission admission

	mu   sync.Mutex
	runs map[string]*Run
	// held is the bytes the runs kept hold (Caps.Held).
	held int64
	// finished holds the finished runs still kept, in the order they
	// finished: eviction takes from its front, never scanning the runs.
	finished []*Run
	// last is each owner's run the playground page shows after a reload
	// (SetLast): kept here, not in the session cookie, so starting a run
	// does not re-encrypt the cookie.
	last   map[string]*Run
	closed chan struct{}
	// spool is the file the runs' transcripts spill to (made at the
	// first run: spoolFile).
	spool     *spoolFile
	spoolOnce sync.Once
	wg        sync.WaitGroup
	once      sync.Once
}

// NewManager returns a manager sending through client.
func NewManager(cfg Config, client *upstream.Client, tok *tokens.Counter) *Manager {
	def := DefaultConfig()
	if cfg.Grace <= 0 {
		cfg.Grace = def.Grace
	}
	if cfg.Keep <= 0 {
		cfg.Keep = def.Keep
	}
	if cfg.MaxRuns <= 0 {
		cfg.MaxRuns = def.MaxRuns
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = def.PollInterval
	}
	if cfg.MaxTranscript <= 0 {
		cfg.MaxTranscript = def.MaxTranscript
	}
	cfg.Caps = cfg.Caps.withDefaults()
	return &Manager{cfg: cfg, client: client, tokens: tok, runs: map[string]*Run{}, last: map[string]*Run{}, closed: make(chan struct{}),
		admission: newAdmission(cfg.Limits)}
}

// spoolFile is the manager's spool file, made at the first call; nil
// keeps transcripts in memory (no SpoolDir, or the file cannot be made).
func (m *Manager) spoolFile() *spoolFile {
	m.spoolOnce.Do(func() {
		if m.cfg.SpoolDir == "" {
			return
		}
		f, err := openSpoolFile(m.cfg.SpoolDir)
		if err != nil {
			if m.cfg.Log != nil {
				m.cfg.Log.Warn("no spool file: transcripts stay in memory", "err", err)
			}
			return
		}
		m.spool = f
	})
	return m.spool
}

// WithGuardedClient sets the client for Untrusted runs (one that vets
// every address it connects to) and returns m.
func (m *Manager) WithGuardedClient(c *upstream.Client) *Manager {
	m.guarded = c
	return m
}

// clientFor is the client a run sends through; nil refuses the run.
func (m *Manager) clientFor(s Spec) *upstream.Client {
	if s.Untrusted {
		return m.guarded
	}
	return m.client
}

// Start creates a run and starts it, whatever the limits (TryStart keeps
// them).
func (m *Manager) Start(spec Spec) *Run {
	m.admission.add(spec)
	return m.launch(newID(), spec)
}

// launch starts a run already counted by the admission.
func (m *Manager) launch(id string, spec Spec) *Run {
	ctx, cancel := context.WithCancelCause(context.Background())
	now := time.Now()
	r := &Run{
		ID:           id,
		Spec:         spec,
		Started:      now,
		lastProgress: now,
		state:        Running,
		cancel:       cancel,
		changed:      make(chan struct{}),
		m:            m,
		// The key and the provider's secret header values, in every
		// spelling, wherever the run shows what the provider sent.
		red: redact.New(spec.Key, spec.Request.SecretValues()...),
	}
	r.transcript.file = m.spoolFile()
	r.noWatcher = time.AfterFunc(m.cfg.Grace, r.abandon)
	r.maxTimer = time.AfterFunc(m.cfg.Caps.Duration, r.timedOut)
	if m.cfg.Recorder != nil {
		if err := m.cfg.Recorder.Begin(r); err != nil && m.cfg.Log != nil {
			m.cfg.Log.Warn("could not record the run", "run", r.ID, "err", err)
		}
	}
	if m.cfg.Cluster != nil {
		m.cfg.Cluster.Launched(r)
	}
	m.mu.Lock()
	m.runs[r.ID] = r
	m.evictLocked()
	m.mu.Unlock()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		r.execute(ctx)
	}()
	// Let the run's goroutine send its request now: on a busy machine it
	// would otherwise wait for this one to block, after the caller has
	// rendered and written its answer, and the first token with it.
	runtime.Gosched()
	return r
}

// Get returns the run with id if owner started it.
func (m *Manager) Get(id, owner string) (*Run, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.runs[id]
	if !ok || r.Spec.Owner != owner {
		return nil, false
	}
	return r, true
}

// GroupStarted says owner's comparison group started all the runs it
// will (started of them), for the other instances following it.
func (m *Manager) GroupStarted(owner, group string, started int) {
	if cl := m.cfg.Cluster; cl != nil {
		cl.GroupStarted(owner, group, started)
	}
}

// RunningIDs are the ids of the runs going here.
func (m *Manager) RunningIDs() []string {
	m.mu.Lock()
	runs := make([]*Run, 0, len(m.runs))
	for _, r := range m.runs {
		runs = append(runs, r)
	}
	m.mu.Unlock()
	var ids []string
	for _, r := range runs {
		if r.State() == Running {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// Find returns the run with id whoever started it: for another instance
// that checked the owner itself (a Stop, a watch, web/cluster).
func (m *Manager) Find(id string) (*Run, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.runs[id]
	return r, ok
}

// SetLast makes r the run owner's playground page shows after a reload;
// nil forgets it (the page's form is no longer the run's).
func (m *Manager) SetLast(owner string, r *Run) {
	if cl := m.cfg.Cluster; cl != nil {
		id := ""
		if r != nil {
			id = r.ID
		}
		cl.SetLast(owner, id)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if r == nil {
		delete(m.last, owner)
		return
	}
	m.last[owner] = r
}

// Last is owner's last run (SetLast) while the manager still holds it.
func (m *Manager) Last(owner string) (*Run, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.last[owner]
	return r, ok
}

// Closed is closed when the manager shuts down: streams to browsers end.
func (m *Manager) Closed() <-chan struct{} { return m.closed }

// Close stops every run and waits for their goroutines.
func (m *Manager) Close() {
	m.once.Do(func() {
		close(m.closed)
		m.mu.Lock()
		runs := make([]*Run, 0, len(m.runs))
		for _, r := range m.runs {
			runs = append(runs, r)
		}
		m.mu.Unlock()
		for _, r := range runs {
			r.Stop()
			r.noWatcher.Stop()
		}
		m.wg.Wait()
		// The spool goes (the runs' transcripts are in the history when it
		// keeps them).
		for _, r := range runs {
			r.mu.Lock()
			r.transcript.close()
			r.mu.Unlock()
		}
		m.spoolOnce.Do(func() {}) // none is made after this
		m.spool.close()
	})
}

// evictLocked drops finished runs past Keep, and the oldest finished runs
// while more than MaxRuns are kept (running runs are never dropped).
func (m *Manager) evictLocked() {
	now := time.Now()
	for len(m.finished) > 0 {
		r := m.finished[0]
		_, ended := r.finishedAt()
		if len(m.runs) <= m.cfg.MaxRuns && now.Sub(ended) <= m.cfg.Keep {
			break
		}
		m.dropLocked(r)
		m.finished[0] = nil
		m.finished = m.finished[1:]
	}
}

// ended queues a run that has finished for eviction (its admission was
// given back just before its done event).
func (m *Manager) ended(r *Run) {
	m.mu.Lock()
	m.finished = append(m.finished, r)
	m.mu.Unlock()
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Group returns owner's runs of a comparison, by pane.
func (m *Manager) Group(group, owner string) []*Run {
	if group == "" {
		return nil
	}
	m.mu.Lock()
	var out []*Run
	for _, r := range m.runs {
		if r.Spec.Owner == owner && r.Spec.Origin.Group == group {
			out = append(out, r)
		}
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Spec.Origin.Pane < out[j].Spec.Origin.Pane })
	return out
}

// Since returns the events after id, whether the run is over (no event
// will follow), and a channel closed when more arrive.
func (r *Run) Since(after int) ([]Event, bool, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var evs []Event
	if after < len(r.log) {
		start := max(after, 0)
		evs = r.log[start:]
	}
	return evs, r.state != Running, r.changed
}

// Watch registers a browser following the run; call the returned func when
// it leaves. While nobody watches a running run, it is cancelled after the
// grace period.
func (r *Run) Watch() (release func()) {
	r.mu.Lock()
	r.watchers++
	r.noWatcher.Stop()
	r.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			r.mu.Lock()
			r.watchers--
			if r.watchers == 0 && r.state == Running {
				r.noWatcher.Reset(r.m.cfg.Grace)
			}
			r.mu.Unlock()
		})
	}
}

// Ending is how a run ended, for a program that waits for it (an
// experiment): its output and outcome as the history keeps them, the
// failure the page shows, and the provider's Retry-After advice.
type Ending struct {
	State   State
	Output  Output
	Outcome Outcome
	Failure *ErrorView
	// RetryAfter is the wait a 429 or 503 advised (0: none).
	RetryAfter time.Duration
}

// Wait watches the run until it ends and returns how; when ctx ends first
// it stops the run and still waits for its ending (which is quick: the
// output so far is kept).
func (r *Run) Wait(ctx context.Context) Ending {
	release := r.Watch()
	defer release()
	stopped := false
	for {
		r.mu.Lock()
		e, changed := r.ending, r.changed
		r.mu.Unlock()
		if e != nil {
			return *e
		}
		select {
		case <-changed:
		case <-ctx.Done():
			if !stopped {
				r.Stop()
				stopped = true
			}
			<-changed
		}
	}
}

// Ended returns the outcome of a run that has ended (what its done event
// carries), so a follower renders it without decoding the event.
func (r *Run) Ended() (Outcome, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ending == nil {
		return Outcome{}, false
	}
	return r.ending.Outcome, true
}

// Lease counts a follower on another instance as watching the run for d
// (it renews the lease while it follows), so the run is not abandoned.
func (r *Run) Lease(d time.Duration) {
	time.AfterFunc(d, r.Watch())
}

// Pane is the run's pane in its comparison (0 outside one).
func (r *Run) Pane() int { return r.Spec.Origin.Pane }

// Stop cancels the run; the partial output is kept.
func (r *Run) Stop() { r.cancel(errStopped) }

func (r *Run) abandon() {
	r.mu.Lock()
	unwatched := r.watchers == 0 && r.state == Running
	r.mu.Unlock()
	if unwatched {
		r.cancel(errAbandoned)
	}
}

// append adds browser events and wakes the followers. Past Caps.Log (or
// the manager's Caps.Held) the events are dropped and the run ends,
// except for the events of its ending, which always go in.
func (r *Run) append(evs ...Event) {
	if len(evs) == 0 {
		return
	}
	n := 0
	for i := range evs {
		// A provider that echoes the key (in text, an error, a tool
		// argument) must not put it in front of the browser.
		evs[i].Data = r.red.Bytes(evs[i].Data)
		n += len(evs[i].Data) + len(evs[i].Name) + 16
	}
	caps := r.m.cfg.Caps
	if !r.finishing && r.logBytes+n > caps.Log {
		r.truncate("the run's events exceeded "+units.Bytes(int64(caps.Log)), "run-max-bytes")
		return
	}
	fits := r.hold(n)
	r.logBytes += n
	r.mu.Lock()
	for i := range evs {
		evs[i].ID = len(r.log) + 1
		r.log = append(r.log, evs[i])
	}
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	if cl := r.m.cfg.Cluster; cl != nil {
		cl.Appended(r, evs)
	}
	if !fits && !r.finishing {
		r.truncate("the server holds too much output ("+units.Bytes(caps.Held)+" over all runs)", "runs-max-bytes")
	}
}
