package run

import (
	"testing"
	"time"

	"github.com/playground-dev/playground/web/stream"
)

func TestTimelineOnePointPerContentEvent(t *testing.T) {
	var tl timeline
	evs := []stream.Event{
		{Kind: stream.KindStatus, Status: "in_progress"}, // not content
		{Kind: stream.KindReasoning, Text: "hmm"},
		{Kind: stream.KindText, Text: "Hello"},
		{Kind: stream.KindUsage}, // not content
		{Kind: stream.KindTool, Tool: stream.ToolDelta{Name: "f", Args: "{}"}},
		{Kind: stream.KindText, Text: "!"},
	}
	for i, e := range evs {
		tl.add(e, time.Duration(i+1)*10*time.Millisecond)
	}
	got := tl.done()
	want := []TimePoint{{Ms: 20, Out: 0, Think: 3}, {Ms: 30, Out: 5, Think: 3}, {Ms: 50, Out: 8, Think: 3}, {Ms: 60, Out: 9, Think: 3}}
	if len(got.Points) != len(want) || got.Every != 1 {
		t.Fatalf("points %+v every %d, want %+v", got.Points, got.Every, want)
	}
	for i := range want {
		if got.Points[i] != want[i] {
			t.Errorf("point %d = %+v, want %+v", i, got.Points[i], want[i])
		}
	}
}

// TestTimelineThins: past MaxTimeline points the timeline keeps every
// other one, stays within the bound, keeps time in order and ends at the
// output's whole size.
func TestTimelineThins(t *testing.T) {
	var tl timeline
	n := MaxTimeline*3 + 7
	for i := 0; i < n; i++ {
		tl.add(stream.Event{Kind: stream.KindText, Text: "ab"}, time.Duration(i)*time.Millisecond)
	}
	got := tl.done()
	if len(got.Points) > MaxTimeline || len(got.Points) < MaxTimeline/2 {
		t.Fatalf("%d points, want between %d and %d", len(got.Points), MaxTimeline/2, MaxTimeline)
	}
	if got.Every != 4 {
		t.Errorf("every %d, want 4 after thinning twice", got.Every)
	}
	for i := 1; i < len(got.Points); i++ {
		if got.Points[i].Ms <= got.Points[i-1].Ms || got.Points[i].Out <= got.Points[i-1].Out {
			t.Fatalf("points %d and %d out of order: %+v %+v", i-1, i, got.Points[i-1], got.Points[i])
		}
	}
	if last := got.Points[len(got.Points)-1]; last.Out != 2*n {
		t.Errorf("last point has %d bytes, want %d", last.Out, 2*n)
	}
}
