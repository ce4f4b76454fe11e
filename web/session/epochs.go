package session

import (
	"context"
	"strconv"
	"sync"
	"time"
)

// The session cookie is the whole session, so a copy of it works as long
// as it has not expired: one captured before the person cleared a key
// still sends that key, one planted before they entered theirs still
// shows their runs. An epoch, kept outside the cookie, ends such copies:
// every change of the session's keys raises it, and a cookie carrying an
// older epoch is refused (the browser that made the change has the new
// one).

// EpochSource keeps each session's epoch, by owner id, where every
// instance of the playground sees it (the history database).
type EpochSource interface {
	SessionEpoch(ctx context.Context, owner string) (epoch int64, raised time.Time, err error)
	// BumpSessionEpoch raises the epoch from from, unless it is no longer
	// from (ok false, epoch the current one).
	BumpSessionEpoch(ctx context.Context, owner string, from int64) (epoch int64, ok bool, err error)
}

// EpochKey is the session value that carries the cookie's epoch.
const EpochKey = "epoch"

// Epochs remembers epochs read from a source for a short while: a
// request reads its session's epoch, and the database is asked at most
// once per epochTTL per session. Another instance's bump is seen within
// that time.
type Epochs struct {
	src EpochSource
	// settle is how long after a change a copy older than it counts as
	// Superseded rather than Stale.
	settle time.Duration

	mu        sync.Mutex
	cur, prev map[string]cachedEpoch
}

type cachedEpoch struct {
	epoch  int64
	raised time.Time
	until  time.Time
}

const epochTTL = 2 * time.Second

// NewEpochs reads and raises epochs in src.
func NewEpochs(src EpochSource) *Epochs { return &Epochs{src: src, settle: settleTime} }

// Copy says how a session's cookie stands against its epoch.
type Copy int

// How a cookie stands.
const (
	// Current: the cookie carries the session's epoch.
	Current Copy = iota
	// Superseded: older than a change made a moment ago, most likely by
	// another request of the same browser, whose cookie then is the
	// right one: this one is refused, and must not be replaced either.
	Superseded
	// Stale: older than a change made a while ago (settleTime): a
	// leftover or captured copy. It is refused, and may be replaced.
	Stale
)

// settleTime is Epochs.settle unless a test says otherwise.
const settleTime = time.Minute

// Check says whether s is a copy older than its owner's last change. An
// unreadable epoch counts as current: a database hiccup does not sign
// everyone out.
func (e *Epochs) Check(ctx context.Context, owner string, s *Session) Copy {
	if e == nil || owner == "" {
		return Current
	}
	cur, ok := e.get(owner)
	if !ok {
		n, raised, err := e.src.SessionEpoch(ctx, owner)
		if err != nil {
			return Current
		}
		cur = cachedEpoch{epoch: n, raised: raised}
		e.put(owner, n, raised)
	}
	have, _ := strconv.ParseInt(s.get(EpochKey), 10, 64)
	switch {
	case have >= cur.epoch:
		return Current
	case time.Since(cur.raised) < e.settle:
		return Superseded
	}
	return Stale
}

// Bump raises owner's epoch from the one s carries and gives s the new
// one, so every other copy of its cookie is refused from now on. It
// reports false when s is no longer current (another request from the
// same cookie raised the epoch first): s must then not be written back.
func (e *Epochs) Bump(ctx context.Context, owner string, s *Session) (bool, error) {
	if e == nil || owner == "" {
		return true, nil
	}
	have, _ := strconv.ParseInt(s.get(EpochKey), 10, 64)
	n, ok, err := e.src.BumpSessionEpoch(ctx, owner, have)
	if err != nil {
		return true, err // the change stands; copies live on as before
	}
	// Either way the epoch was raised just now: by this request, or by
	// another since this one read its cookie.
	e.put(owner, n, time.Now())
	if ok {
		s.set(EpochKey, strconv.FormatInt(n, 10))
	}
	return ok, nil
}

func (e *Epochs) get(owner string) (cachedEpoch, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := e.cur[owner]
	if !ok {
		v, ok = e.prev[owner]
	}
	if !ok || time.Now().After(v.until) {
		return cachedEpoch{}, false
	}
	return v, true
}

func (e *Epochs) put(owner string, n int64, raised time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cur == nil || len(e.cur) >= cacheGeneration {
		e.prev, e.cur = e.cur, map[string]cachedEpoch{}
	}
	e.cur[owner] = cachedEpoch{epoch: n, raised: raised, until: time.Now().Add(epochTTL)}
}
