package markdown

import (
	"strconv"
	"strings"
	"testing"
)

func TestRenderIsSafe(t *testing.T) {
	tests := map[string]struct {
		in       string
		mustNot  []string
		mustHave []string
	}{
		"script":          {"Hi <script>alert(1)</script>", []string{"<script"}, []string{"Hi"}},
		"img onerror":     {`<img src=x onerror="alert(1)">`, []string{"<img", "onerror=\"alert"}, nil},
		"javascript url":  {"[click](javascript:alert(1))", []string{`href="javascript:`}, []string{"click"}},
		"data html link":  {"[x](data:text/html;base64,PHNjcmlwdD4=)", []string{`href="data:text/html`}, nil},
		"vbscript":        {"[x](vbscript:msgbox)", []string{`href="vbscript:`}, nil},
		"raw html block":  {"<div onclick=\"x()\">a</div>", []string{"<div onclick"}, nil},
		"code is escaped": {"```html\n<script>x</script>\n```", []string{"<script>"}, []string{"&lt;", "chroma"}},
		"gfm table":       {"| a | b |\n|---|---|\n| 1 | 2 |", nil, []string{"<table>"}},
		"https link kept": {"[ok](https://example.com)", nil, []string{`href="https://example.com"`}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out := Render(tc.in)
			for _, bad := range tc.mustNot {
				if strings.Contains(out, bad) {
					t.Errorf("output contains %q:\n%s", bad, out)
				}
			}
			for _, good := range tc.mustHave {
				if !strings.Contains(out, good) {
					t.Errorf("output lacks %q:\n%s", good, out)
				}
			}
			if strings.Contains(out, "style=") {
				t.Errorf("inline style in output (CSP forbids): %s", out)
			}
		})
	}
}

func TestStreamRendersBlocksOnce(t *testing.T) {
	text := "# Title\n\nFirst paragraph\nstill first.\n\n```go\nfunc main() {\n\n\tprintln(1)\n}\n```\n\nLast *one*"
	var s Stream
	var html strings.Builder
	for _, r := range text { // one rune at a time, the worst case
		html.WriteString(s.Write(string(r)))
	}
	if s.Tail() != "Last *one*" {
		t.Errorf("tail %q", s.Tail())
	}
	html.WriteString(s.Flush())
	got := html.String()
	for _, want := range []string{"<h1", "First paragraph<br>", "<pre", "println", "<em>one</em>"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	// The blank line inside the fence did not split the code block.
	if strings.Count(got, "<pre") != 1 {
		t.Errorf("code block split:\n%s", got)
	}
	if got != Render("# Title\n\n")+Render("First paragraph\nstill first.\n\n")+Render("```go\nfunc main() {\n\n\tprintln(1)\n}\n```\n\n")+Render("Last *one*") {
		t.Errorf("streamed HTML differs from rendering the blocks")
	}
}

func TestStreamKeepsLooseListsWhole(t *testing.T) {
	text := "Intro:\n\n1. one\n\n2. two\n   more of two\n\n3. three\n\nAfter."
	var whole Stream
	want := whole.Write(text) + whole.Flush()
	if strings.Count(want, "<ol") != 1 {
		t.Fatalf("loose list split:\n%s", want)
	}
	for size := 1; size <= 7; size++ {
		var s Stream
		var got strings.Builder
		for i := 0; i < len(text); i += size {
			got.WriteString(s.Write(text[i:min(i+size, len(text))]))
		}
		got.WriteString(s.Flush())
		if got.String() != want {
			t.Errorf("pieces of %d:\n%s\nwant\n%s", size, got.String(), want)
		}
	}
}

func TestCSS(t *testing.T) {
	if !strings.Contains(string(CSS()), ".chroma") {
		t.Error("no chroma classes in CSS")
	}
}

func BenchmarkStreamGrowing(b *testing.B) {
	// Cost per event must stay flat as the output grows (docs/performance.md).
	para := strings.Repeat("word ", 40) + "\n\n"
	for _, size := range []int{1 << 10, 64 << 10, 1 << 20} {
		b.Run(byteSize(size), func(b *testing.B) {
			var s Stream
			for n := 0; n < size; n += len(para) {
				s.Write(para)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s.Write("word ")
				if i%40 == 39 {
					s.Write("\n\n")
				}
			}
		})
	}
}

func BenchmarkStreamLongLine(b *testing.B) {
	// A paragraph with no line break yet (a model writing one long line):
	// the cost per event must not grow with the line either.
	for _, size := range []int{1 << 10, 64 << 10, 1 << 20} {
		b.Run(byteSize(size), func(b *testing.B) {
			var s Stream
			s.Write(strings.Repeat("word ", size/5))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s.Write("word ")
			}
		})
	}
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return strconv.Itoa(n>>20) + "MB"
	case n >= 1<<10:
		return strconv.Itoa(n>>10) + "KB"
	}
	return strconv.Itoa(n) + "B"
}
