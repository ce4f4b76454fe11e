package compare

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/playground-dev/playground/web/problem"
)

// PaneRun is one pane's run as a diff reads it.
type PaneRun struct {
	Pane    int
	Side    Side
	Text    string
	Running bool
}

// PaneDiff is the diff of two panes of a comparison: Picked is false when
// a or b names no pane of it (the page then asks to pick two).
type PaneDiff struct {
	Picked bool
	A, B   PaneRun
	Words  WordDiff
	// Note says what to know of the two: the same pane twice, or panes
	// still running.
	Note string
}

// Panes diffs the panes a and b (their numbers from 0, as the page's
// query names them) of the comparison id, whose runs are runs. A diff
// refused because too many are being computed is a problem that says to
// retry.
func (d *Differ) Panes(id string, runs []PaneRun, a, b string) (PaneDiff, error) {
	pane := func(q string) (PaneRun, bool) {
		i, err := strconv.Atoi(q)
		if err != nil {
			return PaneRun{}, false
		}
		for _, r := range runs {
			if r.Pane == i {
				return r, true
			}
		}
		return PaneRun{}, false
	}
	pa, okA := pane(a)
	pb, okB := pane(b)
	if !okA || !okB {
		return PaneDiff{}, nil
	}
	wd, err := d.Words(DiffKey{Comparison: id, A: pa.Pane, B: pb.Pane}, pa.Text, pb.Text)
	if errors.Is(err, ErrBusy) {
		return PaneDiff{}, &problem.Error{Kind: problem.KindUnavailable, Message: BusyMessage(d.Config().AtOnce), RetryAfter: 2 * time.Second, Err: err}
	}
	if err != nil {
		return PaneDiff{}, err
	}
	out := PaneDiff{Picked: true, A: pa, B: pb, Words: wd}
	var going []string
	for _, r := range []PaneRun{pa, pb} {
		if r.Running {
			going = append(going, "pane "+strconv.Itoa(r.Pane+1))
		}
	}
	if pa.Pane == pb.Pane {
		out.Note = "That is the same pane twice."
	} else if len(going) > 0 {
		out.Note = "Still running: " + strings.Join(going, " and ") + "; this diff is of the output so far."
	}
	return out, nil
}
