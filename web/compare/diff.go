package compare

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sergi/go-diff/diffmatchpatch"

	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/units"
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
	// Folded is set on an Equal segment that "only differences" folds away
	// (Text is the whole stretch, so it can be unfolded in place); Words
	// counts the words in it.
	Folded bool
	Words  int
}

// Limits of one word diff. Disjoint texts cost Myers' algorithm
// O(N·D): two answers of 40,000 words took 17 s of CPU, on a public URL.
const (
	// DefaultDiffTokens bounds the tokens (words, runs of spaces,
	// punctuation marks) compared from each text; the rest of both texts
	// is one removed and one added segment.
	DefaultDiffTokens = 10_000
	// DefaultDiffTimeout bounds the search for the finest diff; past it
	// diffmatchpatch returns a coarser diff, still a correct one.
	DefaultDiffTimeout = time.Second
)

// DiffLimits bound one word diff; a zero field takes its default.
type DiffLimits struct {
	MaxTokens int
	Timeout   time.Duration
}

func (l DiffLimits) withDefaults() DiffLimits {
	if l.MaxTokens <= 0 {
		l.MaxTokens = DefaultDiffTokens
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultDiffTimeout
	}
	return l
}

// WordDiff is a word diff and how its limits shaped it.
type WordDiff struct {
	Segments []Segment
	// Cut is set when a text had more than MaxTokens tokens: past them the
	// diff is the rest of a removed and the rest of b added.
	Cut bool
	// Coarse is set when the search hit its timeout: the diff is correct
	// but may mark more as changed than changed.
	Coarse bool
	// TokensA and TokensB are the tokens of each text (counted up to
	// MaxTokens+1), Limit the MaxTokens the diff was made with.
	TokensA, TokensB, Limit int
}

// Note says, for the page, how the limits shaped the diff ("" when they
// did not).
func (w WordDiff) Note() string {
	var notes []string
	if w.Cut {
		notes = append(notes, fmt.Sprintf("The answers are long: the first %s words, spaces and marks of each are compared; the rest of each shows as one removed and one added block.", units.Thousands(w.Limit)))
	}
	if w.Coarse {
		notes = append(notes, "The answers differ too much for a fine diff in the time allowed: some unchanged words may show as removed and added.")
	}
	return strings.Join(notes, " ")
}

// Words diffs a and b word by word within the default limits (see Diff).
func Words(a, b string) []Segment {
	return Diff(a, b, DiffLimits{}).Segments
}

// Diff diffs a and b word by word: words, runs of spaces and single
// punctuation marks are the units, so a changed word shows as one word
// removed and one added. It uses diffmatchpatch (Myers' algorithm) on the
// texts with each distinct token mapped to one rune, within lim. The
// equal and removed segments always spell a, the equal and added ones b.
func Diff(a, b string, lim DiffLimits) WordDiff {
	lim = lim.withDefaults()
	ta, restA := splitWords(a, lim.MaxTokens)
	tb, restB := splitWords(b, lim.MaxTokens)
	wd := WordDiff{TokensA: len(ta), TokensB: len(tb), Limit: lim.MaxTokens, Cut: restA != "" || restB != ""}
	if restA != "" {
		wd.TokensA++
	}
	if restB != "" {
		wd.TokensB++
	}
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
	dmp.DiffTimeout = lim.Timeout
	start := time.Now()
	diffs := dmp.DiffMainRunes(ra, rb, false)
	wd.Coarse = time.Since(start) >= lim.Timeout
	var out []Segment
	add := func(op Op, text string) {
		if text == "" {
			return
		}
		if n := len(out); n > 0 && out[n-1].Op == op {
			out[n-1].Text += text
			return
		}
		out = append(out, Segment{Op: op, Text: text})
	}
	for _, d := range diffs {
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
		add(op, sb.String())
	}
	add(Removed, restA)
	add(Added, restB)
	wd.Segments = mergeChanges(out)
	return wd
}

