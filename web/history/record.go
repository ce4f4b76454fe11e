package history

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/vars"
)

// Recorder writes runs to the store as the run manager reports them
// (run.Recorder) through one background writer that commits what has
// queued up in one transaction: inserts, the latest output of each running
// run, and endings. Begin and Progress only queue, so starting a run waits
// for no database; End waits until its transaction commits, so the history
// has a run complete before the browser hears it is done. The writer also
// marks the live runs as alive, which is how another instance tells a
// crashed one's runs.
type Recorder struct {
	store *Store
	log   *slog.Logger

	mu       sync.Mutex
	inserts  []InsertItem
	pending  map[string]ProgressItem // the latest output of each running run
	finishes []finishItem
	live     map[string]string // running run id -> its prompt text
	wake     chan struct{}
	done     chan struct{}
	stopped  chan struct{}
	once     sync.Once
}

// finishItem is an ending and the channel closed once it is written.
type finishItem struct {
	FinishItem
	written chan struct{}
}

// Timing of the liveness marks: a running run untouched for StaleAfter
// belongs to a process that is gone.
const (
	heartbeatEvery = 20 * time.Second
	StaleAfter     = 90 * time.Second
	insertWithin   = time.Second
)

// NewRecorder starts the recorder's writer; Close stops it.
func NewRecorder(s *Store, log *slog.Logger) *Recorder {
	r := &Recorder{store: s, log: log, pending: map[string]ProgressItem{}, live: map[string]string{},
		wake: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{})}
	go r.loop()
	return r
}

// Close writes what is queued and stops the writer.
func (r *Recorder) Close() {
	r.once.Do(func() {
		close(r.done)
		<-r.stopped
	})
}

func (r *Recorder) loop() {
	defer close(r.stopped)
	beat := time.NewTicker(heartbeatEvery)
	defer beat.Stop()
	sweep := time.NewTicker(time.Minute)
	defer sweep.Stop()
	inserts := time.NewTicker(insertWithin)
	defer inserts.Stop()
	for {
		select {
		case <-r.wake:
			r.writeQueued()
		case <-inserts.C:
			r.writeQueued()
		case <-beat.C:
			r.mu.Lock()
			ids := make([]string, 0, len(r.live))
			for id := range r.live {
				ids = append(ids, id)
			}
			r.mu.Unlock()
			r.warn("could not mark runs alive", r.store.Touch(context.Background(), ids))
		case <-sweep.C:
			_, err := r.store.Recover(context.Background(), time.Now().Add(-StaleAfter))
			r.warn("could not mark stale runs interrupted", err)
		case <-r.done:
			r.writeQueued()
			return
		}
	}
}

// writeQueued commits everything queued in one transaction, and wakes the
// endings that wait for it.
func (r *Recorder) writeQueued() {
	r.mu.Lock()
	ins, prog, fins := r.inserts, r.pending, r.finishes
	r.inserts, r.pending, r.finishes = nil, map[string]ProgressItem{}, nil
	r.mu.Unlock()
	if len(ins) == 0 && len(prog) == 0 && len(fins) == 0 {
		return
	}
	b := Batch{Inserts: ins}
	for _, p := range prog {
		b.Progress = append(b.Progress, p)
	}
	for _, f := range fins {
		b.Finishes = append(b.Finishes, f.FinishItem)
	}
	ctx, cancel := r.store.ownContext(30 * time.Second)
	defer cancel()
	r.warn("could not keep runs in the history", r.store.Write(ctx, b))
	for _, f := range fins {
		close(f.written)
	}
}

func (r *Recorder) kick() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *Recorder) warn(msg string, err error) {
	if err != nil && r.log != nil {
		r.log.Warn(msg, "err", err)
	}
}

// Begin queues the run's insert (status running).
func (r *Recorder) Begin(rn *run.Run) error {
	s := rn.Spec
	e := Entry{
		ID: rn.ID, GroupID: s.Origin.Group, Pane: s.Origin.Pane, Created: rn.Started,
		Provider: s.Provider.ID, ProviderName: s.Provider.Name, Model: s.Model.ID, ModelLabel: s.Model.Label(),
		Style: string(s.Model.Style), Status: run.Running, Prompt: promptText(s),
		Form: s.Origin.Form, Vars: s.Origin.Vars, Curl: s.Origin.Curl,
		Request: Request{Method: s.Request.Method, URL: s.Request.URL(), KeyEnv: s.Request.KeyEnv, Body: string(s.Request.Body)},
	}
	for _, h := range s.Request.Header {
		e.Request.Headers = append(e.Request.Headers, Header{Name: h.Name, Value: h.Value, Secret: h.Secret})
	}
	r.mu.Lock()
	r.inserts = append(r.inserts, InsertItem{Owner: s.Owner, Entry: e})
	r.live[rn.ID] = e.Prompt
	r.mu.Unlock()
	return nil
}

// promptOf is a live run's prompt text, worked out once at Begin.
func (r *Recorder) promptOf(rn *run.Run) string {
	r.mu.Lock()
	p, ok := r.live[rn.ID]
	r.mu.Unlock()
	if !ok {
		p = promptText(rn.Spec)
	}
	return p
}

// promptText is the prompt the history lists and searches: the one sent,
// its variables filled in (the form kept is the template).
func promptText(s run.Spec) string {
	d := s.Origin.Form
	if s.Origin.Vars != nil {
		if filled, err := vars.FillDraft(s.Model.Fields(), d, s.Origin.Vars); err == nil {
			d = filled
		}
	}
	return form.PromptText(s.Model, d)
}

// Progress queues the output so far, replacing what was queued for the
// run and not yet written: the writer writes each run's latest output
// once per batch. The run hands over at most its progress cap of output
// (run.Caps.Progress) while it goes on, so a long answer is not written
// again and again; End writes the whole.
func (r *Recorder) Progress(rn *run.Run, out run.Output) {
	prompt := r.promptOf(rn)
	r.mu.Lock()
	r.pending[rn.ID] = ProgressItem{ID: rn.ID, Prompt: prompt, Output: out}
	r.mu.Unlock()
	r.kick()
}

// End queues how the run ended and waits until it is written (or the
// recorder has stopped).
func (r *Recorder) End(rn *run.Run, rec run.Record) {
	prompt := r.promptOf(rn)
	f := finishItem{FinishItem: FinishItem{ID: rn.ID, Prompt: prompt, Record: rec}, written: make(chan struct{})}
	r.mu.Lock()
	delete(r.pending, rn.ID)
	delete(r.live, rn.ID)
	r.finishes = append(r.finishes, f)
	r.mu.Unlock()
	r.kick()
	select {
	case <-f.written:
	case <-r.stopped:
	}
}
