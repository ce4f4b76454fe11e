package experiment

import (
	"context"
	"sync"
	"time"
)

// Cell is one run of an experiment: case Case under pane Pane, repeat
// Repeat (all from 0).
type Cell struct {
	Case, Pane, Repeat int
}

// Job is a cell to run and the provider it runs on: the concurrency limit
// and a Retry-After pause are per provider.
type Job struct {
	Cell     Cell
	Provider string
}

// Attempt is what one try of a job gave: RetryAfter, when not 0, asks for
// the job to be tried again after that wait (a 429 or 503 with
// Retry-After); the provider's other jobs wait as long.
type Attempt[R any] struct {
	Result     R
	RetryAfter time.Duration
	// Throttled is a try refused by the server's own limits before it
	// reached the provider (runs at once, runs a minute): it is tried
	// again after RetryAfter however often, not counted in MaxRetries, as
	// the limit frees up while the experiment runs.
	Throttled bool
}

// Scheduler runs an experiment's jobs.
type Scheduler struct {
	// PerProvider is how many jobs run at once on one provider (default
	// DefaultPerProvider).
	PerProvider int
	// MaxRetries is how many times a job asking to be retried is tried
	// again before its last result stands (default DefaultMaxRetries).
	MaxRetries int
	// MaxWait bounds one Retry-After wait (default DefaultMaxWait): a
	// longer advice is waited for this long.
	MaxWait time.Duration
	// Clock tells the time and waits (the real one when nil); the tests
	// give one of their own.
	Clock Clock
}

// Clock is what a Scheduler reads the time from and waits with.
type Clock interface {
	Now() time.Time
	// Sleep waits d, or until ctx is done (then it returns ctx's error).
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Defaults of a Scheduler.
const (
	DefaultPerProvider = 4
	DefaultMaxRetries  = 3
	DefaultMaxWait     = 2 * time.Minute
	// MaxPerProvider bounds PerProvider however it is configured.
	MaxPerProvider = 32
)

func (s Scheduler) perProvider() int {
	switch {
	case s.PerProvider <= 0:
		return DefaultPerProvider
	case s.PerProvider > MaxPerProvider:
		return MaxPerProvider
	}
	return s.PerProvider
}

func (s Scheduler) clock() Clock {
	if s.Clock == nil {
		return realClock{}
	}
	return s.Clock
}

// Run runs jobs in their order, at most PerProvider at once on each
// provider, calling do for each try and done once for each job that ran
// (with its last try's result). A try asking for a retry pauses its
// provider: no job of it starts until the wait is over. When ctx is done
// no job starts and the tries in flight see ctx done; Run returns the
// jobs that never ran, in order, once every job that started has ended.
func Run[R any](ctx context.Context, s Scheduler, jobs []Job, do func(context.Context, Job) Attempt[R], done func(Job, R)) (unrun []Job) {
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		queues  = map[string]*provQueue{}
		order   []string
		started = make([]bool, len(jobs))
	)
	for i, j := range jobs {
		q := queues[j.Provider]
		if q == nil {
			q = &provQueue{}
			queues[j.Provider] = q
			order = append(order, j.Provider)
		}
		q.jobs = append(q.jobs, i)
	}
	maxRetries := s.MaxRetries
	if maxRetries <= 0 {
		maxRetries = DefaultMaxRetries
	}
	maxWait := s.MaxWait
	if maxWait <= 0 {
		maxWait = DefaultMaxWait
	}
	clock := s.clock()
	var doneMu sync.Mutex // done is called one at a time
	for _, name := range order {
		q := queues[name]
		for range min(s.perProvider(), len(q.jobs)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					mu.Lock()
					if ctx.Err() != nil || len(q.jobs) == 0 {
						mu.Unlock()
						return
					}
					i := q.jobs[0]
					q.jobs = q.jobs[1:]
					started[i] = true
					mu.Unlock()
					if !q.waitPause(ctx, clock) {
						mu.Lock()
						started[i] = false
						mu.Unlock()
						return
					}
					var a Attempt[R]
					for try := 0; ; {
						a = do(ctx, jobs[i])
						if a.RetryAfter <= 0 || (!a.Throttled && try >= maxRetries) || ctx.Err() != nil {
							break
						}
						if !a.Throttled {
							try++
						}
						q.pause(clock.Now(), min(a.RetryAfter, maxWait))
						if !q.waitPause(ctx, clock) {
							break
						}
					}
					doneMu.Lock()
					done(jobs[i], a.Result)
					doneMu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	for i, j := range jobs {
		if !started[i] {
			unrun = append(unrun, j)
		}
	}
	return unrun
}

// provQueue is one provider's jobs waiting, and the time its pause ends.
type provQueue struct {
	jobs []int
	mu   sync.Mutex
	// until is when a Retry-After pause ends (zero: none).
	until time.Time
}

// pause holds the provider's jobs back for d from now (a later end
// stands).
func (q *provQueue) pause(now time.Time, d time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if end := now.Add(d); end.After(q.until) {
		q.until = end
	}
}

// waitPause waits out the provider's pause; false when ctx ended first.
func (q *provQueue) waitPause(ctx context.Context, c Clock) bool {
	for {
		q.mu.Lock()
		left := q.until.Sub(c.Now())
		q.mu.Unlock()
		if left <= 0 {
			return ctx.Err() == nil
		}
		if c.Sleep(ctx, left) != nil {
			return false
		}
	}
}
