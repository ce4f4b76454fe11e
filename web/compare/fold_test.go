package compare

import (
	"fmt"
	"strings"
	"testing"
)

// marked writes a diff as [-removed-]{+added+} and a fold as <n>.
func marked(segs []Segment) string {
	var b strings.Builder
	for _, s := range segs {
		switch {
		case s.Folded:
			fmt.Fprintf(&b, "<%02d>", s.Words)
		case s.Op == Removed:
			b.WriteString("[-" + s.Text + "-]")
		case s.Op == Added:
			b.WriteString("{+" + s.Text + "+}")
		default:
			b.WriteString(s.Text)
		}
	}
	return b.String()
}

// TestFoldTable: only differences folds an unchanged stretch to its word
// count, keeping context words around each change (none before the first
// change or after the last), a fold starting on a word and the context
// after it too, so no line of context starts with a space; short
// stretches stay; the folded diff still spells both texts, whatever the
// spacing.
func TestFoldTable(t *testing.T) {
	words := func(n int, sep string) string {
		w := make([]string, n)
		for i := range w {
			w[i] = fmt.Sprintf("w%02d", i)
		}
		return strings.Join(w, sep)
	}
	for name, tc := range map[string]struct {
		a, b string
		want string
	}{
		"head and tail": {words(20, " ") + " old " + words(20, " "), words(20, " ") + " new " + words(20, " "),
			"<16>w16 w17 w18 w19 [-old-]{+new+} w00 w01 w02 w03 <16>"},
		"between two changes": {"x " + words(30, " ") + " y", "X " + words(30, " ") + " Y",
			"[-x-]{+X+} w00 w01 w02 w03 <22>w26 w27 w28 w29 [-y-]{+Y+}"},
		"short stretch kept": {"x " + words(10, " ") + " y", "X " + words(10, " ") + " Y",
			"[-x-]{+X+} " + words(10, " ") + " [-y-]{+Y+}"},
		"tabs and newlines": {words(12, "\t\t") + "\r\nold", words(12, "\t\t") + "\r\nnew",
			"<08>w08\t\tw09\t\tw10\t\tw11\r\n[-old-]{+new+}"},
		"no change": {words(30, " "), words(30, " "), words(30, " ")},
	} {
		segs := Words(tc.a, tc.b)
		folded := OnlyDifferences(segs, 4)
		if !Changed(segs) {
			folded = segs // the view folds nothing when nothing changed
		}
		if got := marked(folded); got != tc.want {
			t.Errorf("%s: %q\nwant %q", name, got, tc.want)
		}
		rebuilds(t, folded, tc.a, tc.b)
		for _, s := range folded {
			if s.Folded && (s.Words < MinFold || s.Words != CountWords(s.Text)) {
				t.Errorf("%s: a fold of %d words counts %d", name, CountWords(s.Text), s.Words)
			}
		}
	}
}

// FuzzFold: folded or not, the diff spells both texts.
func FuzzFold(f *testing.F) {
	f.Add("a b c d e f g h i j k l m n o p", "a b c d e f g x i j k l m n o p")
	f.Add("  \t\r\n🦦 <script>", "\r\n🦦  <script>x")
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, ctx := range []int{0, 1, 4} {
			rebuilds(t, OnlyDifferences(Words(a, b), ctx), a, b)
		}
	})
}
