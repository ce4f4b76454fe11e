package views

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/playground-dev/playground/web/cost"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/structured"
)

// This file is the one place a run's outcome (run.Outcome: exact amounts,
// token counts, durations) is written for a person: money with
// cost.Format and cost.FormatCredits, tokens, durations and the speed.
// The live panel (the done event's metrics_html and checks_html) and the
// history pages show the same OutcomeView.

// OutcomeView is a run's outcome as the live panel and the history page
// show it.
type OutcomeView struct {
	Metrics []KV
	Checks  []CheckRow
	// Reasoning is the reasoning tokens' count the reasoning box shows
	// beside its title ("77 tokens"), "" without reasoning tokens.
	Reasoning string
	// Timeline is the output over time (nil when the run had no output).
	Timeline *TimelineChart
}

// NewOutcomeView is o as it is shown.
func NewOutcomeView(o *run.Outcome) OutcomeView {
	v := OutcomeView{Metrics: OutcomeMetrics(o), Checks: CheckRows(o.Checks)}
	if o.Usage.Reasoning > 0 {
		v.Reasoning = Plural(o.Usage.Reasoning, "token", "tokens")
	}
	if c, ok := NewTimeline([]TimelineRun{TimelineOf("", o)}); ok {
		v.Timeline = &c
	}
	return v
}

// TimelineOf is a run's line on a timeline chart, labelled.
func TimelineOf(label string, o *run.Outcome) TimelineRun {
	return TimelineRun{Label: label, Timeline: o.Timeline, Tokens: o.Usage.Output,
		TTFBms: ms(o.Durations.TTFB), TotalMs: ms(o.Durations.Total)}
}

// OutcomeMetrics are the rows of a run's outcome: durations, speed,
// tokens, finish, cost.
func OutcomeMetrics(o *run.Outcome) []KV {
	var out []KV
	add := func(k, v string) {
		if v != "" {
			out = append(out, KV{k, v})
		}
	}
	d := o.Durations
	add("TTFB", millis(d.TTFB))
	add("TTFT", millis(d.TTFT))
	if d.Total > 0 {
		add("Total", strconv.FormatFloat(ms(d.Total)/1000, 'f', 2, 64)+" s")
	}
	add("Speed", Speed(o.Usage.Output, d.Generation))
	est := ""
	if o.Usage.Estimated {
		est = " (estimate)"
	}
	in := strconv.Itoa(o.Usage.Input)
	if o.Usage.Cached > 0 {
		in += " (" + strconv.Itoa(o.Usage.Cached) + " cached)"
	}
	add("Tokens in", in+est)
	outTok := strconv.Itoa(o.Usage.Output)
	if o.Usage.Reasoning > 0 {
		outTok += " (" + strconv.Itoa(o.Usage.Reasoning) + " reasoning)"
	}
	add("Tokens out", outTok+est)
	add("Finish", finishLine(o))
	add("Cost", costLine(o))
	if o.Cost.Audio != nil {
		a := cost.Format(o.Cost.Audio.Rat(), currency(o)) + " of it for " + strconv.Itoa(o.Usage.AudioInput) + " audio tokens in, " + strconv.Itoa(o.Usage.AudioOutput) + " out"
		if o.Cost.AudioAtTextPrice {
			a += " (no audio price: billed at the text price)"
		}
		add("Audio", a)
	}
	if pc := o.Cost.ProviderCost; pc != nil {
		// In US dollars, every digit the provider reported.
		add("Provider cost", "$"+pc.String())
	}
	return out
}

// millis is a duration in whole milliseconds, "" for none.
func millis(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return strconv.FormatFloat(ms(d), 'f', 0, 64) + " ms"
}

// ms is d in milliseconds, to the microsecond (the rounding these
// figures were always written with: 2345 ms is "2.35 s").
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Speed is output tokens over generation time, in tokens per second to
// one decimal (cut, not rounded up), or "—" when it cannot be known: a
// run not streamed, or polled, or with fewer than two deltas has no
// generation time.
func Speed(output int, generation time.Duration) string {
	if output <= 0 || generation <= 0 {
		return "—"
	}
	// The small margin keeps a rate read back from an older row's
	// tokens_per_sec (41.5) from printing one tenth less.
	v := math.Floor(float64(output)/generation.Seconds()*10+1e-6) / 10
	if v > MaxSpeed {
		// A stream that arrived in one burst (a buffering gateway, a
		// cached answer): its pace says nothing of the model's.
		return "— (arrived at once)"
	}
	return strconv.FormatFloat(v, 'f', -1, 64) + " tok/s"
}

