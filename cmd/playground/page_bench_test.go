package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var assetRE = regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`)

// BenchmarkPageWeight reports the bytes of the playground page, its CSS
// and its JS, raw and gzipped (as a browser that accepts gzip receives
// them).
func BenchmarkPageWeight(b *testing.B) {
	base := startServer(b, nil)
	var html, css, js, gz float64
	for b.Loop() {
		html, css, js, gz = 0, 0, 0, 0
		page := fetch(b, base+"/")
		html = float64(len(page))
		gz += gzipSize(page)
		for _, m := range assetRE.FindAllStringSubmatch(string(page), -1) {
			body := fetch(b, base+m[1])
			if bytes.HasSuffix([]byte(m[1]), []byte(".css")) || bytes.Contains([]byte(m[1]), []byte(".css?")) {
				css += float64(len(body))
			} else {
				js += float64(len(body))
			}
			gz += gzipSize(body)
		}
	}
	b.ReportMetric(html, "html_B")
	b.ReportMetric(css, "css_B")
	b.ReportMetric(js, "js_B")
	b.ReportMetric(gz, "gzip_total_B")
}

func fetch(tb testing.TB, url string) []byte {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		tb.Fatalf("%s: %d", url, resp.StatusCode)
	}
	return body
}

func gzipSize(b []byte) float64 {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	w.Write(b)
	w.Close()
	return float64(buf.Len())
}

// BenchmarkPageInteractive measures, in headless Chromium, the time from
// navigating to the playground to a form htmx listens to (assets cached
// after the first load, as for a returning person).
func BenchmarkPageInteractive(b *testing.B) {
	base := startServer(b, nil)
	br := newBrowser(b)
	br.run(b, chromedp.Navigate(base+"/"), htmxReady(`#draft`))
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		br.run(b, chromedp.Navigate(base+"/"), htmxReady(`#draft`))
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms_to_interactive")
}
