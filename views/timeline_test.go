package views

import (
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/playground-dev/playground/web/run"
)

func TestTimelineChart(t *testing.T) {
	tl := run.Timeline{Every: 1, Points: []run.TimePoint{
		{Ms: 400, Think: 10}, {Ms: 450, Think: 20}, {Ms: 500, Out: 10, Think: 20}, {Ms: 1800, Out: 40, Think: 20},
	}}
	c, ok := NewTimeline([]TimelineRun{{Label: "Pane 1", Timeline: tl, Tokens: 15, TTFBms: 120, TotalMs: 1900}})
	if !ok {
		t.Fatal("no chart")
	}
	if c.Unit != "tokens" || c.Points != 4 || len(c.Lines) != 1 {
		t.Fatalf("chart %+v", c)
	}
	l := c.Lines[0]
	// One point per content event, after the line's start at the first byte.
	if n := len(strings.Fields(l.Points)); n != 5 {
		t.Errorf("%d points on the line, want 5 (the start and four events): %s", n, l.Points)
	}
	if l.Think == "" || l.TTFB == "" {
		t.Errorf("the reasoning part or the first byte is not drawn: %+v", l)
	}
	if len(l.Stalls) != 1 {
		t.Errorf("stalls %+v, want the 1.3 s gap", l.Stalls)
	}
	if !strings.Contains(c.Summary, "Pane 1: 15 tokens from 400 ms to 1.8 s, 1 stall") {
		t.Errorf("summary %q", c.Summary)
	}
	var b strings.Builder
	if err := Timeline(c).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.Find(`[data-testid="timeline-line"]`).AttrOr("data-count", ""); got != "4" {
		t.Errorf("line count %q, want 4", got)
	}
	if doc.Find(`[data-testid="timeline-stall"]`).Length() != 1 || doc.Find("svg title").Text() != c.Summary {
		t.Errorf("the SVG lacks its stall or its title: %s", b.String())
	}
}

func TestTimelineWithoutTokensCountsBytes(t *testing.T) {
	c, ok := NewTimeline([]TimelineRun{{Timeline: run.Timeline{Points: []run.TimePoint{{Ms: 10, Out: 3}}}}})
	if !ok || c.Unit != "bytes" {
		t.Fatalf("chart %+v ok %v, want bytes", c, ok)
	}
	if _, ok := NewTimeline([]TimelineRun{{Label: "empty"}}); ok {
		t.Error("a run with no points drew a chart")
	}
}

func TestSeconds(t *testing.T) {
	for ms, want := range map[float64]string{0: "0 ms", 849.6: "850 ms", 1234: "1.2 s", 14_400: "14 s"} {
		if got := Seconds(ms); got != want {
			t.Errorf("Seconds(%v) = %q, want %q", ms, got, want)
		}
	}
}
