package history

import (
	"sync"
	"time"
)

// usage is what the writer knows of each owner's runs and bytes, so that
// it holds owners to their quota without counting all their runs after
// every batch (at 100,000 runs a count is a scan of them). A count is
// taken when the owner's figures are unknown or older than usageFresh, or
// when this process's own writes since may have crossed a limit; between
// counts each write adds at least what it grew the owner by (deletions
// only lower the truth), so the figures never understate what this
// process wrote. Another instance's writes (PostgreSQL) are seen at the
// next count, within usageFresh.
type usage struct {
	mu sync.Mutex
	of map[string]ownerUsage
}

type ownerUsage struct {
	runs  int
	bytes int64
	at    time.Time
}

// usageFresh is how long a count is trusted.
const usageFresh = time.Minute

// growth is what one batch added to an owner.
type growth struct {
	runs  int
	bytes int64
}

// within adds g to owner's figures and reports whether the owner is
// still certainly within lim, so that no count is needed.
func (u *usage) within(owner string, g growth, lim Limits, now time.Time) bool {
	if lim.OwnerRuns <= 0 && lim.OwnerBytes <= 0 {
		return true
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	o, ok := u.of[owner]
	if !ok || now.Sub(o.at) > usageFresh {
		return false
	}
	o.runs += g.runs
	o.bytes += g.bytes
	u.of[owner] = o
	return (lim.OwnerRuns <= 0 || o.runs <= lim.OwnerRuns) && (lim.OwnerBytes <= 0 || o.bytes <= lim.OwnerBytes)
}

// counted keeps owner's figures as a count (and the eviction after it)
// left them.
func (u *usage) counted(owner string, runs int, bytes int64, now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.of == nil {
		u.of = map[string]ownerUsage{}
	}
	if len(u.of) >= maxUsage {
		for k, o := range u.of {
			if now.Sub(o.at) > usageFresh {
				delete(u.of, k)
			}
		}
	}
	u.of[owner] = ownerUsage{runs: runs, bytes: bytes, at: now}
}

// maxUsage is how many owners' figures are kept before stale ones go.
const maxUsage = 10_000
