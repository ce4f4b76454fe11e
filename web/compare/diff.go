package compare

import (
	"net/url"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// Op is what a diff segment is.
type Op int

// Diff operations.
const (
	Equal Op = iota
	Removed
	Added
)

// Segment is a run of words that both texts share, or only one has.
type Segment struct {
	Op   Op
	Text string
	// Elided is set on an Equal segment shortened for "only differences".
	Elided bool
}

// maxDiffTokens bounds the words compared; longer texts are cut (the diff
// of two 1 MB answers is not worth a page).
const maxDiffTokens = 200_000

// Words diffs a and b word by word: words, runs of spaces and single
// punctuation marks are the units, so a changed word shows as one word
// removed and one added. It uses diffmatchpatch (Myers' algorithm) on the
// texts with each distinct token mapped to one rune.
func Words(a, b string) []Segment {
	ta, tb := splitWords(a), splitWords(b)
	dict := map[string]rune{}
	var back []string
	enc := func(ts []string) []rune {
		out := make([]rune, len(ts))
		for i, t := range ts {
			r, ok := dict[t]
			if !ok {
				r = tokenRune(len(back))
				dict[t] = r
				back = append(back, t)
			}
			out[i] = r
		}
		return out
	}
	ra, rb := enc(ta), enc(tb)
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0 // exact
	var out []Segment
	for _, d := range dmp.DiffMainRunes(ra, rb, false) {
		var sb strings.Builder
		for _, r := range d.Text {
			sb.WriteString(back[runeIndex(r)])
		}
		op := Equal
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			op = Removed
		case diffmatchpatch.DiffInsert:
			op = Added
		}
		if n := len(out); n > 0 && out[n-1].Op == op {
			out[n-1].Text += sb.String()
			continue
		}
		out = append(out, Segment{Op: op, Text: sb.String()})
	}
	return out
}

// Token runes start after ASCII and skip the surrogate range, which is no
// valid rune.
func tokenRune(i int) rune {
	r := rune(0x100 + i)
	if r >= 0xD800 {
		r += 0x800
	}
	return r
}

func runeIndex(r rune) int {
	if r >= 0xE000 {
		r -= 0x800
	}
	return int(r - 0x100)
}

// splitWords splits s into words (letters and digits), runs of spaces, and
// single other characters.
func splitWords(s string) []string {
	var out []string
	start := -1
	kind := 0
	classOf := func(r rune) int {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '\'':
			return 1
		case unicode.IsSpace(r):
			return 2
		}
		return 3
	}
	for i, r := range s {
		c := classOf(r)
		if start >= 0 && (c != kind || c == 3) {
			out = append(out, s[start:i])
			start = -1
		}
		if start < 0 {
			start, kind = i, c
		}
		if len(out) >= maxDiffTokens {
			return out
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// OnlyDifferences shortens the equal segments to a few words of context
// on each side, marking them elided.
func OnlyDifferences(segs []Segment, context int) []Segment {
	out := make([]Segment, 0, len(segs))
	for i, s := range segs {
		if s.Op != Equal {
			out = append(out, s)
			continue
		}
		ts := splitWords(s.Text)
		keepHead, keepTail := context*2, context*2 // words and the spaces between
		if i == 0 {
			keepHead = 0
		}
		if i == len(segs)-1 {
			keepTail = 0
		}
		if len(ts) <= keepHead+keepTail+1 {
			out = append(out, s)
			continue
		}
		head := strings.Join(ts[:keepHead], "")
		tail := strings.Join(ts[len(ts)-keepTail:], "")
		out = append(out, Segment{Op: Equal, Text: head + " … " + tail, Elided: true})
	}
	return out
}

// Changed reports whether the diff has any difference.
func Changed(segs []Segment) bool {
	return slices.ContainsFunc(segs, func(s Segment) bool { return s.Op != Equal })
}

// ParamRow is a parameter whose value differs between two runs.
type ParamRow struct {
	Name string
	A, B string
}

// Side is one run as the parameter table compares it.
type Side struct {
	Provider string
	Model    string
	Form     url.Values
}

// DifferingParams lists the provider, model and form values that differ
// between a and b, by name ("" shows as unset: the upstream default).
func DifferingParams(a, b Side) []ParamRow {
	var rows []ParamRow
	if a.Provider != b.Provider {
		rows = append(rows, ParamRow{"provider", a.Provider, b.Provider})
	}
	if a.Model != b.Model {
		rows = append(rows, ParamRow{"model", a.Model, b.Model})
	}
	names := map[string]bool{}
	for k := range a.Form {
		names[k] = true
	}
	for k := range b.Form {
		names[k] = true
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.HasPrefix(k, "_") {
			continue
		}
		va, vb := strings.Join(a.Form[k], "\n"), strings.Join(b.Form[k], "\n")
		if va != vb {
			rows = append(rows, ParamRow{k, va, vb})
		}
	}
	return rows
}
