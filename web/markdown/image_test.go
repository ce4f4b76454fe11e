package markdown

import (
	"regexp"
	"strings"
	"testing"
)

var (
	imgTagRE = regexp.MustCompile(`(?i)<img\b[^>]*>`)
	srcRE    = regexp.MustCompile(`(?i)\bsrc="([^"]*)"`)
)

// fetches lists what an HTML fragment would make a browser load by itself:
// the src of every <img>.
func fetches(out string) []string {
	var srcs []string
	for _, tag := range imgTagRE.FindAllString(out, -1) {
		m := srcRE.FindStringSubmatch(tag)
		if m == nil {
			srcs = append(srcs, "(img without src)")
			continue
		}
		srcs = append(srcs, m[1])
	}
	return srcs
}

const leak = "http://127.0.0.1:9/leak?d=SECRET"

func TestRenderImages(t *testing.T) {
	link := `<a class="md-image" href="` + leak + `" target="_blank" rel="noopener noreferrer nofollow"`
	tests := map[string]struct {
		in       string
		mustHave []string
		img      string // the one <img src> allowed, "" for none
	}{
		"inline http":       {"![x](" + leak + ")", []string{link, ">image: x — 127.0.0.1:9/leak?…</a>"}, ""},
		"inline https":      {"![a cat](https://img.test/cat.png)", []string{`href="https://img.test/cat.png"`, "image: a cat — img.test/cat.png"}, ""},
		"upper-case scheme": {"![x](HTTP://EVIL.TEST/x)", []string{`href="HTTP://EVIL.TEST/x"`, "EVIL.TEST/x"}, ""},
		"angle brackets":    {"![x](<" + leak + ">)", []string{link}, ""},
		"title":             {`![x](https://h.test/a.png "a \"t\"")`, []string{`title="a &quot;t&quot;"`, "image: x — h.test/a.png"}, ""},
		"empty alt":         {"![](https://h.test/a.png)", []string{">image — h.test/a.png</a>"}, ""},
		"alt with markup":   {"![a *b*\n`c` <i>](https://h.test/a.png)", []string{"image: a b c — h.test/a.png"}, ""},
		"reference":         {"![r][ref]\n\n[ref]: " + leak, []string{link, "image: r —"}, ""},
		"collapsed ref":     {"![ref][]\n\n[ref]: " + leak, []string{link}, ""},
		"shortcut ref":      {"![ref]\n\n[ref]: " + leak, []string{link}, ""},
		"ref with title":    {"![r][ref]\n\n[ref]: " + leak + ` "T"`, []string{link, `title="T"`}, ""},
		"inside a link":     {"[![badge](" + leak + ")](https://ci.test/)", []string{`<a href="https://ci.test/" target="_blank" rel="noopener noreferrer nofollow"><span class="md-image">image: badge — 127.0.0.1:9/leak?…</span></a>`}, ""},
		"inside ref link":   {"[![b](" + leak + ")][l]\n\n[l]: https://ci.test/", []string{`<span class="md-image">image: b`}, ""},
		"in a table":        {"| a |\n|---|\n| ![x](" + leak + ") |", []string{link}, ""},
		"in a list":         {"- ![x](" + leak + ")", []string{link}, ""},
		"in a heading":      {"# ![x](" + leak + ")", []string{link}, ""},
		"in emphasis":       {"**![x](" + leak + ")**", []string{link}, ""},
		"long url":          {"![x](https://h.test/" + strings.Repeat("a", 100) + ")", []string{"image: x — h.test/" + strings.Repeat("a", 52) + "…</a>"}, ""},
		"scheme-relative":   {"![x](//evil.test/x.png)", []string{`<span class="md-image">image: x — //evil.test/x.png</span>`}, ""},
		"relative":          {"![x](/healthz)", []string{`<span class="md-image">image: x — /healthz</span>`}, ""},
		"javascript":        {"![x](javascript:alert(1))", []string{`<span class="md-image">image: x — javascript:alert(1)</span>`}, ""},
		"entity javascript": {"![x](javascript&colon;alert(1))", []string{`<span class="md-image">`}, ""},
		"file":              {"![x](file:///etc/passwd)", []string{`<span class="md-image">`}, ""},
		"svg data":          {"![x](data:image/svg+xml;base64,PHN2Zz4=)", []string{`<span class="md-image">image: x — data:image/svg+xml</span>`}, ""},
		"html data":         {"![x](data:text/html;base64,PHNjcmlwdD4=)", []string{`<span class="md-image">image: x — data:text/html</span>`}, ""},
		"png data":          {"![x](data:image/png;base64,iVBORw0KGgo=)", []string{`<img src="data:image/png;base64,iVBORw0KGgo=" alt="x">`}, "data:image/png;base64,iVBORw0KGgo="},
		"jpeg data upper":   {"![x](DATA:IMAGE/JPEG;base64,AAAA)", nil, "DATA:IMAGE/JPEG;base64,AAAA"},
		"webp data":         {"![x](data:image/webp;base64,AAAA)", nil, "data:image/webp;base64,AAAA"},
		"png-like type":     {"![x](data:image/pngx;base64,AAAA)", []string{`<span class="md-image">`}, ""},
		"raw img":           {`<img src="` + leak + `">`, []string{"<!-- raw HTML omitted -->"}, ""},
		"raw img block":     {`<p><img src="` + leak + `"></p>`, []string{"<!-- raw HTML omitted -->"}, ""},
		"raw picture":       {`<picture><source srcset="` + leak + `"></picture>`, nil, ""},
		"autolink":          {"<" + leak + ">", []string{`<a href="` + leak + `" target="_blank" rel="noopener noreferrer nofollow">`}, ""},
		"bare url":          {"see https://img.test/a.png", []string{`<a href="https://img.test/a.png" target="_blank" rel="noopener noreferrer nofollow">`}, ""},
		"www url":           {"see www.img.test/a.png", []string{`target="_blank" rel="noopener noreferrer nofollow"`}, ""},
		"plain link":        {"[ok](https://example.com)", []string{`<a href="https://example.com" target="_blank" rel="noopener noreferrer nofollow">ok</a>`}, ""},
		"code span":         {"`![x](" + leak + ")`", []string{"<code>![x](" + leak + ")</code>"}, ""},
		"escaped":           {`\![x](` + leak + `)`, []string{`!<a href="` + leak + `"`}, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out := Render(tc.in)
			for _, good := range tc.mustHave {
				if !strings.Contains(out, good) {
					t.Errorf("output lacks %q:\n%s", good, out)
				}
			}
			got := fetches(out)
			switch {
			case tc.img == "" && len(got) > 0:
				t.Errorf("output loads %q:\n%s", got, out)
			case tc.img != "" && (len(got) != 1 || got[0] != tc.img):
				t.Errorf("output loads %q, want only %q:\n%s", got, tc.img, out)
			}
			if strings.Contains(out, "srcset") && !strings.Contains(out, "&lt;") {
				t.Errorf("srcset in output:\n%s", out)
			}
		})
	}
}

