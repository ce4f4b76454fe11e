package views

import (
	"math"
	"strconv"
	"strings"

	"github.com/playground-dev/playground/web/run"
)

// The chart's drawing area, in SVG user units (the SVG scales to its box).
const (
	chartW, chartH         = 600.0, 200.0
	chartLeft, chartBottom = 44.0, 24.0
	chartTop, chartRight   = 8.0, 8.0
	stallMs                = 1000.0 // a gap between content events this long is marked
	maxChartLines          = 8
)

// TimelineRun is one run as a timeline chart draws it: its label, its
// timeline, the output tokens the provider reported (or the estimate) to
// scale bytes to tokens, and its time to first byte and total time.
type TimelineRun struct {
	Label    string
	Timeline run.Timeline
	Tokens   int
	TTFBms   float64
	TotalMs  float64
}

// TimelineChart is the view model of a timeline: tokens over time, one
// line per run, with the first byte and stalls marked.
type TimelineChart struct {
	Lines  []TimelineLine
	XTicks []ChartTick
	YTicks []ChartTick
	// Unit is what the y axis counts: "tokens", or "bytes" when no run
	// reported tokens.
	Unit string
	// Summary says in words what the chart shows (its title, for screen
	// readers and a tooltip).
	Summary string
	// Points is how many points the chart draws, over all lines.
	Points int
	W, H   string
	Left   string
	Base   string
	Right  string
	Top    string
	// PlotH is the drawing area's height (a stall's band).
	PlotH string
}

// TimelineLine is one run's line.
type TimelineLine struct {
	Label string
	// Color picks the line's colour class (0 to 7).
	Color int
	// Points is the polyline ("x,y x,y …") of output over time; Think the
	// reasoning part, when there was reasoning.
	Points string
	Think  string
	// Count is the number of points on the line.
	Count int
	// TTFB is the x of the first byte ("" when unknown).
	TTFB   string
	Stalls []ChartSpan
}

// ChartTick is a label on an axis at a position.
type ChartTick struct {
	At    string
	Label string
	// Anchor is the label's text-anchor: the last one on the x axis ends
	// at its tick, so it stays inside the chart.
	Anchor string
}

// ChartSpan is a stretch of the x axis (a stall).
type ChartSpan struct {
	X, W string
}

// NewTimeline lays out the runs on one chart (at most eight lines). It
// returns false when no run has a point to draw.
func NewTimeline(runs []TimelineRun) (TimelineChart, bool) {
	if len(runs) > maxChartLines {
		runs = runs[:maxChartLines]
	}
	maxMs, maxY, unit := 0.0, 0.0, "tokens"
	for _, r := range runs {
		if r.Tokens <= 0 && len(r.Timeline.Points) > 0 {
			unit = "bytes"
		}
	}
	ys := make([]func(run.TimePoint) (float64, float64), len(runs))
	any := false
	for i, r := range runs {
		pts := r.Timeline.Points
		if len(pts) == 0 {
			continue
		}
		any = true
		last := pts[len(pts)-1]
		whole := float64(last.Out + last.Think)
		scale := 1.0
		if unit == "tokens" && whole > 0 {
			scale = float64(r.Tokens) / whole
		}
		ys[i] = func(p run.TimePoint) (float64, float64) {
			return float64(p.Out+p.Think) * scale, float64(p.Think) * scale
		}
		maxMs = math.Max(maxMs, math.Max(r.TotalMs, last.Ms))
		top, _ := ys[i](last)
		maxY = math.Max(maxY, top)
	}
	if !any {
		return TimelineChart{}, false
	}
	maxMs, maxY = niceCeil(maxMs), niceCeil(math.Max(maxY, 1))
	plotW, plotH := chartW-chartLeft-chartRight, chartH-chartTop-chartBottom
	x := func(ms float64) float64 { return chartLeft + ms/maxMs*plotW }
	y := func(v float64) float64 { return chartTop + plotH - v/maxY*plotH }
	c := TimelineChart{Unit: unit, W: num(chartW), H: num(chartH), Left: num(chartLeft), Base: num(chartTop + plotH),
		Right: num(chartW - chartRight), Top: num(chartTop), PlotH: num(plotH)}
	for i := 0; i <= 4; i++ {
		ms := maxMs * float64(i) / 4
		anchor := "middle"
		if i == 4 {
			anchor = "end"
		}
		c.XTicks = append(c.XTicks, ChartTick{At: coord(x(ms)), Label: Seconds(ms), Anchor: anchor})
		v := maxY * float64(i) / 4
		c.YTicks = append(c.YTicks, ChartTick{At: coord(y(v)), Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	var words []string
	for i, r := range runs {
		pts := r.Timeline.Points
		if len(pts) == 0 {
			continue
		}
		l := TimelineLine{Label: r.Label, Color: i, Count: len(pts)}
		var out, think strings.Builder
		hasThink := false
		prev := 0.0
		if r.TTFBms > 0 {
			l.TTFB = coord(x(r.TTFBms))
			prev = r.TTFBms
		}
		// The line starts at zero at the first byte (or the run's start).
		out.WriteString(coord(x(prev)) + "," + coord(y(0)))
		for j, p := range pts {
			total, th := ys[i](p)
			out.WriteString(" " + coord(x(p.Ms)) + "," + coord(y(total)))
			if p.Think > 0 {
				hasThink = true
			}
			if think.Len() > 0 {
				think.WriteByte(' ')
			}
			think.WriteString(coord(x(p.Ms)) + "," + coord(y(th)))
			if j > 0 && p.Ms-pts[j-1].Ms >= stallMs {
				l.Stalls = append(l.Stalls, ChartSpan{X: coord(x(pts[j-1].Ms)), W: coord(x(p.Ms) - x(pts[j-1].Ms))})
			}
		}
		l.Points = out.String()
		if hasThink {
			l.Think = think.String()
		}
		c.Points += len(pts)
		c.Lines = append(c.Lines, l)
		last := pts[len(pts)-1]
		top, _ := ys[i](last)
		w := r.Label
		if w != "" {
			w += ": "
		}
		w += strconv.FormatFloat(math.Round(top), 'f', -1, 64) + " " + unit + " from " + Seconds(pts[0].Ms) + " to " + Seconds(last.Ms)
		if len(l.Stalls) > 0 {
			w += ", " + Plural(len(l.Stalls), "stall", "stalls") + " of a second or more"
		}
		words = append(words, w)
	}
	c.Summary = "Output over time. " + strings.Join(words, "; ") + "."
	return c, true
}

// Seconds writes a duration in milliseconds as the chart's axis and the
// metrics read it: "850 ms", "1.2 s", "14 s".
func Seconds(ms float64) string {
	switch {
	case ms < 1000:
		return strconv.FormatFloat(math.Round(ms), 'f', -1, 64) + " ms"
	case ms < 10000:
		return strconv.FormatFloat(math.Round(ms/100)/10, 'f', -1, 64) + " s"
	}
	return strconv.FormatFloat(math.Round(ms/1000), 'f', -1, 64) + " s"
}

// niceCeil rounds v up to a round figure (1, 1.2, 1.5, 2, 2.5, 3, 4, 5,
// 6 or 8 times a power of ten), so a chart's axis ends near its data.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// coord writes a coordinate with one decimal.
func coord(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// lineClass is a line's colour.
func lineClass(i int) string {
	return [...]string{"tl-0", "tl-1", "tl-2", "tl-3", "tl-4", "tl-5", "tl-6", "tl-7"}[i%8]
}
