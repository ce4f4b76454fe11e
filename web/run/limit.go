package run

import (
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits bound what one session (a run's Owner) may start. Zero means no
// limit.
type Limits struct {
	// AtOnce is how many of its runs may be running at the same time.
	AtOnce int
	// PerMinute is how many runs it may start in a minute (a token
	// bucket that holds PerMinute and refills over a minute).
	PerMinute int
}

// LimitError is a run refused by a limit.
type LimitError struct {
	Message    string
	RetryAfter time.Duration
}

func (e *LimitError) Error() string { return e.Message }

// maxBuckets bounds the rate limiter's memory; full (idle) buckets are
// dropped first.
const maxBuckets = 10000

type limiter struct {
	limits  Limits
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// allow takes one run from owner's bucket, or says how long to wait.
func (l *limiter) allow(owner string, now time.Time) (time.Duration, bool) {
	if l.limits.PerMinute <= 0 {
		return 0, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[owner]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			for k, v := range l.buckets {
				if v.TokensAt(now) >= float64(l.limits.PerMinute) {
					delete(l.buckets, k)
				}
			}
		}
		b = rate.NewLimiter(rate.Every(time.Minute/time.Duration(l.limits.PerMinute)), l.limits.PerMinute)
		if len(l.buckets) < maxBuckets {
			l.buckets[owner] = b
		}
	}
	res := b.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d, false
	}
	return 0, true
}

// TryStart starts a run unless its owner is at a limit, which it then
// reports as a *LimitError.
func (m *Manager) TryStart(spec Spec) (*Run, error) {
	if n := m.cfg.Limits.AtOnce; n > 0 && spec.Owner != "" {
		if running := m.running(spec.Owner); running >= n {
			return nil, &LimitError{Message: fmt.Sprintf("You have %d runs going, the most this server allows at once. Stop one or wait for it to finish.", running)}
		}
	}
	if d, ok := m.limiter.allow(spec.Owner, time.Now()); !ok {
		d = d.Round(time.Second) + time.Second
		return nil, &LimitError{RetryAfter: d,
			Message: fmt.Sprintf("You have started %d runs in the last minute, the most this server allows. Try again in %s.", m.cfg.Limits.PerMinute, d)}
	}
	return m.Start(spec), nil
}

// running counts owner's runs still going.
func (m *Manager) running(owner string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.active[owner]
}
