package run

import (
	"time"

	"github.com/playground-dev/playground/web/stream"
)

// MaxTimeline bounds the points a run's timeline keeps. Past it the
// timeline is thinned to every other point (and each later point stands
// for twice as many events), so a long answer keeps its shape in a fixed
// space.
const MaxTimeline = 2048

// Timeline is how a run's output grew: one point per content event (a
// piece of text, reasoning, refusal, tool arguments or audio) with the
// time since the run started and the bytes of output so far, answer and
// reasoning apart. The page draws tokens over time from it, scaled to the
// run's output tokens.
type Timeline struct {
	Points []TimePoint `json:"points,omitempty"`
	// Every is how many content events a point stands for: 1 until the
	// run passed MaxTimeline of them.
	Every int `json:"every,omitempty"`
}

// TimePoint is the output after one content event.
type TimePoint struct {
	// Ms is the time since the run started, in milliseconds.
	Ms float64 `json:"ms"`
	// Out and Think are the bytes of answer (text, refusal, tool
	// arguments, audio) and of reasoning so far.
	Out   int `json:"out"`
	Think int `json:"think,omitempty"`
}

// timeline records a run's content events as they come.
type timeline struct {
	t          Timeline
	out, think int
	skip       int // events since the last kept point, while thinned
}

// add notes a content event e that came after since.
func (tl *timeline) add(e stream.Event, since time.Duration) {
	switch e.Kind {
	case stream.KindText, stream.KindRefusal:
		tl.out += len(e.Text)
	case stream.KindReasoning:
		tl.think += len(e.Text)
	case stream.KindTool:
		tl.out += len(e.Tool.Name) + len(e.Tool.Args)
	case stream.KindAudio:
		tl.out += len(e.Audio.Data)
	default:
		return
	}
	if tl.t.Every == 0 {
		tl.t.Every = 1
	}
	if tl.skip++; tl.skip < tl.t.Every {
		return
	}
	tl.skip = 0
	if len(tl.t.Points) == MaxTimeline {
		kept := tl.t.Points[:0]
		for i := 1; i < len(tl.t.Points); i += 2 {
			kept = append(kept, tl.t.Points[i])
		}
		tl.t.Points, tl.t.Every = kept, tl.t.Every*2
	}
	tl.t.Points = append(tl.t.Points, TimePoint{Ms: ms(since), Out: tl.out, Think: tl.think})
}

// done is the timeline so far, its last point carrying the output at the
// end even when the thinning skipped the last events.
func (tl *timeline) done() Timeline {
	t := tl.t
	t.Points = append([]TimePoint(nil), t.Points...)
	if n := len(t.Points); n > 0 && (t.Points[n-1].Out != tl.out || t.Points[n-1].Think != tl.think) {
		t.Points[n-1].Out, t.Points[n-1].Think = tl.out, tl.think
	}
	return t
}