// mergeChanges joins changes that only a short equality parts (as
// diffmatchpatch's semantic cleanup does with characters): an equality no
// longer than the larger side of the change before it and of the change
// after it goes into both, so "Gravity is not a force" against "Gravity
// holds the planets" reads as one removed run and one added run, not as a
// braid of single words sharing their spaces. The equal and removed
// segments still spell a, the equal and added ones b.
func mergeChanges(segs []Segment) []Segment {
	type change struct{ del, ins strings.Builder }
	// out alternates: an equality (or nothing), then a change, ...; a
	// change is kept as its two sides until the end.
	type item struct {
		eq  string
		chg *change
	}
	var items []item
	size := func(c *change) int {
		return max(utf8.RuneCountInString(c.del.String()), utf8.RuneCountInString(c.ins.String()))
	}
	for _, s := range segs {
		if s.Op == Equal {
			items = append(items, item{eq: s.Text})
			continue
		}
		n := len(items)
		if n == 0 || items[n-1].chg == nil {
			items = append(items, item{chg: &change{}})
			n++
		}
		c := items[n-1].chg
		if s.Op == Removed {
			c.del.WriteString(s.Text)
		} else {
			c.ins.WriteString(s.Text)
		}
		// change, equality, change: absorb the equality while it is short,
		// then look back, as the grown change may absorb the one before.
		for n = len(items); n >= 3 && items[n-1].chg != nil && items[n-2].chg == nil && items[n-3].chg != nil; n = len(items) {
			l, eq, r := items[n-3].chg, items[n-2].eq, items[n-1].chg
			if e := utf8.RuneCountInString(eq); e > size(l) || e > size(r) {
				break
			}
			l.del.WriteString(eq + r.del.String())
			l.ins.WriteString(eq + r.ins.String())
			items = items[:n-2]
		}
	}
	out := make([]Segment, 0, len(items)*2)
	for _, it := range items {
		if it.chg == nil {
			out = append(out, Segment{Op: Equal, Text: it.eq})
			continue
		}
		if t := it.chg.del.String(); t != "" {
			out = append(out, Segment{Op: Removed, Text: t})
		}
		if t := it.chg.ins.String(); t != "" {
			out = append(out, Segment{Op: Added, Text: t})
		}
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
// single other characters: at most limit of them, and the rest of s.
func splitWords(s string, limit int) ([]string, string) {
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
			if len(out) >= limit {
				return out, s[i:]
			}
		}
		if start < 0 {
			start, kind = i, c
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out, ""
}

// OnlyDifferences folds each long equal stretch down to context words on
// each side of a change (none before the first change or after the last):
// the stretch between them becomes one Folded segment holding its text and
// its word count, so the equal and changed segments still spell both
// texts. A stretch of fewer than MinFold words past its context is kept:
// its fold line would be no shorter.
func OnlyDifferences(segs []Segment, context int) []Segment {
	out := make([]Segment, 0, len(segs))
	for i, s := range segs {
		if s.Op != Equal {
			out = append(out, s)
			continue
		}
		ts, _ := splitWords(s.Text, math.MaxInt)
		keepHead, keepTail := contextTokens(ts, context, false), contextTokens(ts, context, true)
		if i == 0 {
			keepHead = 0
		}
		if i == len(segs)-1 {
			keepTail = 0
		}
		if keepHead+keepTail >= len(ts) {
			out = append(out, s)
			continue
		}
		mid := ts[keepHead : len(ts)-keepTail]
		words := countWords(mid)
		if words < MinFold {
			out = append(out, s)
			continue
		}
		if head := strings.Join(ts[:keepHead], ""); head != "" {
			out = append(out, Segment{Op: Equal, Text: head})
		}
		out = append(out, Segment{Op: Equal, Text: strings.Join(mid, ""), Folded: true, Words: words})
		if tail := strings.Join(ts[len(ts)-keepTail:], ""); tail != "" {
			out = append(out, Segment{Op: Equal, Text: tail})
		}
	}
	return out
}

// MinFold is the fewest words "only differences" folds.
const MinFold = 5

// contextTokens is how many tokens of ts, from its start (or its end),
// hold n words: from the start up to the next word (the spaces after the
// nth too), from the end from the nth word on. A fold so starts on a word
// and ends on the spaces before the context after it.
func contextTokens(ts []string, n int, fromEnd bool) int {
	if n <= 0 {
		return 0
	}
	words := 0
	for k := range ts {
		i := k
		if fromEnd {
			i = len(ts) - 1 - k
		}
		if !isWord(ts[i]) {
			continue
		}
		if !fromEnd && words == n {
			return k
		}
		words++
		if fromEnd && words == n {
			return k + 1
		}
	}
	return len(ts)
}

func isWord(tok string) bool {
	r, _ := utf8.DecodeRuneInString(tok)
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '\''
}

// CountWords counts the words of s.
func CountWords(s string) int {
	ts, _ := splitWords(s, math.MaxInt)
	return countWords(ts)
}

func countWords(ts []string) int {
	n := 0
	for _, t := range ts {
		if isWord(t) {
			n++
		}
	}
	return n
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
	Form     form.Draft
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
	// The forms compare input by input, as the page posts them.
	fa, fb := a.Form.Values(), b.Form.Values()
	names := map[string]bool{}
	for k := range fa {
		names[k] = true
	}
	for k := range fb {
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
		va, vb := strings.Join(fa[k], "\n"), strings.Join(fb[k], "\n")
		if va != vb {
			rows = append(rows, ParamRow{k, va, vb})
		}
	}
	return rows
}
