package history

import (
	"testing"
	"time"
)

func TestUsageSparesCountsOnlyWhenCertain(t *testing.T) {
	lim := Limits{OwnerRuns: 10, OwnerBytes: 1000}
	now := time.Unix(1_000_000, 0)
	for _, tc := range []struct {
		name    string
		counted bool
		runs    int
		bytes   int64
		at      time.Time
		grow    growth
		lim     Limits
		want    bool
	}{
		{"no quota: never counted", false, 0, 0, now, growth{1, 10}, Limits{}, true},
		{"never counted", false, 0, 0, now, growth{1, 10}, lim, false},
		{"well within", true, 3, 100, now, growth{1, 10}, lim, true},
		{"at the run limit", true, 9, 100, now, growth{1, 10}, lim, true},
		{"past the run limit", true, 10, 100, now, growth{1, 10}, lim, false},
		{"past the byte limit", true, 3, 995, now, growth{0, 10}, lim, false},
		{"a count too old", true, 3, 100, now.Add(-usageFresh - time.Second), growth{1, 10}, lim, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var u usage
			if tc.counted {
				u.counted("o", tc.runs, tc.bytes, tc.at)
			}
			if got := u.within("o", tc.grow, tc.lim, now); got != tc.want {
				t.Errorf("within = %v, want %v", got, tc.want)
			}
		})
	}
}

// Growth adds up between counts, so a run of small writes still reaches
// a count at the limit.
func TestUsageAddsUp(t *testing.T) {
	var u usage
	now := time.Now()
	lim := Limits{OwnerRuns: 5}
	u.counted("o", 0, 0, now)
	n := 0
	for u.within("o", growth{1, 0}, lim, now) {
		if n++; n > 10 {
			t.Fatal("never asked for a count")
		}
	}
	if n != 5 {
		t.Errorf("a count was asked after %d runs, want after 5", n)
	}
}
