package history

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/run"
)

func TestParseSearch(t *testing.T) {
	for name, tc := range map[string]struct {
		q        string
		terms    []searchTerm
		fts, tsq string
	}{
		"words":                 {"Haiku SEA", []searchTerm{{"haiku"}, {"sea"}}, `"haiku"* AND "sea"*`, `'haiku':* & 'sea':*`},
		"a phrase":              {`a "blue  whale" swam`, []searchTerm{{"a"}, {"blue", "whale"}, {"swam"}}, `"a"* AND "blue" + "whale"* AND "swam"*`, `'a':* & ('blue' <-> 'whale':*) & 'swam':*`},
		"an unclosed quote":     {`"blue wh`, []searchTerm{{"blue", "wh"}}, `"blue" + "wh"*`, `('blue' <-> 'wh':*)`},
		"fts syntax is text":    {`sea* OR NOT "x" NEAR(a b) col:val ^start`, []searchTerm{{"sea"}, {"or"}, {"not"}, {"x"}, {"near"}, {"a"}, {"b"}, {"col"}, {"val"}, {"start"}}, `"sea"* AND "or"* AND "not"* AND "x"* AND "near"* AND "a"* AND "b"* AND "col"* AND "val"* AND "start"*`, `'sea':* & 'or':* & 'not':* & 'x':* & 'near':* & 'a':* & 'b':* & 'col':* & 'val':* & 'start':*`},
		"tsquery syntax":        {`a & !b | c:* <-> 'd'`, []searchTerm{{"a"}, {"b"}, {"c"}, {"d"}}, `"a"* AND "b"* AND "c"* AND "d"*`, `'a':* & 'b':* & 'c':* & 'd':*`},
		"punctuation splits":    {"snow_flakes 100%", []searchTerm{{"snow"}, {"flakes"}, {"100"}}, `"snow"* AND "flakes"* AND "100"*`, `'snow':* & 'flakes':* & '100':*`},
		"letters of any script": {"Größe 日本", []searchTerm{{"größe"}, {"日本"}}, `"größe"* AND "日本"*`, `'größe':* & '日本':*`},
		"no word":               {`-> "" %`, nil, "", ""},
	} {
		t.Run(name, func(t *testing.T) {
			terms := parseSearch(tc.q)
			if !reflect.DeepEqual(terms, tc.terms) {
				t.Fatalf("terms %q, want %q", terms, tc.terms)
			}
			if got := ftsQuery(terms); got != tc.fts {
				t.Errorf("fts %s, want %s", got, tc.fts)
			}
			if got := tsQuery(terms); got != tc.tsq {
				t.Errorf("tsquery %s, want %s", got, tc.tsq)
			}
		})
	}
}

