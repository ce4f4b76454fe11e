package compare

import (
	"container/list"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
)

// Defaults of a Differ.
const (
	DefaultDiffsAtOnce = 2
	DefaultDiffCache   = 64
	// DefaultDiffCacheBytes bounds the text the cached diffs hold; a diff
	// of more than a quarter of it is not kept.
	DefaultDiffCacheBytes = 32 << 20
)

// ErrBusy is returned when AtOnce diffs are already being computed: the
// caller says the server is busy rather than queue the request.
var ErrBusy = errors.New("compare: too many diffs at once")

// BusyMessage is what a person sees when a diff was refused with ErrBusy.
func BusyMessage(atOnce int) string {
	return fmt.Sprintf("The server is busy computing other diffs (at most %d at once). Try again in a moment.", atOnce)
}

// DiffConfig configures a Differ; a zero field takes its default.
type DiffConfig struct {
	Limits DiffLimits
	// AtOnce bounds the diffs computed at the same time.
	AtOnce int
	// CacheSize bounds the diffs kept (least recently used goes first),
	// CacheBytes the text they hold (a diff holds both answers).
	CacheSize  int
	CacheBytes int
}

// DiffKey names the diff of two panes of one comparison.
type DiffKey struct {
	Comparison string
	A, B       int
}

// DiffStats count a Differ's work.
type DiffStats struct {
	Computed, Hits, Busy int
	// MaxInFlight is the most diffs that were computed at once.
	MaxInFlight int
}

// Differ computes word diffs of comparisons within limits: at most AtOnce
// at a time (more are refused with ErrBusy), each kept in a bounded cache
// under its key and the texts' hashes (a pane still running changes its
// text, and so its entry). Safe for concurrent use.
type Differ struct {
	cfg  DiffConfig
	sem  chan struct{}
	seed maphash.Seed

	mu       sync.Mutex
	lru      *list.List // of *cached, most recent first
	entries  map[cacheKey]*list.Element
	stats    DiffStats
	inFlight int
	bytes    int // text held by the cached diffs
}

type cacheKey struct {
	DiffKey
	hashA, hashB uint64
}

type cached struct {
	key  cacheKey
	diff WordDiff
	size int
}

// textSize is the text a diff holds.
func textSize(wd WordDiff) int {
	n := 0
	for _, s := range wd.Segments {
		n += len(s.Text)
	}
	return n
}

// NewDiffer makes a Differ.
func NewDiffer(cfg DiffConfig) *Differ {
	cfg.Limits = cfg.Limits.withDefaults()
	if cfg.AtOnce <= 0 {
		cfg.AtOnce = DefaultDiffsAtOnce
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = DefaultDiffCache
	}
	if cfg.CacheBytes <= 0 {
		cfg.CacheBytes = DefaultDiffCacheBytes
	}
	return &Differ{cfg: cfg, sem: make(chan struct{}, cfg.AtOnce), seed: maphash.MakeSeed(),
		lru: list.New(), entries: map[cacheKey]*list.Element{}}
}

// Config is the Differ's configuration, defaults filled in.
func (d *Differ) Config() DiffConfig { return d.cfg }

// Stats are the Differ's counts so far.
func (d *Differ) Stats() DiffStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats
}

// Words is the word diff of a and b under key: from the cache, or computed
// if a slot is free, or ErrBusy.
func (d *Differ) Words(key DiffKey, a, b string) (WordDiff, error) {
	k := cacheKey{key, maphash.String(d.seed, a), maphash.String(d.seed, b)}
	if wd, ok := d.lookup(k); ok {
		return wd, nil
	}
	select {
	case d.sem <- struct{}{}:
	default:
		d.mu.Lock()
		d.stats.Busy++
		d.mu.Unlock()
		return WordDiff{}, ErrBusy
	}
	d.mu.Lock()
	d.inFlight++
	d.stats.MaxInFlight = max(d.stats.MaxInFlight, d.inFlight)
	d.mu.Unlock()
	wd := Diff(a, b, d.cfg.Limits)
	<-d.sem
	d.mu.Lock()
	defer d.mu.Unlock()
	d.inFlight--
	d.stats.Computed++
	if size := textSize(wd); d.entries[k] == nil && size <= d.cfg.CacheBytes/4 {
		d.entries[k] = d.lru.PushFront(&cached{k, wd, size})
		d.bytes += size
		for d.lru.Len() > d.cfg.CacheSize || d.bytes > d.cfg.CacheBytes {
			old := d.lru.Remove(d.lru.Back()).(*cached)
			delete(d.entries, old.key)
			d.bytes -= old.size
		}
	}
	return wd, nil
}

func (d *Differ) lookup(k cacheKey) (WordDiff, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.entries[k]
	if !ok {
		return WordDiff{}, false
	}
	d.lru.MoveToFront(e)
	d.stats.Hits++
	return e.Value.(*cached).diff, true
}