func TestStreamedImagesFetchNothing(t *testing.T) {
	// (A reference defined in a later group stays text while streaming; the
	// history page renders the whole answer and resolves it.)
	text := "Look:\n\n![x](" + leak + ")\n\n![r][ref]\n\n[![b](" + leak + ")](https://ci.test/) ![c](" + leak + ")\n\n[ref]: " + leak + "\n"
	for size := 1; size <= 5; size++ {
		var s Stream
		var out strings.Builder
		for i := 0; i < len(text); i += size {
			out.WriteString(s.Write(text[i:min(i+size, len(text))]))
		}
		out.WriteString(s.Flush())
		if got := fetches(out.String()); len(got) > 0 {
			t.Errorf("pieces of %d load %q:\n%s", size, got, out.String())
		}
		if n := strings.Count(out.String(), `class="md-image"`); n != 3 {
			t.Errorf("pieces of %d: %d image links, want 3:\n%s", size, n, out.String())
		}
	}
}

func TestInlineImage(t *testing.T) {
	tests := map[string]bool{
		"data:image/png;base64,AAAA":  true,
		"data:image/gif,GIF89a":       true,
		"Data:Image/JPEG;base64,AAAA": true,
		"data:image/avif;base64,AAAA": true,
		"data:image/svg+xml,<svg/>":   false,
		"data:image/png":              false,
		"data:text/html,<b>":          false,
		"https://img.test/a.png":      false,
		"":                            false,
	}
	for in, want := range tests {
		if got := InlineImage(in); got != want {
			t.Errorf("InlineImage(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestLinkableURL(t *testing.T) {
	tests := map[string]bool{
		"https://img.test/a.png":   true,
		"HTTP://img.test":          true,
		"//img.test/a.png":         false,
		"/a.png":                   false,
		"javascript:alert(1)":      false,
		"data:image/png;base64,AA": false,
		"https:///nohost":          false,
		"ftp://img.test/a.png":     false,
	}
	for in, want := range tests {
		if got := LinkableURL(in); got != want {
			t.Errorf("LinkableURL(%q) = %v, want %v", in, got, want)
		}
	}
}
