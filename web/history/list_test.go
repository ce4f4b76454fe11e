package history

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/run"
)

// walk pages through owner's runs under f, older from the first page,
// and back newer from the last, returning the ids of each page in order.
func walk(t *testing.T, s *Store, owner string, f Filter) (older, newer []string) {
	t.Helper()
	ctx := context.Background()
	f.Cursor = Cursor{}
	var last Page
	for i := 0; ; i++ {
		p, err := s.List(ctx, owner, f)
		if err != nil {
			t.Fatal(err)
		}
		older = append(older, pageIDs(p))
		if i == 0 && !p.Newer.IsZero() {
			t.Fatalf("the first page has a newer page: %+v", p.Newer)
		}
		last = p
		if p.Older.IsZero() || i > 50 {
			break
		}
		f.Cursor = p.Older
	}
	f.Cursor = last.Newer
	for i := 0; !f.Cursor.IsZero() && i < 50; i++ {
		p, err := s.List(ctx, owner, f)
		if err != nil {
			t.Fatal(err)
		}
		newer = append(newer, pageIDs(p))
		f.Cursor = p.Newer
	}
	return older, newer
}

func pageIDs(p Page) string {
	var out []string
	for _, e := range p.Entries {
		out = append(out, e.ID)
	}
	return strings.Join(out, ",")
}

func TestListKeysetPages(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
		// Seven runs: a, b, c at one millisecond (the id breaks the tie),
		// then d..g a minute apart; g and d by another provider.
		at := map[string]time.Time{"a": t0, "b": t0, "c": t0}
		for i, id := range []string{"d", "e", "f", "g"} {
			at[id] = t0.Add(time.Duration(i+1) * time.Minute)
		}
		for _, id := range []string{"c", "a", "g", "e", "b", "d", "f"} { // not in order
			provider := "openai"
			if id == "g" || id == "d" {
				provider = "deepseek"
			}
			if err := s.Insert(ctx, "alice", entry(id, at[id], provider, "m-"+provider, "prompt "+id)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Insert(ctx, "bob", entry("z", t0.Add(2*time.Minute), "openai", "m-openai", "prompt z")); err != nil {
			t.Fatal(err)
		}
		for name, tc := range map[string]struct {
			f            Filter
			older, newer string // pages joined by |
		}{
			"one page holds them all":   {Filter{PerPage: 10}, "g,f,e,d,c,b,a", ""},
			"exactly a page":            {Filter{PerPage: 7}, "g,f,e,d,c,b,a", ""},
			"pages of three":            {Filter{PerPage: 3}, "g,f,e|d,c,b|a", "d,c,b|g,f,e"},
			"a tie split across pages":  {Filter{PerPage: 2}, "g,f|e,d|c,b|a", "c,b|e,d|g,f"},
			"pages of one":              {Filter{PerPage: 1}, "g|f|e|d|c|b|a", "b|c|d|e|f|g"},
			"a provider":                {Filter{PerPage: 1, Provider: "deepseek"}, "g|d", "g"},
			"a model":                   {Filter{PerPage: 2, Model: "m-openai"}, "f,e|c,b|a", "c,b|f,e"},
			"a provider and a model":    {Filter{PerPage: 2, Provider: "openai", Model: "m-openai"}, "f,e|c,b|a", "c,b|f,e"},
			"a date range":              {Filter{PerPage: 2, From: t0.Add(time.Minute), To: t0.Add(4 * time.Minute)}, "f,e|d", "f,e"},
			"a search":                  {Filter{PerPage: 2, Query: "prompt"}, "g,f|e,d|c,b|a", "c,b|e,d|g,f"},
			"nothing matches":           {Filter{PerPage: 2, Provider: "nobody"}, "", ""},
			"a range of one tied group": {Filter{PerPage: 2, From: t0, To: t0.Add(time.Millisecond)}, "c,b|a", "c,b"},
		} {
			t.Run(name, func(t *testing.T) {
				older, newer := walk(t, s, "alice", tc.f)
				if got := strings.Join(older, "|"); got != tc.older {
					t.Errorf("older pages %q, want %q", got, tc.older)
				}
				if got := strings.Join(newer, "|"); got != tc.newer {
					t.Errorf("newer pages %q, want %q", got, tc.newer)
				}
			})
		}
	})
}

func TestListCursorEdges(t *testing.T) { listCursorEdges(t, "") }

func listCursorEdges(t *testing.T, query string) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
		for i := range 5 {
			if err := s.Insert(ctx, "alice", entry(fmt.Sprint("r", i), t0.Add(time.Duration(i)*time.Second), "openai", "m", "p")); err != nil {
				t.Fatal(err)
			}
		}
		cur := func(d Direction, i int, id string) Cursor {
			return Cursor{Dir: d, Created: t0.Add(time.Duration(i) * time.Second), ID: id}
		}
		for name, tc := range map[string]struct {
			c            Cursor
			want         string
			newer, older bool
		}{
			"older than the newest":          {cur(Older, 4, "r4"), "r3,r2", true, true},
			"older than the oldest":          {cur(Older, 0, "r0"), "", false, false},
			"older than a deleted run's key": {cur(Older, 2, "r2x"), "r2,r1", true, true},
			"newer than the oldest":          {cur(Newer, 0, "r0"), "r2,r1", true, true},
			// Fewer than a page is newer: the first page, whole.
			"newer than all but one":   {cur(Newer, 3, "r3"), "r4,r3", false, true},
			"newer than the newest":    {cur(Newer, 4, "r4"), "r4,r3", false, true},
			"older than the far past":  {cur(Older, -9999, "a"), "", false, false},
			"older than a future time": {Cursor{Dir: Older, Created: t0.AddDate(5, 0, 0), ID: "x"}, "r4,r3", true, true},
		} {
			t.Run(name, func(t *testing.T) {
				p, err := s.List(ctx, "alice", Filter{PerPage: 2, Cursor: tc.c, Query: query})
				if err != nil {
					t.Fatal(err)
				}
				if pageIDs(p) != tc.want || !p.Newer.IsZero() != tc.newer || !p.Older.IsZero() != tc.older {
					t.Errorf("got %q newer %v older %v, want %q %v %v", pageIDs(p), p.Newer, p.Older, tc.want, tc.newer, tc.older)
				}
				if p.Total != 5 || p.Capped {
					t.Errorf("total %d capped %v", p.Total, p.Capped)
				}
			})
		}
	})
}

func TestListCountCapped(t *testing.T) {
	s, err := Open(context.Background(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetLimits(Limits{})
	ctx := context.Background()
	t0 := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	var b Batch
	for i := range CountCap + 2 {
		e := entry(fmt.Sprintf("r%05d", i), t0.Add(time.Duration(i)*time.Second), "openai", "m", "p")
		e.Status = run.Completed
		b.Inserts = append(b.Inserts, InsertItem{Owner: "alice", Entry: e})
	}
	if err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	p, err := s.List(ctx, "alice", Filter{})
	if err != nil || p.Total != CountCap || !p.Capped || len(p.Entries) != 25 || p.Entries[0].ID != fmt.Sprintf("r%05d", CountCap+1) {
		t.Fatalf("total %d capped %v, %d entries, %v", p.Total, p.Capped, len(p.Entries), err)
	}
	if p, _ := s.List(ctx, "alice", Filter{To: t0.Add(10 * time.Second)}); p.Total != 10 || p.Capped {
		t.Fatalf("a filtered count: %d %v", p.Total, p.Capped)
	}
}