func TestSearch(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
		for i, c := range []struct{ id, owner, prompt string }{
			{"r0", "alice", "Write a haiku about the blue whale"},
			{"r1", "alice", `Quote "this" and O'Brien's (col:val) NEAR stars* -> done`},
			{"r2", "alice", "Größe of a file at example.com/usr/bin"},
			{"r3", "bob", "bob's haiku about whales"},
			{"r4", "alice", "a blue sky and a grey whale"},
		} {
			if err := s.Insert(ctx, c.owner, entry(c.id, t0.Add(time.Duration(i)*time.Minute), "openai", "m", c.prompt)); err != nil {
				t.Fatal(err)
			}
		}
		search := func(owner, q string) string {
			t.Helper()
			p, err := s.List(ctx, owner, Filter{Query: q})
			if err != nil {
				t.Fatalf("search %q: %v", q, err)
			}
			return pageIDs(p)
		}
		for _, tc := range []struct{ q, want string }{
			{"haiku", "r0"},           // not bob's
			{"HAIK", "r0"},            // a prefix, any case
			{"wha", "r4,r0"},          // whale
			{"blue whale", "r4,r0"},   // both words, anywhere
			{`"blue whale"`, "r0"},    // the phrase
			{`"blue wh"`, "r0"},       // a phrase ending in a prefix
			{`"whale blue"`, ""},      // in order
			{`"this`, "r1"},           // an unclosed quote
			{`O'Brien's`, "r1"},       // quotes are separators
			{"col:val", "r1"},         // no column filter
			{"NEAR stars*", "r1"},     // no operators
			{"NOT haiku", ""},         // NOT is a word
			{`haiku OR sky`, ""},      // OR too
			{"->", "r1"},              // no word: a substring
			{"%", ""},                 // taken literally
			{"example", "r2"},         // a host's part
			{"usr bin", "r2"},         // a path's parts
			{"größe", "r2"},           // letters beyond ASCII
			{"GRÖSSE", ""},            // no folding of ß to ss
			{"nothing-like-this", ""}, // words that are not there
		} {
			if got := search("alice", tc.q); got != tc.want {
				t.Errorf("search %q: got %q, want %q", tc.q, got, tc.want)
			}
		}
		if got := search("bob", "haiku"); got != "r3" {
			t.Errorf("bob's search: %q", got)
		}

		// The answer is searchable as it arrives and once the run ends.
		if err := s.Progress(ctx, "r4", "a blue sky and a grey whale", run.Output{Choices: []run.ChoiceOutput{{Text: "Sperm whales dive"}}}); err != nil {
			t.Fatal(err)
		}
		if got := search("alice", "sperm"); got != "r4" {
			t.Errorf("an answer in progress: %q", got)
		}
		rec := run.Record{State: run.Completed, Ended: time.Now(), Output: run.Output{Choices: []run.ChoiceOutput{{Text: "Narwhals have tusks"}}}}
		if err := s.Finish(ctx, "r4", "a blue sky and a grey whale", rec); err != nil {
			t.Fatal(err)
		}
		if got := search("alice", "narwhal"); got != "r4" {
			t.Errorf("the final answer: %q", got)
		}
		if got := search("alice", "sperm"); got != "" {
			t.Errorf("the answer in progress is still found: %q", got)
		}
		if got := search("alice", "grey"); got != "r4" {
			t.Errorf("the prompt after the ending: %q", got)
		}

		// A deleted run is gone from the search.
		if err := s.Delete(ctx, "alice", "r0"); err != nil {
			t.Fatal(err)
		}
		if got := search("alice", "whale"); got != "r4" {
			t.Errorf("after the delete: %q", got)
		}
		if got := search("alice", "haiku"); got != "" {
			t.Errorf("a deleted run found: %q", got)
		}
	})
}

// TestSearchBackfill opens a history made before the full-text index (its
// migrations up to 022) and finds its runs by the new index.
func TestSearchBackfill(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Insert(ctx, "alice", entry("old", time.Now(), "openai", "m", "An old run about glaciers")); err != nil {
		t.Fatal(err)
	}
	// Back to before migration 023: no index, no triggers.
	for _, q := range []string{`DROP TRIGGER runs_fts_insert`, `DROP TRIGGER runs_fts_delete`, `DROP TRIGGER runs_fts_update`,
		`DROP TABLE runs_fts`, `DELETE FROM schema_migrations WHERE version = '023_search_fts.sql'`} {
		if _, err := s.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if s, err = Open(ctx, "", dir); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if p, err := s.List(ctx, "alice", Filter{Query: "glacier"}); err != nil || pageIDs(p) != "old" {
		t.Fatalf("the old run is not found: %q %v", pageIDs(p), err)
	}
}

// TestSearchWalkingOwnersRuns runs the search and paging tests with List
// walking the runs in chunks (as for a common word) instead of reading the
// index's matches, chunks of one and two runs (ties split across them).
func TestSearchWalkingOwnersRuns(t *testing.T) {
	defer func(n, first, most int) { ftsFew, walkFirst, walkMax = n, first, most }(ftsFew, walkFirst, walkMax)
	for _, size := range [][2]int{{1, 2}, {2, 2}, {512, 16384}} {
		ftsFew, walkFirst, walkMax = 0, size[0], size[1]
		TestSearch(t)
		TestListKeysetPages(t)
		TestListCursorEdgesSearched(t)
	}
}

// TestListCursorEdgesSearched is TestListCursorEdges with a search that
// every run matches.
func TestListCursorEdgesSearched(t *testing.T) {
	listCursorEdges(t, "p")
}
