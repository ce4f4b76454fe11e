package history

import (
	"context"
	"errors"
	"math/big"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/playground-dev/playground/internal/pgtest"
	formpkg "github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/run"
)

// One write at a time, for the tests (the recorder writes in batches).

func (s *Store) Insert(ctx context.Context, owner string, e Entry) error {
	return s.Write(ctx, Batch{Inserts: []InsertItem{{Owner: owner, Entry: e}}})
}

func (s *Store) Progress(ctx context.Context, id string, prompt string, out run.Output) error {
	return s.Write(ctx, Batch{Progress: []ProgressItem{{ID: id, Prompt: prompt, Output: out}}})
}

func (s *Store) Finish(ctx context.Context, id string, prompt string, rec run.Record) error {
	return s.Write(ctx, Batch{Finishes: []FinishItem{{ID: id, Prompt: prompt, Record: rec}}})
}

// testDatabaseEnv names the PostgreSQL server the store tests also run on
// (.ci/run starts Debian's PostgreSQL and sets it).
const testDatabaseEnv = pgtest.Env

// eachStore runs fn against a fresh SQLite store and a fresh PostgreSQL
// schema. Without the PostgreSQL URL the test fails under CI and is
// skipped elsewhere (say so in the output).
func eachStore(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Run("sqlite", func(t *testing.T) {
		s, err := Open(context.Background(), "", t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		fn(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, openPostgres(t))
	})
}

func openPostgres(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), postgresSchema(t), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if s.Dialect() != Postgres {
		t.Fatalf("dialect %s", s.Dialect())
	}
	return s
}

// postgresSchema is the URL of a fresh, empty PostgreSQL schema, dropped
// when the test ends.
func postgresSchema(t *testing.T) string { return pgtest.Schema(t) }

func entry(id string, created time.Time, provider, model, prompt string) Entry {
	return Entry{
		ID: id, Created: created, Provider: provider, ProviderName: strings.ToUpper(provider), Model: model, ModelLabel: model,
		Style: "chat", Status: run.Running, Prompt: prompt,
		Form:    formpkg.Decode(url.Values{"messages.content": {prompt}, "temperature": {"0.7"}}),
		Request: Request{Method: "POST", URL: "http://x/v1/chat/completions", KeyEnv: "X_API_KEY", Body: `{"model":"` + model + `"}`},
		Curl:    "curl 'http://x/v1/chat/completions' -H \"Authorization: Bearer $X_API_KEY\"",
	}
}

func TestStoreLifecycle(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		e := entry("r1", t0, "openai", "gpt-x", "Hello\x00 wörld \xff")
		if err := s.Insert(ctx, "alice", e); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "alice", "r1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != run.Running || got.Form.Values().Get("temperature") != "0.7" || got.Request.KeyEnv != "X_API_KEY" || !got.Created.Equal(t0) {
			t.Fatalf("got %+v", got)
		}
		if got.Prompt != "Hello\uFFFD wörld \uFFFD" {
			t.Fatalf("prompt %q: NUL and invalid UTF-8 must be replaced", got.Prompt)
		}
		if _, err := s.Get(ctx, "bob", "r1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("another owner: %v", err)
		}
		out := run.Output{Choices: []run.ChoiceOutput{{Text: "partial"}}}
		if err := s.Progress(ctx, "r1", e.Prompt, out); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Get(ctx, "alice", "r1")
		if got.Output.Text() != "partial" {
			t.Fatalf("progress: %+v", got.Output)
		}
		rec := run.Record{State: run.Completed, Output: run.Output{Choices: []run.ChoiceOutput{{Text: "final answer", Reasoning: "think",
			Tools: []run.ToolOutput{{ID: "c1", Name: "f", Args: `{"a":1}`}}, Finish: "stop"}}},
			Transcript: []byte("data: {}\n\ndata: [DONE]\n\n"), Ended: t0.Add(time.Second)}
		rec.Outcome.State = run.Completed
		rec.Outcome.Usage.Input = 12
		rec.Outcome.Cost.Known, rec.Outcome.Cost.Total = true, run.NewAmount(big.NewRat(1, 100))
		if err := s.Finish(ctx, "r1", e.Prompt, rec); err != nil {
			t.Fatal(err)
		}
		// A late progress write does not undo the end.
		if err := s.Progress(ctx, "r1", e.Prompt, out); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Get(ctx, "alice", "r1")
		if got.Status != run.Completed || got.Output.Text() != "final answer" || got.Outcome == nil || got.Outcome.Usage.Input != 12 ||
			got.Outcome.Cost.Total.Rat().Cmp(big.NewRat(1, 100)) != 0 ||
			got.Output.Choices[0].Tools[0].Args != `{"a":1}` || got.Failure != nil {
			t.Fatalf("finished: %+v", got)
		}
		tr, err := s.Transcript(ctx, "alice", "r1")
		if err != nil || string(tr) != string(rec.Transcript) {
			t.Fatalf("transcript %q %v", tr, err)
		}
		if _, err := s.Transcript(ctx, "bob", "r1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("transcript of another owner: %v", err)
		}

		// Share, open without the owner, revoke.
		sid, err := s.Share(ctx, "alice", "r1")
		if err != nil || len(sid) < 20 {
			t.Fatalf("share %q %v", sid, err)
		}
		again, _ := s.Share(ctx, "alice", "r1")
		if again != sid {
			t.Fatal("sharing twice must keep the link")
		}
		if _, err := s.Share(ctx, "bob", "r1"); !errors.Is(err, ErrNotFound) {
			t.Fatal("another owner shared the run")
		}
		sh, err := s.Shared(ctx, sid)
		if err != nil || sh.ID != "r1" {
			t.Fatalf("shared %v %v", sh.ID, err)
		}
		if err := s.Unshare(ctx, "alice", "r1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Shared(ctx, sid); !errors.Is(err, ErrNotFound) {
			t.Fatal("a revoked link still opens")
		}
		if _, err := s.Shared(ctx, ""); !errors.Is(err, ErrNotFound) {
			t.Fatal("an empty share id opened something")
		}

		if err := s.Delete(ctx, "bob", "r1"); !errors.Is(err, ErrNotFound) {
			t.Fatal("another owner deleted the run")
		}
		if err := s.Delete(ctx, "alice", "r1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "alice", "r1"); !errors.Is(err, ErrNotFound) {
			t.Fatal("deleted run still there")
		}
	})
}

