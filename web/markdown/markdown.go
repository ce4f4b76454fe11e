// Package markdown is the one gate through which model output becomes
// HTML: a single goldmark instance with GFM and code highlighting, which
// escapes raw HTML and drops dangerous links (goldmark's default; the
// unsafe option is never set), renders remote images as links (image.go)
// and opens links in a new tab without a referrer. Its output is the only
// HTML from a model that the page inserts as HTML, and it makes the
// browser fetch nothing by itself.
package markdown

import (
	"bytes"
	"strings"

	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/styles"
	"github.com/yuin/goldmark"
	highlighting "github.com/yuin/goldmark-highlighting/v2"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// style is the chroma style of code blocks; CSS() serves its classes.
const style = "github"

var md = goldmark.New(
	goldmark.WithExtensions(
		extension.GFM,
		highlighting.NewHighlighting(
			highlighting.WithStyle(style),
			// Classes, not inline styles: the page's CSP allows no style attributes.
			highlighting.WithFormatOptions(chromahtml.WithClasses(true)),
		),
	),
	goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(linkAttributes{}, 1000))),
	goldmark.WithRendererOptions(
		html.WithHardWraps(),
		// Before goldmark's own renderer (priority 1000), so it replaces <img>.
		renderer.WithNodeRenderers(util.Prioritized(imageRenderer{}, 100)),
	),
)

// Render returns the HTML of a markdown text.
func Render(src string) string {
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		return "<pre>" + htmlEscape(src) + "</pre>"
	}
	return buf.String()
}

// CSS returns the stylesheet for highlighted code blocks.
func CSS() []byte {
	var buf bytes.Buffer
	f := chromahtml.New(chromahtml.WithClasses(true))
	_ = f.WriteCSS(&buf, styles.Get(style))
	return buf.Bytes()
}

func htmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")
	return r.Replace(s)
}

// Stream renders markdown that arrives in pieces. A blank line outside a
// code fence ends a group of blocks once the next line starts a new,
// unindented block that is not a list item (so a loose list or an indented
// continuation stays whole); each completed group is rendered once and never
// again, and the rest stays a plain-text tail. The output does not depend on
// how the text was cut into pieces, and the total work is linear in its
// length.
type Stream struct {
	pending    strings.Builder // text since the last rendered boundary
	scanned    int             // bytes of pending already scanned for lines
	searched   int             // bytes of pending known to hold no newline after scanned
	fence      string          // the open fence marker (``` or ~~~), if any
	tentative  int             // end of a blank line that may end a group
	boundaries []int           // confirmed group ends, in pending
}

// Write adds text and returns the HTML of the groups it completed ("" when
// none).
func (s *Stream) Write(text string) string {
	s.pending.WriteString(text)
	p := s.pending.String()
	for {
		// A long line arriving in many pieces is searched once, not once
		// a piece.
		from := max(s.scanned, s.searched)
		nl := strings.IndexByte(p[from:], '\n')
		if nl < 0 {
			s.searched = len(p)
			break
		}
		nl += from - s.scanned
		line := p[s.scanned : s.scanned+nl]
		start := s.scanned
		s.scanned += nl + 1
		s.line(line, start)
	}
	// A partial next line already tells, by its first character, that it
	// starts an unindented block that is not a list item.
	if s.tentative > 0 && s.fence == "" && s.scanned < len(p) {
		if c := p[s.scanned]; !strings.ContainsRune(" \t\r-*+0123456789", rune(c)) {
			s.boundaries = append(s.boundaries, s.tentative)
			s.tentative = 0
		}
	}
	if len(s.boundaries) == 0 {
		return ""
	}
	var out strings.Builder
	prev := 0
	for _, b := range s.boundaries {
		out.WriteString(Render(p[prev:b]))
		prev = b
	}
	rest := p[prev:]
	s.pending.Reset()
	s.pending.WriteString(rest)
	s.scanned -= prev
	s.searched = max(s.searched-prev, 0)
	if s.tentative > 0 {
		s.tentative -= prev
	}
	s.boundaries = s.boundaries[:0]
	return out.String()
}

// line tracks fences and group boundaries; start is the line's offset.
func (s *Stream) line(line string, start int) {
	trimmed := strings.TrimLeft(line, " ")
	indent := len(line) - len(trimmed)
	blank := strings.TrimSpace(line) == ""
	if s.fence == "" && !blank && s.tentative > 0 {
		if indent == 0 && !isListItem(trimmed) {
			s.boundaries = append(s.boundaries, s.tentative)
		}
		s.tentative = 0
	}
	if indent <= 3 {
		for _, marker := range []string{"```", "~~~"} {
			if strings.HasPrefix(trimmed, marker) {
				switch {
				case s.fence == "":
					s.fence = marker
				case s.fence == marker && strings.TrimSpace(strings.TrimLeft(trimmed, marker[:1])) == "":
					s.fence = ""
				}
				return
			}
		}
	}
	if s.fence == "" && blank {
		s.tentative = start + len(line) + 1
	}
}

// isListItem reports whether a line starts a list item: "- ", "* ", "+ ",
// "1. " or "1) ".
func isListItem(t string) bool {
	if len(t) >= 2 && (t[0] == '-' || t[0] == '*' || t[0] == '+') && (t[1] == ' ' || t[1] == '\t') {
		return true
	}
	i := 0
	for i < len(t) && i < 9 && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	return i > 0 && i+1 < len(t) && (t[i] == '.' || t[i] == ')') && (t[i+1] == ' ' || t[i+1] == '\t')
}

// Tail is the text not rendered yet.
func (s *Stream) Tail() string { return s.pending.String() }

// Flush renders what is left and empties the stream.
func (s *Stream) Flush() string {
	rest := s.pending.String()
	s.pending.Reset()
	s.scanned, s.searched, s.tentative, s.fence, s.boundaries = 0, 0, 0, "", s.boundaries[:0]
	if strings.TrimSpace(rest) == "" {
		return ""
	}
	return Render(rest)
}
