package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds the browser for the browser tests. They never skip:
// without a browser they fail and say how to install one.
func chromiumPath(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("PLAYGROUND_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	tb.Fatal("browser tests need Chromium: apt-get install -y chromium (or set PLAYGROUND_CHROMIUM)")
	return ""
}

// browser is one headless Chromium tab that records script errors.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func newBrowser(tb testing.TB) *browser {
	tb.Helper()
	return newBrowserWithin(tb, 90*time.Second)
}

// newBrowserWithin is newBrowser for a test that needs the tab longer.
func newBrowserWithin(tb testing.TB, limit time.Duration) *browser {
	tb.Helper()
	// Chromium may still be writing its profile while it exits, so the
	// profile is removed best-effort rather than by t.TempDir.
	profile, err := os.MkdirTemp("", "playground-chromium-")
	if err != nil {
		tb.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(tb)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1400, 1000),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, limit)
	tb.Cleanup(func() { cancelT(); cancelC(); cancelA(); os.RemoveAll(profile) })
	b := &browser{ctx: ctx}
	chromedp.ListenTarget(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			b.record("exception: " + e.ExceptionDetails.Error())
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value))
				}
				b.record("console.error: " + strings.Join(parts, " "))
			}
		}
	})
	if err := chromedp.Run(ctx); err != nil {
		tb.Fatalf("starting chromium: %v", err)
	}
	return b
}

func (b *browser) record(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errors = append(b.errors, s)
}

// run runs actions and fails the test on error.
func (b *browser) run(tb testing.TB, actions ...chromedp.Action) {
	tb.Helper()
	if err := chromedp.Run(b.ctx, actions...); err != nil {
		tb.Fatalf("browser: %v", err)
	}
}

// noScriptErrors fails when the page threw or logged an error (a CSP
// violation by htmx, for example).
func (b *browser) noScriptErrors(tb testing.TB) {
	tb.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.errors) > 0 {
		tb.Errorf("script errors on the page:\n%s", strings.Join(b.errors, "\n"))
	}
}

// waitText waits until the element's text contains want.
func waitText(sel, want string) chromedp.Action { return waitTextFor(sel, want, 10*time.Second) }

// waitTextFor is waitText with its own time limit.
func waitTextFor(sel, want string, limit time.Duration) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		deadline := time.Now().Add(limit)
		var got string
		for time.Now().Before(deadline) {
			js := fmt.Sprintf(`(document.querySelector(%q)||{textContent:""}).textContent`, sel)
			if err := chromedp.Run(ctx, chromedp.Evaluate(js, &got)); err == nil && strings.Contains(got, want) {
				return nil
			}
			time.Sleep(50 * time.Millisecond)
		}
		return fmt.Errorf("%s: text %q never contained %q", sel, got, want)
	})
}

// waitGone waits until no element matches sel.
func waitGone(sel string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			var n int
			if err := chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf("document.querySelectorAll(%q).length", sel), &n)); err == nil && n == 0 {
				return nil
			}
			time.Sleep(50 * time.Millisecond)
		}
		return fmt.Errorf("%s is still on the page", sel)
	})
}

// pick selects a value in a <select> as a person would (firing change).
func pick(sel, value string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q;
		s.dispatchEvent(new Event('input', {bubbles: true})); s.dispatchEvent(new Event('change', {bubbles: true})); })()`, sel, value), nil)
}

// typeInto replaces an input's value by typing, as a person would after
// selecting its text.
func typeInto(sel, value string) chromedp.Action {
	return chromedp.Tasks{
		chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).value = ""`, sel), nil),
		chromedp.SendKeys(sel, value, chromedp.ByQuery),
	}
}

func text(sel string, out *string) chromedp.Action {
	return chromedp.Text(sel, out, chromedp.ByQuery)
}

