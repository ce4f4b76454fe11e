package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// runOnce sets the temperature, runs, and returns the finished answer.
func runOnce(t *testing.T, b *browser, temperature string) string {
	t.Helper()
	var previous string
	b.run(t, chromedp.Evaluate(`(document.querySelector('[data-testid="run"]')||{id:""}).id`, &previous))
	b.run(t,
		typeInto(`#f-temperature`, temperature),
		waitText(`[data-testid="curl"]`, `"temperature": `+temperature),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		// Wait for the new run's panel, not the previous one.
		chromedp.Poll(fmt.Sprintf(`(document.querySelector('[data-testid="run"]')||{id:%q}).id !== %q`, previous, previous), nil,
			chromedp.WithPollingTimeout(10*time.Second)),
		waitTextFor(`[data-testid="run-state"]`, "completed", 30*time.Second),
		waitText(`[data-testid="metrics"]`, "Cost"),
	)
	var answer string
	b.run(t, text(`[data-testid="answer"]`, &answer))
	if strings.TrimSpace(answer) == "" {
		t.Fatal("empty answer")
	}
	return answer
}

// TestBrowserSimulatorTemperature runs on the built-in simulator, offline
// and with no configuration: temperature 0 twice gives the same text,
// temperature 1.5 a different one.
func TestBrowserSimulatorTemperature(t *testing.T) {
	b := openOnSimulator(t)
	var provider string
	b.run(t, chromedp.Value(`#provider`, &provider, chromedp.ByQuery))
	if provider != "sim" {
		t.Fatalf("with no keys the page opens on %q, want the simulator", provider)
	}
	b.run(t,
		pick(`#model`, "seed002.deepseek-v4-pro"),
		waitText(`[data-testid="curl"]`, `"model": "deepseek-v4-pro"`),
		waitText(`[data-testid="curl"]`, "$SIMULATOR_API_KEY"),
	)
	first := runOnce(t, b, "0")
	second := runOnce(t, b, "0")
	if first != second {
		t.Errorf("temperature 0 gave different answers:\n%s\n%s", first, second)
	}
	hot := runOnce(t, b, "1.5")
	if hot == first {
		t.Errorf("temperature 1.5 gave the temperature 0 answer")
	}
	var reasoning string
	b.run(t, chromedp.Evaluate(`document.querySelector('[data-testid="reasoning"]').textContent`, &reasoning))
	if !strings.HasPrefix(reasoning, "Let me think") {
		t.Errorf("reasoning %q", reasoning)
	}
	b.run(t, waitText(`[data-testid="run"]`, "Simulated"))
	b.noScriptErrors(t)
}
