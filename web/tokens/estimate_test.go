package tokens

import (
	"math"
	"strings"
	"testing"
)

// TestEstimateBoundsWork: a long text is sampled (at most EstimateExact
// bytes tokenized, whatever its length) and lands near the exact count; a
// short one is exact. One /draft/preview of 19 × 1 MiB without spaces
// tokenized 19 MiB and took 12 s.
func TestEstimateBoundsWork(t *testing.T) {
	c := &Counter{}
	for name, s := range map[string]string{
		"unspaced": strings.Repeat("x", 1<<20),
		"prose":    strings.Repeat("The quick brown fox jumps over the lazy dog. ", 1<<20/45),
		"mixed":    strings.Repeat("héllo wörld 世界 ", 40_000) + strings.Repeat("func f() { return 1 }\n", 20_000),
	} {
		before := c.Counted()
		n, exact := c.Estimate(s)
		if work := c.Counted() - before; exact || work > EstimateExact {
			t.Errorf("%s: exact %v, %d bytes tokenized for %d", name, exact, work, len(s))
		}
		if want := c.Count(s); math.Abs(float64(n-want)) > 0.05*float64(want) {
			t.Errorf("%s: estimate %d, exact %d", name, n, want)
		}
	}
	if n, exact := c.Estimate("Hello, world"); !exact || n != c.Count("Hello, world") {
		t.Errorf("short text: %d %v", n, exact)
	}
}