func TestBrowserFormFromSchema(t *testing.T) {
	base := startServer(t, nil)
	b := newBrowser(t)

	// Load the page on the seed 001 chat model.
	b.run(t,
		chromedp.Navigate(base+"/?provider=evolink&model=gpt-5.4"),
		chromedp.WaitVisible(`[data-testid="draft-form"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="copy-curl"]`, chromedp.ByQuery),
	)
	var curlText string
	b.run(t, text(`[data-testid="curl"]`, &curlText))
	if !strings.Contains(curlText, "direct.evolink.ai") || !strings.Contains(curlText, "$EVOLINK_API_KEY") {
		t.Fatalf("initial curl:\n%s", curlText)
	}
	var n int
	b.run(t, chromedp.Evaluate(`document.querySelectorAll('[name="top_k"]').length`, &n))
	if n != 1 {
		t.Fatalf("top_k inputs: %d", n)
	}

	// Set the temperature out of range: the error shows next to it, the curl goes.
	b.run(t,
		chromedp.SendKeys(`#f-temperature`, "3", chromedp.ByQuery),
		waitText(`#err-temperature`, "Must be between 0 and 2."),
		waitText(`[data-testid="curl-panel"]`, "Fix the highlighted fields"),
	)
	// Fix it: the curl comes back with the value.
	b.run(t,
		typeInto(`#f-temperature`, "1.25"),
		waitText(`[data-testid="curl"]`, `"temperature": 1.25`),
	)
	var errText string
	b.run(t, text(`#err-temperature`, &errText))
	if errText != "" {
		t.Errorf("error still shown: %q", errText)
	}

	// Change the prompt: curl and estimate follow.
	var tokensBefore, tokensAfter string
	b.run(t, text(`[data-testid="prompt-tokens"]`, &tokensBefore))
	b.run(t,
		chromedp.SendKeys(`textarea[name="messages.content"]`, " Then compare it with quantum mechanics in great detail, please.", chromedp.ByQuery),
		waitText(`[data-testid="curl"]`, "quantum mechanics in great detail"),
	)
	b.run(t, text(`[data-testid="prompt-tokens"]`, &tokensAfter))
	if tokensAfter == tokensBefore {
		t.Errorf("estimate did not change: %s", tokensAfter)
	}

	// Add an image row: curl gets an image_url part.
	b.run(t,
		chromedp.Click(`[data-testid="add-image_urls"]`, chromedp.ByQuery),
		chromedp.SendKeys(`input[name="image_urls.url"]`, "https://example.com/cat.png", chromedp.ByQuery),
		waitText(`[data-testid="curl"]`, `"image_url": {`),
		waitText(`[data-testid="estimate"]`, "image tokens"),
	)

	// Switch to the seed 003 Responses model: top_k goes, verbosity comes,
	// and the page does not reload (the marker survives).
	b.run(t,
		chromedp.Evaluate(`window.__noReload = true`, nil),
		pick(`#provider`, "respgw"),
		waitGone(`[name="top_k"]`),
		chromedp.WaitVisible(`[name="verbosity"]`, chromedp.ByQuery),
		waitText(`[data-testid="curl"]`, `/responses`),
	)
	var still bool
	b.run(t, chromedp.Evaluate(`window.__noReload === true`, &still))
	if !still {
		t.Error("switching model reloaded the page")
	}
	var loc string
	b.run(t, chromedp.Location(&loc))
	if !strings.Contains(loc, "provider=respgw") {
		t.Errorf("URL not updated: %s", loc)
	}

	// Choosing an enum value lands at its target path.
	b.run(t,
		pick(`select[name="verbosity"]`, "low"),
		waitText(`[data-testid="curl"]`, `"verbosity": "low"`),
	)

	// The copy button copies (Clipboard API or the fallback) and says so.
	b.run(t,
		chromedp.Click(`[data-testid="copy-curl"]`, chromedp.ByQuery),
		waitText(`[data-testid="copy-curl"]`, "Copied"),
	)
	b.noScriptErrors(t)
}

func TestBrowserSwitchKeepsSharedValues(t *testing.T) {
	base := startServer(t, nil)
	b := newBrowser(t)
	b.run(t,
		chromedp.Navigate(base+"/?provider=evolink&model=gpt-5.4"),
		chromedp.WaitVisible(`#f-temperature`, chromedp.ByQuery),
		chromedp.SendKeys(`#f-temperature`, "1.5", chromedp.ByQuery),
		waitText(`[data-testid="curl"]`, `"temperature": 1.5`),
		pick(`#provider`, "chatgw"),
		waitGone(`[name="top_k"]`),
		chromedp.WaitVisible(`[name="reasoning_effort"]`, chromedp.ByQuery),
		waitText(`[data-testid="curl"]`, `"temperature": 1.5`),
	)
	var v string
	b.run(t, chromedp.Value(`#f-temperature`, &v, chromedp.ByQuery))
	if v != "1.5" {
		t.Errorf("temperature after switch = %q", v)
	}
	// The estimate shows CNY and credits on seed 000.
	b.run(t,
		pick(`#provider`, "apimodels"),
		waitText(`[data-testid="estimate"]`, "¥"),
		waitText(`[data-testid="estimate"]`, "credits"),
	)
	// Reload brings the last model back (kept in the session).
	b.run(t,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`[data-testid="draft-form"]`, chromedp.ByQuery),
	)
	var model string
	b.run(t, chromedp.Value(`#provider`, &model, chromedp.ByQuery))
	if model != "apimodels" {
		t.Errorf("after reload provider = %q", model)
	}
	b.noScriptErrors(t)
}
