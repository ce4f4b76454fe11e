package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var simURLRE = regexp.MustCompile(`simulator=(http://127\.0\.0\.1:[0-9]+)`)

// TestBrowserOwnProviderTwoStyles adds, in Settings, a provider of one's
// own that speaks chat and responses (the in-process simulator's OpenAI
// layout), picks a model's style beside it, and runs the model on the
// second style.
func TestBrowserOwnProviderTwoStyles(t *testing.T) {
	srv := startTestServer(t, nil, "--allow-private-upstreams", "--sim-ttft", "20ms", "--sim-tps", "400")
	m := simURLRE.FindStringSubmatch(srv.Log.String())
	if m == nil {
		t.Fatalf("no simulator URL in the log:\n%s", srv.Log.String())
	}
	b := newBrowser(t)
	var settings string
	b.run(t,
		chromedp.Navigate(srv.URL+"/settings"),
		chromedp.WaitVisible(`[data-testid="add-provider"]`, chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid="add-provider"] input[name="name"]`, "Both", chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid="add-provider"] input[name="base_url"]`, m[1]+"/openai/v1", chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid="add-provider"] input[name="key"]`, "sk-both-123456789", chromedp.ByQuery),
		chromedp.Click(`[data-testid="add-provider"] input[name="styles"][value="responses"]`, chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid="add-provider"] [data-testid="header-name"]`, "X-Route", chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid="add-provider"] [data-testid="header-value"]`, "route-7", chromedp.ByQuery),
		chromedp.Submit(`[data-testid="add-provider"]`, chromedp.ByQuery),
		waitText(`[data-testid="flash"]`, "Added Both"),
		chromedp.OuterHTML(`[data-testid="my-providers"]`, &settings, chromedp.ByQuery),
	)
	id := regexp.MustCompile(`data-testid="my-provider-(my-[0-9a-f]{8})"`).FindStringSubmatch(settings)
	if id == nil || !strings.Contains(settings, `data-testid="model-styles"`) || !strings.Contains(settings, "X-Route: $MY_BOTH_X_ROUTE") {
		t.Fatalf("settings row: %s", settings)
	}
	if strings.Contains(settings, "route-7") {
		t.Error("the header's value is shown again")
	}
	b.run(t,
		chromedp.Navigate(srv.URL+"/?provider="+id[1]+"&model=gpt-5-mini"),
		chromedp.WaitVisible(`[data-testid="style-picker"]`, chromedp.ByQuery),
		// gpt-5-mini is a responses model in the catalog: it starts there.
		waitText(`[data-testid="curl"]`, "/openai/v1/responses"),
		waitText(`[data-testid="curl"]`, `"$MY_BOTH_X_ROUTE"`),
		// The picker beside the model moves it to chat, then back.
		pickStyle("chat"),
		waitText(`[data-testid="curl"]`, "/openai/v1/chat/completions"),
		pickStyle("responses"),
		waitText(`[data-testid="curl"]`, "/openai/v1/responses"),
		// It runs on the style it was switched to: the simulator serves
		// its OpenAI layout's models on both styles, as the real API.
		pickStyle("chat"),
		waitText(`[data-testid="curl"]`, "/openai/v1/chat/completions"),
	)
	runsWithAnswer(t, b, "gpt-5-mini on chat")
	// gpt-4o-mini, a chat model in the catalog, runs on responses.
	b.run(t,
		chromedp.Navigate(srv.URL+"/?provider="+id[1]+"&model=gpt-4o-mini"),
		chromedp.WaitVisible(`[data-testid="style-picker"]`, chromedp.ByQuery),
		waitText(`[data-testid="curl"]`, "/openai/v1/chat/completions"),
		pickStyle("responses"),
		waitText(`[data-testid="curl"]`, "/openai/v1/responses"),
	)
	runsWithAnswer(t, b, "gpt-4o-mini on responses")
	// Settings keeps the picker's choice.
	b.run(t,
		chromedp.Navigate(srv.URL+"/settings"),
		chromedp.WaitVisible(`[data-testid="style-choice-gpt-5-mini"]`, chromedp.ByQuery),
	)
	b.noScriptErrors(t)
}

// runsWithAnswer runs the workspace's model and requires it to complete
// with an answer; the curl never shows the header's value.
func runsWithAnswer(t *testing.T, b *browser, what string) {
	t.Helper()
	var previous string
	b.run(t, chromedp.Evaluate(`(document.querySelector('[data-testid="run"]')||{id:""}).id`, &previous))
	b.run(t,
		htmxSettled(),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		// Wait for the new run's panel, not the previous one.
		chromedp.Poll(fmt.Sprintf(`(document.querySelector('[data-testid="run"]')||{id:%q}).id !== %q`, previous, previous), nil,
			chromedp.WithPollingTimeout(10*time.Second)),
		waitTextFor(`[data-testid="run-state"]`, "completed", 30*time.Second),
	)
	var answer, curl string
	b.run(t, text(`[data-testid="answer"]`, &answer), text(`[data-testid="curl"]`, &curl))
	if strings.TrimSpace(answer) == "" {
		t.Errorf("%s: empty answer", what)
	}
	if strings.Contains(curl, "route-7") {
		t.Errorf("%s: the curl shows the header's value", what)
	}
}

// htmxSettled waits until htmx has no request, swap or settle under way.
func htmxSettled() chromedp.Action {
	return chromedp.Poll(`!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')`, nil,
		chromedp.WithPollingTimeout(10*time.Second))
}

// pickStyle picks the style beside the model once the workspace is settled.
func pickStyle(style string) chromedp.Action {
	return chromedp.Tasks{htmxSettled(), htmxReady(`#style`), pick(`#style`, style)}
}
