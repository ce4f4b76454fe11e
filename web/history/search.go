package history

import (
	"strings"
	"unicode"
)

// A search is words: a run matches when its prompt or answer has every
// word, each as the start of a word ("haik" finds "haiku", so a search as
// one types finds what it will find when the word is whole). Text in
// double quotes is a phrase: its words adjacent and in order, the last a
// prefix too. Case and (on SQLite) accents are ignored. A word is a run of
// letters and digits, as the index splits the text: "snow_flakes" is
// "snow" and "flakes", "100%" is "100". The input is never passed on as
// the database's query syntax: each word is rebuilt from its letters and
// digits (FTS5 operators, quotes, colons and stars are separators).
//
// A search with no letter or digit in it (only punctuation, "->") looks
// for that text as a substring, as the history always did.

// searchTerm is a word or a phrase of a search.
type searchTerm []string

// parseSearch splits q into its terms: quoted phrases and single words.
func parseSearch(q string) []searchTerm {
	var terms []searchTerm
	for i, part := range strings.Split(q, `"`) {
		words := searchWords(part)
		if len(words) == 0 {
			continue
		}
		if i%2 == 1 { // inside quotes (an unclosed quote runs to the end)
			terms = append(terms, words)
			continue
		}
		for _, w := range words {
			terms = append(terms, searchTerm{w})
		}
	}
	return terms
}

// maxWordRunes bounds a search word (FTS5 and PostgreSQL index longer
// words, but nobody types them).
const maxWordRunes = 64

// searchWords are the runs of letters and digits of s, lower-cased.
func searchWords(s string) []string {
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
	for i, w := range words {
		if r := []rune(w); len(r) > maxWordRunes {
			words[i] = string(r[:maxWordRunes])
		}
	}
	return words
}

// ftsQuery is terms as an FTS5 MATCH expression: each word a quoted
// string (it holds only letters and digits, so no quote to escape), the
// last of each term a prefix, terms joined by AND.
func ftsQuery(terms []searchTerm) string {
	parts := make([]string, 0, len(terms))
	for _, t := range terms {
		quoted := make([]string, len(t))
		for i, w := range t {
			quoted[i] = `"` + w + `"`
		}
		// A phrase in FTS5 is its strings joined by +.
		parts = append(parts, strings.Join(quoted, " + ")+"*")
	}
	return strings.Join(parts, " AND ")
}

// tsQuery is terms as a PostgreSQL tsquery (to_tsquery('simple', …)):
// each word quoted, the last of each term a prefix (:*), a phrase's words
// joined by <->, terms by &.
func tsQuery(terms []searchTerm) string {
	parts := make([]string, 0, len(terms))
	for _, t := range terms {
		quoted := make([]string, len(t))
		for i, w := range t {
			quoted[i] = "'" + w + "'"
		}
		quoted[len(quoted)-1] += ":*"
		p := strings.Join(quoted, " <-> ")
		if len(t) > 1 {
			p = "(" + p + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " & ")
}