func TestStoreListFilters(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		day := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
		for i, c := range []struct{ p, m, prompt string }{
			{"openai", "gpt-a", "Write a haiku about the sea"},
			{"openai", "gpt-b", "Explain 100% of relativity"},
			{"deepseek", "chat", "A haiku about snow_flakes"},
			{"openai", "gpt-a", "List three colours"},
		} {
			if err := s.Insert(ctx, "alice", entry("r"+string(rune('0'+i)), day.Add(time.Duration(i)*24*time.Hour), c.p, c.m, c.prompt)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Insert(ctx, "bob", entry("b0", day, "openai", "gpt-a", "bob's haiku")); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			f    Filter
			want string
			tot  int
		}{
			{"all, newest first", Filter{}, "r3,r2,r1,r0", 4},
			{"provider", Filter{Provider: "openai"}, "r3,r1,r0", 3},
			{"model", Filter{Provider: "openai", Model: "gpt-a"}, "r3,r0", 2},
			{"search is case-insensitive", Filter{Query: "HAIKU"}, "r2,r0", 2},
			{"search takes % literally", Filter{Query: "100%"}, "r1", 1},
			{"search takes _ literally", Filter{Query: "snow_f"}, "r2", 1},
			{"_ is no wildcard", Filter{Query: "snow_x"}, "", 0},
			{"from", Filter{From: day.Add(48 * time.Hour)}, "r3,r2", 2},
			{"to", Filter{To: day.Add(24 * time.Hour)}, "r0", 1},
			{"page 1", Filter{PerPage: 3}, "r3,r2,r1", 4},
			{"page 2", Filter{PerPage: 3, Cursor: Cursor{Dir: Older, Created: day.Add(24 * time.Hour), ID: "r1"}}, "r0", 4},
		} {
			p, err := s.List(ctx, "alice", tc.f)
			if err != nil {
				t.Fatal(tc.name, err)
			}
			if pageIDs(p) != tc.want || p.Total != tc.tot {
				t.Errorf("%s: got %s (total %d), want %s (total %d)", tc.name, pageIDs(p), p.Total, tc.want, tc.tot)
			}
		}
		facets, err := s.Facets(ctx, "alice")
		if err != nil || len(facets) != 3 {
			t.Fatalf("facets %+v %v", facets, err)
		}
		var n int
		var lastTranscript string
		err = s.Export(ctx, "alice", func(e Entry) error { n++; lastTranscript = e.Transcript; return nil })
		if err != nil || n != 4 || lastTranscript != "" {
			t.Fatalf("export %d %v", n, err)
		}
	})
}