// MaxSpeed is the fastest pace shown as a speed, in tokens per second: no
// model generates faster; a faster figure is an answer that was held back
// and then sent at once.
const MaxSpeed = 5000

// TokensInOut is the history list's tokens column: "1200 → 438".
func TokensInOut(o *run.Outcome) string {
	return strconv.Itoa(o.Usage.Input) + " → " + strconv.Itoa(o.Usage.Output)
}

// currency is the currency o's amounts are in. Rows stored before the
// currency was kept have none: they were priced in US dollars.
func currency(o *run.Outcome) string {
	if o.Cost.Currency == "" {
		return "USD"
	}
	return o.Cost.Currency
}

// costLine is the Cost row and the history list's cost column.
func costLine(o *run.Outcome) string {
	if o.Cost.Refused {
		return "nothing — the provider refused the request"
	}
	if o.Cost.Unreached {
		return "nothing — the request never reached the provider"
	}
	total, ok := o.TotalRat()
	if !ok {
		return "no price set"
	}
	c := cost.Format(total, currency(o))
	if cr, ok := o.CreditsRat(); ok {
		c += " · " + cost.FormatCredits(cr)
	}
	if o.Cost.Estimated {
		c += " (estimate: no usage reported)"
	}
	if o.Cost.Demo {
		c += " (demo price)"
	}
	return c
}

// finishLine is the Finish row: the finish reasons, then whether the
// answer was cut off and why the run ended as it did, in one bracket:
// "stop", "— (cut off: the provider's connection was cut …)".
func finishLine(o *run.Outcome) string {
	f := strings.Join(o.Finish, ", ")
	note := o.Reason
	if o.Truncated {
		note = "cut off"
		if o.Reason != "" {
			note += ": " + o.Reason
		}
	}
	if note == "" {
		return f
	}
	if f == "" {
		f = "—"
	}
	return f + " (" + note + ")"
}

// TotalCost adds the runs' costs up, per currency, with their credits;
// runs without a price are counted apart.
func TotalCost(outs []*run.Outcome) string {
	byCur, credits, unpriced := SumCosts(outs)
	curs := make([]string, 0, len(byCur))
	for c := range byCur {
		curs = append(curs, c)
	}
	sort.Strings(curs)
	var parts []string
	for _, c := range curs {
		parts = append(parts, cost.Format(byCur[c], c))
	}
	if credits != nil {
		parts = append(parts, cost.FormatCredits(credits))
	}
	out := strings.Join(parts, " · ")
	if unpriced > 0 {
		if out == "" {
			out = "—"
		}
		out += " (" + Plural(unpriced, "run", "runs") + " without a price)"
	}
	return out
}

// SumCosts adds the runs' exact costs up per currency, and their credits
// (nil when no run was billed in credits); runs without a price are
// counted apart.
func SumCosts(outs []*run.Outcome) (byCur map[string]*big.Rat, credits *big.Rat, unpriced int) {
	byCur = map[string]*big.Rat{}
	for _, o := range outs {
		total, ok := o.TotalRat()
		if !ok {
			unpriced++
			continue
		}
		a, ok := byCur[currency(o)]
		if !ok {
			a = new(big.Rat)
			byCur[currency(o)] = a
		}
		a.Add(a, total)
		if cr, ok := o.CreditsRat(); ok {
			if credits == nil {
				credits = new(big.Rat)
			}
			credits.Add(credits, cr)
		}
	}
	return byCur, credits, unpriced
}

// CheckRow is one answer's structured-output check as the live panel and
// the history page show it: "Choice 1: JSON schema “weather”: fail" and
// the failing paths.
type CheckRow struct {
	Valid    bool
	Head     string
	Failures []structured.Failure
}

