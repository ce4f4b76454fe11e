package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// audioPlayable waits until the page's audio element under sel has
// loaded its metadata, and reports its duration in seconds.
func audioPlayable(t *testing.T, b *browser, sel string) float64 {
	t.Helper()
	var duration float64
	b.run(t,
		chromedp.WaitReady(sel, chromedp.ByQuery),
		chromedp.Poll(`(() => { const a = document.querySelector(`+"`"+sel+"`"+`);
			return !!a && (a.readyState >= 1 || !!a.error); })()`, nil, chromedp.WithPollingTimeout(15*time.Second)),
		chromedp.Evaluate(`(() => { const a = document.querySelector(`+"`"+sel+"`"+`);
			return a.error ? -1 : a.duration; })()`, &duration),
	)
	return duration
}

// TestBrowserAudioAnswer asks the simulator for a spoken answer (seed
// 002's modalities and audio): the transcript shows as the answer, the
// audio plays in the page (its <audio> has a duration), and the
// history page plays it too. A bad audio object is refused next to the
// field, and the audio modality without it.
func TestBrowserAudioAnswer(t *testing.T) {
	b := openOnSimulator(t)
	b.run(t,
		pick(`#model`, "seed002.gpt-5.4"),
		chromedp.WaitReady(`#f-audio`, chromedp.ByQuery),
		htmxReady(`#draft`),
		chromedp.Evaluate(`document.querySelector('[data-testid="advanced"]').open = true`, nil),
	)
	var placeholder string
	b.run(t, chromedp.AttributeValue(`#f-audio`, "placeholder", &placeholder, nil, chromedp.ByQuery))
	if !strings.Contains(placeholder, `"format": "wav"`) {
		t.Errorf("the audio field's placeholder is %q", placeholder)
	}
	// The audio modality without the audio object, and a bad voice, are
	// refused next to the field.
	b.run(t,
		chromedp.Evaluate(`document.querySelector('input[name="modalities"][value="audio"]').click()`, nil),
		waitText(`#err-audio`, "Required when modalities includes audio."),
		setValue(`#f-audio`, `{"voice": "robot", "format": "wav"}`),
		waitText(`#err-audio`, `voice "robot" is not one of alloy`),
	)
	// metricLines are the label: value lines of the metrics under sel.
	metricLines := func(sel string) []string {
		var lines []string
		b.run(t, chromedp.Evaluate(`[...document.querySelectorAll('`+sel+` dd')].map(d => d.previousElementSibling.textContent + ': ' + d.textContent)`, &lines))
		return lines
	}
	var live []string // the last run's metrics, as its panel shows them
	for _, format := range []string{"wav", "pcm16"} {
		t.Run(format, func(t *testing.T) {
			var previous string
			b.run(t, chromedp.Evaluate(`(document.querySelector('[data-testid="run"]')||{id:""}).id`, &previous))
			b.run(t,
				chromedp.Evaluate(`(() => { const c = document.querySelector('input[name="modalities"][value="audio"]');
					if (!c.checked) c.click(); })()`, nil),
				setValue(`#f-audio`, `{"voice": "alloy", "format": "`+format+`"}`),
				waitText(`[data-testid="curl"]`, `"format": "`+format+`"`),
				chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
				// The new run's panel, not the previous one.
				chromedp.Poll(fmt.Sprintf(`(document.querySelector('[data-testid="run"]')||{id:%q}).id !== %q`, previous, previous), nil,
					chromedp.WithPollingTimeout(10*time.Second)),
				waitTextFor(`[data-testid="run-state"]`, "completed", 30*time.Second),
				chromedp.WaitVisible(`[data-testid="audio-answer"]`, chromedp.ByQuery),
			)
			var answer, label string
			b.run(t, text(`[data-testid="answer"]`, &answer), text(`[data-testid="audio-answer"]`, &label))
			if len(strings.Fields(answer)) < 3 {
				t.Errorf("transcript %q", answer)
			}
			if !strings.Contains(strings.ToLower(label), "transcript") {
				t.Errorf("label %q", label)
			}
			if d := audioPlayable(t, b, `[data-testid="run"] audio`); d <= 0.3 {
				t.Errorf("the answer's audio has duration %v", d)
			}
			var metrics string
			b.run(t, text(`[data-testid="metrics"]`, &metrics))
			if !strings.Contains(metrics, "audio tokens") {
				t.Errorf("metrics %q", metrics)
			}
			live = metricLines(`[data-testid="run"] [data-testid="metrics"]`)
		})
	}
	// The history keeps it, playable.
	b.run(t,
		chromedp.Click(`[data-testid="history-link"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="record-audio"]`, chromedp.ByQuery),
	)
	if d := audioPlayable(t, b, `[data-testid="record-audio"] audio`); d <= 0.3 {
		t.Errorf("the history's audio has duration %v", d)
	}
	// The stored page shows what the live panel showed, line by line
	// (the audio part of the cost among them).
	if stored := metricLines(`[data-testid="record-metrics"]`); strings.Join(stored, "\n") != strings.Join(live, "\n") ||
		!strings.Contains(strings.Join(stored, "\n"), "Audio: ") {
		t.Errorf("the history's metrics:\n%s\nthe live panel's:\n%s", strings.Join(stored, "\n"), strings.Join(live, "\n"))
	}
	b.noScriptErrors(t)
}
