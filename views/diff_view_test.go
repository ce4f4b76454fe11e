package views

import (
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/playground-dev/playground/web/compare"
)

// renderDiff renders the diff view of a and b.
func renderDiff(t *testing.T, a, b string, only bool) (*goquery.Document, Diff) {
	t.Helper()
	d := NewDiff("Pane 1", "Pane 2", compare.Side{}, compare.Side{}, compare.Diff(a, b, compare.DiffLimits{}), only)
	var sb strings.Builder
	if err := DiffView(d).Render(context.Background(), &sb); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(sb.String()))
	if err != nil {
		t.Fatal(err)
	}
	return doc, d
}

// html reads text as the page's parser does: CR LF and a lone CR are a
// line feed.
func html(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// columnText is the text of the side-by-side column sel ("diff-left" or
// "diff-right"), folds included, in order.
func columnText(doc *goquery.Document, left bool) string {
	var sb strings.Builder
	doc.Find(`[data-testid="diff-split"] > *`).Each(func(i int, row *goquery.Selection) {
		if i == 0 {
			return // the column heads
		}
		if row.HasClass("diff-fold-row") {
			sb.WriteString(row.Find(".diff-fold-text .diff-col").First().Text())
			return
		}
		col := `[data-testid="diff-right"]`
		if left {
			col = `[data-testid="diff-left"]`
		}
		sb.WriteString(row.Find(col).Text())
	})
	return sb.String()
}

// inlineText is the inline diff's text without the runs of op ("del" or
// "ins") and without the fold lines.
func inlineText(doc *goquery.Document, without string) string {
	var sb strings.Builder
	doc.Find(`[data-testid="diff-inline"]`).Children().Each(func(_ int, s *goquery.Selection) {
		switch {
		case s.HasClass("diff-fold"):
			sb.WriteString(s.Find(".diff-fold-text").Text())
		case goquery.NodeName(s) != without:
			sb.WriteString(s.Text())
		}
	})
	return sb.String()
}

// TestDiffViewKeepsTheText: each column of the side-by-side diff spells
// its pane's text, and the inline diff both, to the byte (as the page
// reads it): many spaces, tabs, CRLF, a lone CR, characters outside the
// BMP and markup survive, folded or not.
func TestDiffViewKeepsTheText(t *testing.T) {
	long := strings.Repeat("the same words again and again, ", 12)
	for name, tc := range map[string]struct{ a, b string }{
		"spaces":    {"Gravity  is   not a force.", "Gravity holds    the planets."},
		"tabs":      {"a\tb\t\tc", "a\tb\tc\t"},
		"crlf":      {"line one\r\nline two\r\n", "line one\nline 2\r\n"},
		"lone cr":   {"one\rtwo", "one\r\ntwo"},
		"non-bmp":   {"I 🦦 otters 𝒳 café", "I 🐟 otters 𝒴 cafe"},
		"script":    {"<script>alert(1)</script> & <b>", "<script>alert(2)</script> &amp; <i>"},
		"newlines":  {"a\n\n\nb", "a\nb\n\n"},
		"long same": {long + "old end\n" + long, long + "new end\n" + long},
		"empty":     {"", "all new\n"},
	} {
		for _, only := range []bool{false, true} {
			doc, _ := renderDiff(t, tc.a, tc.b, only)
			if got := columnText(doc, true); got != html(tc.a) {
				t.Errorf("%s (only %v): the left column reads\n%q, want\n%q", name, only, got, html(tc.a))
			}
			if got := columnText(doc, false); got != html(tc.b) {
				t.Errorf("%s (only %v): the right column reads\n%q, want\n%q", name, only, got, html(tc.b))
			}
			if got := inlineText(doc, "ins"); got != html(tc.a) {
				t.Errorf("%s (only %v): inline without insertions reads\n%q, want\n%q", name, only, got, html(tc.a))
			}
			if got := inlineText(doc, "del"); got != html(tc.b) {
				t.Errorf("%s (only %v): inline without deletions reads\n%q, want\n%q", name, only, got, html(tc.b))
			}
			if doc.Find("script").Length() != 0 || doc.Find("b, i").Length() != 0 {
				t.Errorf("%s: markup of the answer became markup", name)
			}
		}
	}
}

// TestDiffViewFolds: with only differences, a long unchanged stretch is a
// line with its count in both layouts (one fold row side by side), its
// text kept to open in place; without, nothing folds.
func TestDiffViewFolds(t *testing.T) {
	long := strings.Repeat("same words here ", 20) // 60 words
	a, b := long+"old ending "+long, long+"new ending "+long
	doc, d := renderDiff(t, a, b, true)
	folds := doc.Find(`[data-testid="diff-split"] [data-testid="diff-fold"]`)
	if folds.Length() != 2 || doc.Find(`[data-testid="diff-inline"] [data-testid="diff-fold"]`).Length() != 2 {
		t.Fatalf("%d folds side by side, want 2 (before and after the change)", folds.Length())
	}
	if got := folds.First().Text(); got != "… 56 unchanged words …" {
		t.Errorf("fold line %q", got)
	}
	ids := map[string]bool{}
	doc.Find(`[data-testid="diff-fold-switch"]`).Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("id")
		label := doc.Find(`label[for="` + id + `"]`)
		if ids[id] || label.Length() != 1 {
			t.Errorf("fold switch %q: unique %v, %d labels", id, !ids[id], label.Length())
		}
		ids[id] = true
	})
	if !d.Only || d.Removed != 1 || d.Added != 1 || d.Counts() != "1 word removed, 1 added" {
		t.Errorf("only %v, counts %q", d.Only, d.Counts())
	}
	if doc, _ := renderDiff(t, a, b, false); doc.Find(`[data-testid="diff-fold"]`).Length() != 0 {
		t.Error("folds without only differences")
	}
	// A change of spaces only is marked, the mark not part of the text.
	doc, _ = renderDiff(t, "a b", "a\nb", false)
	if m, _ := doc.Find(`[data-testid="diff-split"] ins.diff-blank`).Attr("data-blank"); m != "⏎" {
		t.Errorf("a changed line break is marked %q", m)
	}
}