func TestStoreRecoverMarksInterrupted(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		old := time.Now().Add(-10 * time.Minute)
		if err := s.Insert(ctx, "alice", entry("stale", old, "openai", "m", "p")); err != nil {
			t.Fatal(err)
		}
		if err := s.Progress(ctx, "stale", "p", run.Output{Choices: []run.ChoiceOutput{{Text: "half an ans"}}}); err != nil {
			t.Fatal(err)
		}
		if err := s.Insert(ctx, "alice", entry("fresh", time.Now(), "openai", "m", "p")); err != nil {
			t.Fatal(err)
		}
		// The progress write made "stale" fresh: age it again.
		if _, err := s.db.Exec(s.q(`UPDATE runs SET updated_at = ? WHERE id = ?`), millis(old), "stale"); err != nil {
			t.Fatal(err)
		}
		n, err := s.Recover(ctx, time.Now().Add(-StaleAfter))
		if err != nil || n != 1 {
			t.Fatalf("recovered %d %v", n, err)
		}
		got, _ := s.Get(ctx, "alice", "stale")
		if got.Status != run.Interrupted || got.Output.Text() != "half an ans" || got.Failure == nil {
			t.Fatalf("stale: %+v", got)
		}
		if got, _ := s.Get(ctx, "alice", "fresh"); got.Status != run.Running {
			t.Fatalf("a live run was marked %s", got.Status)
		}
		if err := s.Touch(ctx, []string{"fresh"}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestStoreComparisons(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := time.Now()
		c := Comparison{ID: NewID(), Created: now, Title: "temperature 0, 0.7", Layout: []byte(`{"panes":[]}`)}
		if err := s.CreateComparison(ctx, "alice", c); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			e := entry("p"+string(rune('0'+i)), now.Add(time.Duration(i)*time.Millisecond), "sim", "m", "same prompt")
			e.GroupID, e.Pane = c.ID, 2-i
			if err := s.Insert(ctx, "alice", e); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Comparison(ctx, "alice", c.ID)
		if err != nil || len(got.Runs) != 3 || got.Runs[0].Pane != 0 || got.Runs[0].ID != "p2" || string(got.Layout) != `{"panes":[]}` {
			t.Fatalf("comparison %+v %v", got, err)
		}
		if _, err := s.Comparison(ctx, "bob", c.ID); !errors.Is(err, ErrNotFound) {
			t.Fatal("another owner opened the comparison")
		}
		sid, err := s.ShareComparison(ctx, "alice", c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sh, err := s.SharedComparison(ctx, sid); err != nil || len(sh.Runs) != 3 {
			t.Fatalf("shared comparison %v", err)
		}
		if err := s.UnshareComparison(ctx, "alice", c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SharedComparison(ctx, sid); !errors.Is(err, ErrNotFound) {
			t.Fatal("revoked comparison link still opens")
		}
		if err := s.DeleteComparison(ctx, "alice", c.ID); err != nil {
			t.Fatal(err)
		}
		if p, _ := s.List(ctx, "alice", Filter{}); p.Total != 0 {
			t.Fatalf("the comparison's runs outlived it: %d", p.Total)
		}
	})
}

func TestMigrationsApplyOnce(t *testing.T) {
	dir := t.TempDir()
	for range 2 {
		s, err := Open(context.Background(), "", dir)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	if _, err := Open(context.Background(), "mysql://x", dir); err == nil || !strings.Contains(err.Error(), "postgres://") {
		t.Fatalf("unknown URL: %v", err)
	}
	if _, err := Open(context.Background(), "postgres://u:secretpw@127.0.0.1:1/db?connect_timeout=1", dir); err == nil || strings.Contains(err.Error(), "secretpw") {
		t.Fatalf("unreachable database: %v (must fail without showing the password)", err)
	}
}

// TestInstancesStartTogether: several instances opening one empty
// PostgreSQL database at once take turns migrating it; each opens.
func TestInstancesStartTogether(t *testing.T) {
	url := postgresSchema(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := Open(context.Background(), url, "")
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestStoreReadsUntypedForms: a run's form is stored as the typed draft
// (the same JSON in both databases); a row stored before drafts were
// typed holds the posted form, and still reads, with its long texts kept
// as references into the body put back.
func TestStoreReadsUntypedForms(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		e := entry("r1", time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), "openai", "gpt-x", "Hello")
		if err := s.Insert(ctx, "alice", e); err != nil {
			t.Fatal(err)
		}
		var stored string
		if err := s.db.QueryRow(s.q(`SELECT form FROM run_inputs WHERE run_id = ?`), "r1").Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stored, `"temperature":{"text":"0.7"}`) || !strings.Contains(stored, `"messages":{"messages":[{"role":"user","content":"Hello"}]}`) {
			t.Fatalf("stored form %s", stored)
		}
		long := strings.Repeat("a long prompt ", 100)
		body := `{"model":"gpt-x","messages":[{"role":"user","content":"` + long + `"}]}`
		off := strings.Index(body, `"`+long)
		old := `{"messages.role":["system","user"],"messages.content":["Be brief.",""],"temperature":["0.30"],"stream":["true"]}`
		refs := `[{"k":"messages.content","i":1,"o":` + strconv.Itoa(off) + `,"n":` + strconv.Itoa(len(long)+2) + `}]`
		req := `{"method":"POST","url":"http://x/v1/chat/completions","body":` + strconv.Quote(body) + `}`
		if _, err := s.db.Exec(s.q(`UPDATE run_inputs SET form = ?, form_refs = ?, request = ? WHERE run_id = ?`), old, refs, req, "r1"); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "alice", "r1")
		if err != nil {
			t.Fatal(err)
		}
		want := []formpkg.MessageRow{{Role: "system", Content: "Be brief."}, {Role: "user", Content: long}}
		if rows := got.Form.MessageRows("messages"); !reflect.DeepEqual(rows, want) || got.Form.Text("temperature") != "0.30" || got.Form.Text("stream") != "true" {
			t.Errorf("old row read as %+v", got.Form)
		}
	})
}
