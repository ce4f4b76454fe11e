package experiment

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeClock's Sleep moves its time on at once, and records each wait.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.slept = append(c.slept, d)
	return nil
}

func jobsOf(provider string, n int) []Job {
	var out []Job
	for i := range n {
		out = append(out, Job{Cell: Cell{Case: i}, Provider: provider})
	}
	return out
}

// TestRunKeepsTheLimitPerProvider: with 3 at once per provider, each of
// two providers has exactly 3 tries in flight at its busiest, and every
// job is done once.
func TestRunKeepsTheLimitPerProvider(t *testing.T) {
	jobs := append(jobsOf("a", 12), jobsOf("b", 12)...)
	var mu sync.Mutex
	inFlight, most := map[string]int{}, map[string]int{}
	full := map[string]chan struct{}{"a": make(chan struct{}), "b": make(chan struct{})}
	var doneCells []string
	unrun := Run(context.Background(), Scheduler{PerProvider: 3}, jobs, func(ctx context.Context, j Job) Attempt[string] {
		mu.Lock()
		inFlight[j.Provider]++
		most[j.Provider] = max(most[j.Provider], inFlight[j.Provider])
		if inFlight[j.Provider] == 3 {
			select {
			case <-full[j.Provider]:
			default:
				close(full[j.Provider])
			}
		}
		mu.Unlock()
		<-full[j.Provider] // the first tries wait until 3 are in flight
		mu.Lock()
		inFlight[j.Provider]--
		mu.Unlock()
		return Attempt[string]{Result: fmt.Sprint(j.Provider, j.Cell.Case)}
	}, func(j Job, r string) { doneCells = append(doneCells, r) })
	if len(unrun) != 0 {
		t.Errorf("unrun %v", unrun)
	}
	if most["a"] != 3 || most["b"] != 3 {
		t.Errorf("most in flight %v, want 3 each", most)
	}
	slices.Sort(doneCells)
	if len(doneCells) != 24 || len(slices.Compact(doneCells)) != 24 {
		t.Errorf("done %d cells: %v", len(doneCells), doneCells)
	}
}

// TestRunWaitsRetryAfter: a try answered with Retry-After is tried again
// after the wait, its provider's next job starts only then, another
// provider is not held, a wait is capped at MaxWait and the tries at
// MaxRetries.
func TestRunWaitsRetryAfter(t *testing.T) {
	clock := &fakeClock{now: time.Unix(0, 0)}
	type try struct {
		job string
		at  time.Duration
	}
	var mu sync.Mutex
	var tries []try
	results := map[string]string{}
	jobs := []Job{{Cell{Case: 0}, "a"}, {Cell{Case: 1}, "a"}, {Cell{Case: 2}, "b"}, {Cell{Case: 3}, "c"}}
	Run(context.Background(), Scheduler{PerProvider: 1, MaxRetries: 2, MaxWait: time.Minute, Clock: clock}, jobs,
		func(ctx context.Context, j Job) Attempt[string] {
			mu.Lock()
			defer mu.Unlock()
			name := fmt.Sprint(j.Provider, j.Cell.Case)
			n := 0
			for _, tr := range tries {
				if tr.job == name {
					n++
				}
			}
			tries = append(tries, try{name, clock.Now().Sub(time.Unix(0, 0))})
			switch {
			case name == "a0" && n == 0:
				return Attempt[string]{Result: "busy", RetryAfter: 5 * time.Second}
			case name == "c3": // always busy, for an hour
				return Attempt[string]{Result: fmt.Sprint("busy ", n), RetryAfter: time.Hour}
			}
			return Attempt[string]{Result: fmt.Sprint("ok ", n)}
		},
		func(j Job, r string) { results[fmt.Sprint(j.Provider, j.Cell.Case)] = r })
	want := map[string]string{"a0": "ok 1", "a1": "ok 0", "b2": "ok 0", "c3": "busy 2"}
	for k, v := range want {
		if results[k] != v {
			t.Errorf("%s ended with %q, want %q (all: %v)", k, results[k], v, results)
		}
	}
	count := map[string]int{}
	for _, tr := range tries {
		count[tr.job]++
	}
	if count["a0"] != 2 || count["c3"] != 3 {
		t.Errorf("tries %v: a0 twice, c3 three times (MaxRetries 2)", count)
	}
	// a1 starts after a0's retry: a's pause held it.
	var a0Retry, a1 int = -1, -1
	for i, tr := range tries {
		switch {
		case tr.job == "a0" && a0Retry < 0 && i > 0 && slices.ContainsFunc(tries[:i], func(x try) bool { return x.job == "a0" }):
			a0Retry = i
		case tr.job == "a1" && a1 < 0:
			a1 = i
		}
	}
	if a0Retry < 0 || a1 < a0Retry {
		t.Errorf("a1 started before a0's retry: %v", tries)
	}
	// Only a and c waited (b was never held): a's 5 s, and c's hour
	// capped at a minute twice.
	slept := slices.Clone(clock.slept)
	slices.Sort(slept)
	if !slices.Equal(slept, []time.Duration{5 * time.Second, time.Minute, time.Minute}) {
		t.Errorf("slept %v, want 5s 1m 1m", clock.slept)
	}
}

// TestRunStops: once the context is done no job starts; the ones that
// never ran are returned in order and are never done.
func TestRunStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	jobs := jobsOf("a", 10)
	var done []int
	unrun := Run(ctx, Scheduler{PerProvider: 1}, jobs, func(ctx context.Context, j Job) Attempt[int] {
		if j.Cell.Case == 2 {
			cancel() // Stop while the third runs
		}
		return Attempt[int]{Result: j.Cell.Case}
	}, func(j Job, r int) { done = append(done, r) })
	if !slices.Equal(done, []int{0, 1, 2}) {
		t.Errorf("done %v, want 0 1 2", done)
	}
	var left []int
	for _, j := range unrun {
		left = append(left, j.Cell.Case)
	}
	if !slices.Equal(left, []int{3, 4, 5, 6, 7, 8, 9}) {
		t.Errorf("unrun %v", left)
	}
}

// TestRunStopsAWait: Stop during a Retry-After wait ends the wait; the job
// keeps its last result.
func TestRunStopsAWait(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var got []string
	Run(ctx, Scheduler{}, jobsOf("a", 1), func(ctx context.Context, j Job) Attempt[string] {
		cancel()
		return Attempt[string]{Result: "busy", RetryAfter: time.Hour}
	}, func(j Job, r string) { got = append(got, r) })
	if !slices.Equal(got, []string{"busy"}) {
		t.Errorf("got %v", got)
	}
}

func TestPerProviderBounds(t *testing.T) {
	for _, tc := range []struct{ in, want int }{{0, DefaultPerProvider}, {-1, DefaultPerProvider}, {1, 1}, {1000, MaxPerProvider}} {
		if got := (Scheduler{PerProvider: tc.in}).perProvider(); got != tc.want {
			t.Errorf("PerProvider %d: %d, want %d", tc.in, got, tc.want)
		}
	}
}