// CheckRows are a run's checks, one per checked answer.
func CheckRows(checks []structured.Result) []CheckRow {
	rows := make([]CheckRow, 0, len(checks))
	for i, c := range checks {
		head := "JSON object"
		if c.Mode == "json_schema" {
			head = "JSON schema"
			if c.Name != "" {
				head += " “" + c.Name + "”"
			}
		}
		if len(checks) > 1 {
			head = "Choice " + strconv.Itoa(i) + ": " + head
		}
		if c.Valid {
			head += ": pass"
		} else {
			head += ": fail"
		}
		r := CheckRow{Valid: c.Valid, Head: head}
		if !c.Valid {
			r.Failures = c.Failures
		}
		rows = append(rows, r)
	}
	return rows
}

// DoneEvent adds to a run's done event (its Outcome as JSON) its
// OutcomeView rendered as the history page renders it: "metrics_html"
// and "checks_html" (escaped templ output, which the live panel inserts),
// and with reasoning tokens "reasoning_count". The page formats nothing
// itself. An event it cannot read is returned as it is.
func DoneEvent(data []byte) []byte {
	var o run.Outcome
	if len(data) < 2 || data[len(data)-1] != '}' || json.Unmarshal(data, &o) != nil {
		return data
	}
	return DoneEventOf(&o, data)
}

// DoneEventOf is DoneEvent for a done event whose Outcome is at hand (a
// live run's, run.Run.Ended): the event is not decoded again.
func DoneEventOf(o *run.Outcome, data []byte) []byte {
	if len(data) < 2 || data[len(data)-1] != '}' {
		return data
	}
	v := NewOutcomeView(o)
	var metrics, checks bytes.Buffer
	if RunMetrics(v.Metrics).Render(context.Background(), &metrics) != nil ||
		RunChecks(v.Checks, "schema-check").Render(context.Background(), &checks) != nil {
		return data
	}
	fields := []string{"metrics_html", metrics.String(), "checks_html", checks.String()}
	if v.Timeline != nil {
		var tl bytes.Buffer
		if Timeline(*v.Timeline).Render(context.Background(), &tl) == nil {
			fields = append(fields, "timeline_html", tl.String())
		}
	}
	if v.Reasoning != "" {
		fields = append(fields, "reasoning_count", v.Reasoning)
	}
	return withFields(data, fields...)
}

// PaneName is how a pane is named on a chart: "Pane 2" (panes are
// numbered from 1 for a person).
func PaneName(index int) string { return "Pane " + strconv.Itoa(index+1) }

// GroupChart is a comparison's panes on one timeline chart, once every
// started pane is over ("" before, or when none had output): each pane's
// line, so their speed compares at a glance.
func GroupChart(runs []run.Log) string {
	var lines []TimelineRun
	for _, rn := range runs {
		if rn == nil {
			continue
		}
		evs, over, _ := rn.Since(0)
		if !over {
			return ""
		}
		var o run.Outcome
		if len(evs) > 0 && evs[len(evs)-1].Name == "done" && json.Unmarshal(evs[len(evs)-1].Data, &o) == nil {
			lines = append(lines, TimelineOf(PaneName(rn.Pane()), &o))
		}
	}
	c, ok := NewTimeline(lines)
	if !ok {
		return ""
	}
	var b bytes.Buffer
	if Timeline(c).Render(context.Background(), &b) != nil {
		return ""
	}
	return b.String()
}

// GroupTotal is the total cost of a comparison's runs (those that started) as its page shows it while they run: the runs over
// so far added up exactly, and how many are still running.
func GroupTotal(runs []run.Log) string {
	var outs []*run.Outcome
	panes := 0
	for _, rn := range runs {
		if rn == nil {
			continue
		}
		panes++
		if evs, over, _ := rn.Since(0); over && len(evs) > 0 && evs[len(evs)-1].Name == "done" {
			var o run.Outcome
			if json.Unmarshal(evs[len(evs)-1].Data, &o) == nil {
				outs = append(outs, &o)
			}
		}
	}
	s := TotalCost(outs)
	if s == "" {
		s = "—"
	}
	if len(outs) < panes {
		s += " so far (" + strconv.Itoa(len(outs)) + " of " + strconv.Itoa(panes) + " panes done)"
	}
	return s
}
