package compare

import (
	"errors"
	"fmt"
	"hash/maphash"
	"strings"
	"testing"
)

// disjoint is n words that share nothing with disjoint(n, other seed).
func disjoint(n int, seed string) string {
	var sb strings.Builder
	for i := range n {
		fmt.Fprintf(&sb, "%s%d ", seed, i)
	}
	return sb.String()
}

// rebuilds checks the diff's invariant: equal and removed spell a, equal
// and added spell b.
func rebuilds(t *testing.T, segs []Segment, a, b string) {
	t.Helper()
	var ga, gb strings.Builder
	for _, s := range segs {
		if s.Op != Added {
			ga.WriteString(s.Text)
		}
		if s.Op != Removed {
			gb.WriteString(s.Text)
		}
	}
	if ga.String() != a || gb.String() != b {
		t.Fatalf("the diff rebuilds %d and %d bytes, want %d and %d", ga.Len(), gb.Len(), len(a), len(b))
	}
}

// TestDiffOfLongDisjointAnswers: two disjoint 40,000-word answers (the
// red-team's 17 s diff) compare at most DefaultDiffTokens tokens of each;
// the rest is one removed and one added block, and the page says so.
func TestDiffOfLongDisjointAnswers(t *testing.T) {
	a, b := disjoint(40_000, "alpha"), disjoint(40_000, "beta")
	wd := Diff(a, b, DiffLimits{})
	if !wd.Cut || wd.TokensA != DefaultDiffTokens+1 || wd.TokensB != DefaultDiffTokens+1 {
		t.Fatalf("cut %v, tokens %d and %d", wd.Cut, wd.TokensA, wd.TokensB)
	}
	rebuilds(t, wd.Segments, a, b)
	if !strings.Contains(wd.Note(), "the first 10,000 words, spaces and marks of each are compared") {
		t.Errorf("note %q", wd.Note())
	}
	if wd := Diff("a b c", "a x c", DiffLimits{}); wd.Cut || wd.Coarse || wd.Note() != "" {
		t.Errorf("a short diff: %+v", wd)
	}
}

// TestDiffCutKeepsTheInvariant: with a tiny token limit the diff still
// spells both texts.
func TestDiffCutKeepsTheInvariant(t *testing.T) {
	for _, tc := range [][2]string{{"the quick brown fox jumps", "the slow brown fox"}, {"", "a b c d e f"}, {"a b c d e f", ""}, {"a,b.c", "a;b:c!"}} {
		wd := Diff(tc[0], tc[1], DiffLimits{MaxTokens: 3})
		rebuilds(t, wd.Segments, tc[0], tc[1])
	}
}

// TestDifferCachesAndRefusesWhenBusy: a second request for the same pair
// is a cache hit, a changed text is computed again, the cache is bounded,
// and with every slot taken a diff is refused with ErrBusy, not queued.
func TestDifferCachesAndRefusesWhenBusy(t *testing.T) {
	d := NewDiffer(DiffConfig{AtOnce: 1, CacheSize: 2})
	k := DiffKey{Comparison: "c1", A: 0, B: 1}
	a, b := disjoint(40_000, "alpha"), disjoint(40_000, "beta")
	first, err := d.Words(k, a, b)
	if err != nil {
		t.Fatal(err)
	}
	second, err := d.Words(k, a, b)
	if err != nil || len(second.Segments) != len(first.Segments) {
		t.Fatalf("second: %v", err)
	}
	if s := d.Stats(); s.Computed != 1 || s.Hits != 1 {
		t.Fatalf("stats %+v, want 1 computed and 1 hit", s)
	}
	if _, err := d.Words(k, a+"more", b); err != nil || d.Stats().Computed != 2 {
		t.Fatalf("a grown text was not computed again: %+v", d.Stats())
	}
	d.Words(DiffKey{Comparison: "c2"}, "x", "y")
	if n := len(d.entries); n != 2 || d.lru.Len() != 2 {
		t.Errorf("%d entries kept, want the cache size 2", n)
	}
	d.sem <- struct{}{} // a diff in progress
	if _, err := d.Words(DiffKey{Comparison: "c3"}, "p", "q"); !errors.Is(err, ErrBusy) {
		t.Fatalf("busy: %v", err)
	}
	if _, err := d.Words(k, a+"more", b); err != nil {
		t.Errorf("a cached diff is served while busy: %v", err)
	}
	<-d.sem
	if s := d.Stats(); s.Busy != 1 || s.MaxInFlight != 1 {
		t.Errorf("stats %+v", s)
	}
	if !strings.Contains(BusyMessage(2), "at most 2 at once") {
		t.Error(BusyMessage(2))
	}
}

// TestDifferCacheBoundedInBytes: a diff holds both answers, so the cache
// is bounded by the text it holds, not only by its count; a diff too
// large for it is computed and not kept.
func TestDifferCacheBoundedInBytes(t *testing.T) {
	d := NewDiffer(DiffConfig{CacheSize: 64, CacheBytes: 40 << 10})
	for i := range 10 {
		a, b := strings.Repeat("alpha ", 1000), strings.Repeat("beta ", 1000) // about 11 KB a diff
		if _, err := d.Words(DiffKey{Comparison: "c", A: i, B: i + 1}, a, b); err != nil {
			t.Fatal(err)
		}
	}
	if d.bytes > 40<<10 || d.lru.Len() != len(d.entries) || d.lru.Len() > 4 {
		t.Errorf("the cache holds %d bytes in %d diffs, past its 40 KB", d.bytes, d.lru.Len())
	}
	huge := strings.Repeat("x ", 20<<10)
	if _, err := d.Words(DiffKey{Comparison: "big"}, huge, huge+"y"); err != nil {
		t.Fatal(err)
	}
	if _, ok := d.entries[cacheKey{DiffKey{Comparison: "big"}, maphash.String(d.seed, huge), maphash.String(d.seed, huge+"y")}]; ok {
		t.Error("a diff over a quarter of the cache was kept")
	}
}
