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
	SessionEpoch(ctx context.Context, owner string) (int64, error)
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

	mu        sync.Mutex
	cur, prev map[string]cachedEpoch
}

type cachedEpoch struct {
	epoch int64
	until time.Time
}

const epochTTL = 2 * time.Second

// NewEpochs reads and raises epochs in src.
func NewEpochs(src EpochSource) *Epochs { return &Epochs{src: src} }

// Stale reports whether s is a copy older than its owner's last key
// change. An unreadable epoch counts as current: a database hiccup does
// not sign everyone out.
func (e *Epochs) Stale(ctx context.Context, owner string, s *Session) bool {
	if e == nil || owner == "" {
		return false
	}
	cur, ok := e.get(owner)
	if !ok {
		n, err := e.src.SessionEpoch(ctx, owner)
		if err != nil {
			return false
		}
		cur = n
		e.put(owner, n)
	}
	have, _ := strconv.ParseInt(s.Get(EpochKey), 10, 64)
	return have < cur
}

// Bump raises owner's epoch from the one s carries and gives s the new
// one, so every other copy of its cookie is refused from now on. It
// reports false when s is no longer current (another request from the
// same cookie raised the epoch first): s must then not be written back.
func (e *Epochs) Bump(ctx context.Context, owner string, s *Session) (bool, error) {
	if e == nil || owner == "" {
		return true, nil
	}
	have, _ := strconv.ParseInt(s.Get(EpochKey), 10, 64)
	n, ok, err := e.src.BumpSessionEpoch(ctx, owner, have)
	if err != nil {
		return true, err // the change stands; copies live on as before
	}
	e.put(owner, n)
	if ok {
		s.Set(EpochKey, strconv.FormatInt(n, 10))
	}
	return ok, nil
}

func (e *Epochs) get(owner string) (int64, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := e.cur[owner]
	if !ok {
		v, ok = e.prev[owner]
	}
	if !ok || time.Now().After(v.until) {
		return 0, false
	}
	return v.epoch, true
}

func (e *Epochs) put(owner string, n int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cur == nil || len(e.cur) >= cacheGeneration {
		e.prev, e.cur = e.cur, map[string]cachedEpoch{}
	}
	e.cur[owner] = cachedEpoch{epoch: n, until: time.Now().Add(epochTTL)}
}
