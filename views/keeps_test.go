package views

import (
	"testing"
	"time"

	"github.com/playground-dev/playground/web/history"
)

func TestHistoryKeeps(t *testing.T) {
	for _, c := range []struct {
		l    history.Limits
		want string
	}{
		{history.DefaultLimits(), "The history keeps the newest 5000 runs and at most 200 MB of this browser's runs, and deletes runs older than 90 days. Past the limit the oldest runs go first, unshared ones before shared ones."},
		{history.Limits{Retention: 24 * time.Hour}, "The history deletes runs older than 1 day."},
		{history.Limits{}, "The history keeps every run."},
	} {
		if got := HistoryKeeps(c.l); got != c.want {
			t.Errorf("HistoryKeeps(%+v) =\n%q\nwant\n%q", c.l, got, c.want)
		}
	}
}
