package run

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/playground-dev/playground/web/problem"
)

// Limits bound what may start. Zero means no limit.
type Limits struct {
	// AtOnce is how many runs one session (a run's Owner) may have going.
	AtOnce int
	// PerMinute is how many runs one session may start in a minute (a
	// token bucket that holds PerMinute and refills over a minute).
	PerMinute int
	// ClientAtOnce and ClientPerMinute are the same over every session of
	// one client address (Spec.Client): a fresh cookie costs nothing, an
	// address does.
	ClientAtOnce    int
	ClientPerMinute int
	// OperatorAtOnce bounds the runs on the operator's keys going at
	// once, over everyone: what the server's keys may be spending.
	OperatorAtOnce int
}

// LimitHint is the hint of every refusal by a limit.
const LimitHint = "Limits are set by the server's operator."

// limited is a run refused by a limit: a rate-limited problem, to be tried
// again after retry (0: when a run of the person's finishes).
func limited(retry time.Duration, format string, args ...any) *problem.Error {
	p := problem.Errorf(problem.KindRateLimited, format, args...)
	p.Hint, p.RetryAfter = LimitHint, retry
	return p
}

// maxBuckets bounds a rate limiter's memory; full (idle) buckets are
// dropped first.
const maxBuckets = 10000

// limiter is a token bucket per key, each holding perMinute runs.
type limiter struct {
	perMinute int
	mu        sync.Mutex
	buckets   map[string]*rate.Limiter
}

func newLimiter(perMinute int) *limiter {
	return &limiter{perMinute: perMinute, buckets: map[string]*rate.Limiter{}}
}

// allow takes one run from key's bucket, or says how long to wait. undo
// puts the run back (a later limit refused it).
func (l *limiter) allow(key string, now time.Time) (wait time.Duration, ok bool, undo func()) {
	if l.perMinute <= 0 {
		return 0, true, func() {}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			for k, v := range l.buckets {
				if v.TokensAt(now) >= float64(l.perMinute) {
					delete(l.buckets, k)
				}
			}
		}
		b = rate.NewLimiter(rate.Every(time.Minute/time.Duration(l.perMinute)), l.perMinute)
		if len(l.buckets) < maxBuckets {
			l.buckets[key] = b
		}
	}
	res := b.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d, false, nil
	}
	return 0, true, func() { res.CancelAt(now) }
}

// admission counts the runs going, per session, per client address and on
// the operator's keys, and admits a run only within the limits. Counting
// and checking happen under one lock, so concurrent starts cannot pass a
// limit together.
type admission struct {
	limits            Limits
	sessions, clients *limiter

	mu       sync.Mutex
	owners   map[string]int
	addrs    map[string]int
	operator int
}

func newAdmission(l Limits) admission {
	return admission{limits: l, sessions: newLimiter(l.PerMinute), clients: newLimiter(l.ClientPerMinute),
		owners: map[string]int{}, addrs: map[string]int{}}
}

// add counts a run as going.
func (a *admission) add(s Spec) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.owners[s.Owner]++
	if s.Client != "" {
		a.addrs[s.Client]++
	}
	if s.OperatorKey {
		a.operator++
	}
}

// done counts a run as no longer going.
func (a *admission) done(s Spec) {
	a.mu.Lock()
	defer a.mu.Unlock()
	dec(a.owners, s.Owner)
	if s.Client != "" {
		dec(a.addrs, s.Client)
	}
	if s.OperatorKey {
		a.operator--
	}
}

func dec(m map[string]int, k string) {
	if m[k]--; m[k] <= 0 {
		delete(m, k)
	}
}

// admit counts the run as going if every limit allows it, else says which
// limit refused it.
func (a *admission) admit(s Spec, now time.Time) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	l := a.limits
	if n := a.owners[s.Owner]; l.AtOnce > 0 && s.Owner != "" && n >= l.AtOnce {
		return Refusal(SessionAtOnce, n, 0)
	}
	if n := a.addrs[s.Client]; l.ClientAtOnce > 0 && s.Client != "" && n >= l.ClientAtOnce {
		return Refusal(ClientAtOnce, n, 0)
	}
	if l.OperatorAtOnce > 0 && s.OperatorKey && a.operator >= l.OperatorAtOnce {
		return Refusal(OperatorAtOnce, a.operator, 0)
	}
	d, ok, undo := a.sessions.allow(s.Owner, now)
	if !ok {
		return Refusal(SessionPerMinute, l.PerMinute, d)
	}
	if s.Client != "" {
		if d, ok, _ := a.clients.allow(s.Client, now); !ok {
			undo()
			return Refusal(ClientPerMinute, l.ClientPerMinute, d)
		}
	}
	a.owners[s.Owner]++
	if s.Client != "" {
		a.addrs[s.Client]++
	}
	if s.OperatorKey {
		a.operator++
	}
	return nil
}

// Limit names one of the Limits.
type Limit int

// The limits, as Refusal names them.
const (
	SessionAtOnce Limit = iota
	ClientAtOnce
	OperatorAtOnce
	SessionPerMinute
	ClientPerMinute
)

// Refusal is the problem a run refused by limit gets: n is the runs going
// (the at-once limits) or the limit (per minute), wait how long until one
// more may start (per minute). One home for the words, whether this
// process or the instances together (web/cluster) counted.
func Refusal(limit Limit, n int, wait time.Duration) *problem.Error {
	switch limit {
	case SessionAtOnce:
		return limited(0, "You have %d runs going, the most this server allows at once. Stop one or wait for it to finish.", n)
	case ClientAtOnce:
		return limited(0, "Your network address has %d runs going, the most this server allows at once from one address. Stop one or wait for it to finish.", n)
	case OperatorAtOnce:
		return limited(5*time.Second, "The server's own keys are running %d runs, the most its operator allows at once. Try again in a moment, or enter your own key in Settings.", n)
	case SessionPerMinute:
		return limited(waitFor(wait), "You have started %d runs in the last minute, the most this server allows. Try again in %s.", n, waitFor(wait))
	default:
		return limited(waitFor(wait), "%d runs were started from your network address in the last minute, the most this server allows. Try again in %s.", n, waitFor(wait))
	}
}

// Any reports whether some limit is set.
func (l Limits) Any() bool { return l != Limits{} }

// waitFor rounds a wait up to the next whole second.
func waitFor(d time.Duration) time.Duration { return d.Round(time.Second) + time.Second }

// TryStart starts a run unless a limit refuses it, which it then reports
// as a *problem.Error of kind RateLimited.
func (m *Manager) TryStart(spec Spec) (*Run, error) {
	id := newID()
	if cl := m.cfg.Cluster; cl != nil && m.cfg.Limits.Any() {
		// The instances count together; this process only keeps its own
		// runs' count (admission.add).
		if err := cl.Admit(spec, id, m.cfg.Limits, time.Now()); err != nil {
			return nil, err
		}
		m.admission.add(spec)
		return m.launch(id, spec), nil
	}
	if err := m.admission.admit(spec, time.Now()); err != nil {
		return nil, err
	}
	return m.launch(id, spec), nil
}
