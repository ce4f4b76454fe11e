package views

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestImageThumbLoadsOnlyInlineData: a person's remote image URL gets a
// link that opens it in a new tab, never an <img> the page would fetch
// (security review, finding 6); inline data is a thumbnail.
func TestImageThumbLoadsOnlyInlineData(t *testing.T) {
	const png = "data:image/png;base64,iVBORw0KGgo="
	tests := map[string]struct {
		url, src, href string
	}{
		"https":     {"https://img.test/cat.png", "", "https://img.test/cat.png"},
		"http":      {"http://127.0.0.1:9/leak?d=x", "", "http://127.0.0.1:9/leak?d=x"},
		"png data":  {png, png, ""},
		"svg data":  {"data:image/svg+xml;base64,PHN2Zz4=", "", ""},
		"not a url": {"javascript:alert(1)", "", ""},
		"empty":     {"", "", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := thumbSrc(tc.url); got != tc.src {
				t.Errorf("thumbSrc = %q, want %q", got, tc.src)
			}
			if got := thumbHref(tc.url); got != tc.href {
				t.Errorf("thumbHref = %q, want %q", got, tc.href)
			}
			var buf bytes.Buffer
			if err := imageThumb(tc.url).Render(context.Background(), &buf); err != nil {
				t.Fatal(err)
			}
			html := buf.String()
			if tc.src == "" && strings.Contains(html, "src=") {
				t.Errorf("an <img> with a src for %q:\n%s", tc.url, html)
			}
			if tc.href != "" && !strings.Contains(html, `target="_blank" rel="noopener noreferrer nofollow"`) {
				t.Errorf("preview link not a new tab without referrer:\n%s", html)
			}
		})
	}
}

func TestImagePromptRow(t *testing.T) {
	if r := imagePromptRow("https://img.test/a.png"); r.Content != "https://img.test/a.png" || r.Image != "https://img.test/a.png" {
		t.Errorf("remote row %+v", r)
	}
	data := "data:image/png;base64," + strings.Repeat("A", 4000)
	if r := imagePromptRow(data); r.Content != "data:image/png (inline data)" || r.Image != data {
		t.Errorf("inline row %+v", r.Content)
	}
}
