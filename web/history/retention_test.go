package history

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/units"
)

// finished inserts and finishes owner's run id created at t.
func finished(t *testing.T, s *Store, owner, id string, at time.Time, answer string) {
	t.Helper()
	ctx := context.Background()
	if err := s.Insert(ctx, owner, entry(id, at, "sim", "m", "prompt of "+id)); err != nil {
		t.Fatal(err)
	}
	rec := run.Record{State: run.Completed, Ended: at, Output: run.Output{Choices: []run.ChoiceOutput{{Text: answer}}}}
	if err := s.Finish(ctx, id, "prompt of "+id, rec); err != nil {
		t.Fatal(err)
	}
}

func listIDs(t *testing.T, s *Store, owner string) string {
	t.Helper()
	p, err := s.List(context.Background(), owner, Filter{PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	return pageIDs(p)
}

// Finding 13: past a session's quota (runs or bytes) its oldest finished
// runs are deleted, unshared ones first; running runs, the newest run and
// other sessions' runs stay.
func TestStoreQuotaEvictsOldestUnshared(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Now().Add(-time.Hour)
		at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
		s.SetLimits(Limits{OwnerRuns: 4})
		finished(t, s, "bob", "b0", at(0), "bob's")
		finished(t, s, "alice", "a0", at(0), "oldest, shared")
		if _, err := s.Share(ctx, "alice", "a0"); err != nil {
			t.Fatal(err)
		}
		if err := s.Insert(ctx, "alice", entry("a1", at(1), "sim", "m", "still running")); err != nil {
			t.Fatal(err)
		}
		for i := 2; i <= 4; i++ {
			finished(t, s, "alice", "a"+string(rune('0'+i)), at(i), "answer")
		}
		if got, want := listIDs(t, s, "alice"), "a4,a3,a1,a0"; got != want {
			t.Fatalf("after 5 runs with a quota of 4: %s, want %s (the oldest unshared finished run gone)", got, want)
		}
		finished(t, s, "alice", "a5", at(5), "answer")
		finished(t, s, "alice", "a6", at(6), "answer")
		if got, want := listIDs(t, s, "alice"), "a6,a5,a1,a0"; got != want {
			t.Errorf("after 7 runs with a quota of 4: %s, want %s (the running a1 and the shared a0 kept, the oldest unshared gone)", got, want)
		}
		// Past the quota with only shared and running runs left to
		// delete (and the newest, which stays), the shared go too.
		for _, id := range []string{"a5", "a6"} {
			if _, err := s.Share(ctx, "alice", id); err != nil {
				t.Fatal(err)
			}
		}
		finished(t, s, "alice", "a7", at(7), "answer")
		if got, want := listIDs(t, s, "alice"), "a7,a6,a5,a1"; got != want {
			t.Errorf("every finished run shared: %s, want %s", got, want)
		}
		if got := listIDs(t, s, "bob"); got != "b0" {
			t.Errorf("another session's runs: %s", got)
		}
		if _, err := s.Get(ctx, "alice", "a0"); err == nil {
			t.Error("an evicted run still opens")
		}

		// The bytes quota: 20 answers of 10 KB in a 50 KB quota.
		s.SetLimits(Limits{OwnerBytes: 50 << 10})
		for i := range 20 {
			finished(t, s, "carol", "c"+strings.Repeat("x", i), at(i), words(10<<10))
		}
		var n int
		var bytes int64
		if err := s.db.QueryRow(s.q(`SELECT COUNT(*), SUM(bytes) FROM runs WHERE owner = ?`), OwnerKey("carol")).Scan(&n, &bytes); err != nil {
			t.Fatal(err)
		}
		if bytes > 50<<10 || n < 2 || n > 5 {
			t.Errorf("carol keeps %d runs, %s, past a 50 KB quota", n, units.Bytes(bytes))
		}
		if !strings.HasPrefix(listIDs(t, s, "carol"), "c"+strings.Repeat("x", 19)+",") {
			t.Errorf("the newest run went: %s", listIDs(t, s, "carol"))
		}
		var inputs int
		if err := s.db.QueryRow(`SELECT COUNT(*) FROM run_inputs`).Scan(&inputs); err != nil {
			t.Fatal(err)
		}
		var all int
		_ = s.db.QueryRow(`SELECT COUNT(*) FROM runs`).Scan(&all)
		if inputs != all {
			t.Errorf("%d inputs for %d runs: the evicted runs' inputs stayed", inputs, all)
		}
	})
}

// Finding 13: the retention pass deletes runs older than Retention,
// oldest first and a bounded number a pass; running runs, newer runs and
// comparisons with runs left stay.
func TestStorePruneRetention(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := time.Now()
		s.SetLimits(Limits{Retention: 90 * 24 * time.Hour})
		old := now.Add(-100 * 24 * time.Hour)
		for i := range 7 {
			finished(t, s, "alice", "old"+string(rune('0'+i)), old.Add(time.Duration(i)*time.Minute), "old answer")
		}
		if err := s.Insert(ctx, "alice", entry("old-running", old, "sim", "m", "p")); err != nil {
			t.Fatal(err)
		}
		finished(t, s, "alice", "new", now.Add(-89*24*time.Hour), "new answer")
		c := Comparison{ID: "cmp-old", Created: old, Title: "old", Layout: []byte(`{}`)}
		if err := s.CreateComparison(ctx, "alice", c); err != nil {
			t.Fatal(err)
		}

		n, err := s.Prune(ctx, now, 5)
		if err != nil || n != 5 {
			t.Fatalf("first pass deleted %d (%v), want the bound of 5", n, err)
		}
		if got, want := listIDs(t, s, "alice"), "new,old6,old5,old-running"; got != want {
			t.Errorf("after a bounded pass: %s, want %s (oldest first)", got, want)
		}
		n, err = s.Prune(ctx, now, 5)
		if err != nil || n != 2 {
			t.Fatalf("second pass deleted %d (%v), want 2", n, err)
		}
		if got, want := listIDs(t, s, "alice"), "new,old-running"; got != want {
			t.Errorf("after the second pass: %s, want %s", got, want)
		}
		if _, err := s.Comparison(ctx, "alice", c.ID); err == nil {
			t.Error("an old comparison with no runs left outlived the retention")
		}
		s.SetLimits(Limits{})
		if n, err := s.Prune(ctx, now.Add(1000*24*time.Hour), 100); n != 0 || err != nil {
			t.Errorf("retention 0 deleted %d (%v): it must keep forever", n, err)
		}
	})
}

// A database of the first schema (prompt, form, request and curl in the
// runs table) reads the same after the migration, and its runs count for
// the quota.
func TestMigrationKeepsOldRuns(t *testing.T) {
	for _, dialect := range []Dialect{SQLite, Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			var dbURL, dir, driver, dsn string
			switch dialect {
			case SQLite:
				dir = t.TempDir()
				driver, dsn = "sqlite", "file:"+filepath.Join(dir, "history.db")
			case Postgres:
				dbURL = postgresSchema(t)
				driver, dsn = "pgx", dbURL
			}
			raw, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			old := &Store{db: raw, dialect: dialect}
			body, _ := migrations.ReadFile("migrations/" + string(dialect) + "/001_history.sql")
			for _, stmt := range append(splitSQL(string(body)), `CREATE TABLE schema_migrations (version TEXT PRIMARY KEY)`,
				`INSERT INTO schema_migrations (version) VALUES ('001_history.sql')`) {
				if _, err := raw.Exec(stmt); err != nil {
					t.Fatal(err)
				}
			}
			prompt := words(10 << 10)
			if _, err := raw.Exec(old.q(`INSERT INTO runs (id, owner, created_at, updated_at, provider, provider_name, model, model_label,
				style, status, prompt, form, request, curl, output, transcript) VALUES (?, ?, ?, ?, 'sim', 'Sim', 'm', 'M', 'chat', 'completed', ?, ?, ?, ?, ?, ?)`),
				"r1", OwnerKey("alice"), millis(time.Now()), millis(time.Now()), prompt,
				`{"messages.content":["`+prompt+`"]}`, `{"method":"POST","url":"http://x/v1/chat/completions","key_env":"X_API_KEY","body":"{}"}`,
				"curl 'http://x/v1/chat/completions'", `{"choices":[{"index":0,"text":"answer"}]}`, []byte("data: {}\n\n")); err != nil {
				t.Fatal(err)
			}
			raw.Close()
			s, err := Open(context.Background(), dbURL, dir)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			e, err := s.Get(context.Background(), "alice", "r1")
			if err != nil {
				t.Fatal(err)
			}
			if e.Form.Values().Get("messages.content") != prompt || e.Request.KeyEnv != "X_API_KEY" || e.Output.Text() != "answer" ||
				!strings.Contains(e.Curl, "'http://x/v1/chat/completions'") || len(e.Prompt) > maxPrompt {
				t.Fatalf("after the migration: %+v", e)
			}
			var bytes int64
			if err := s.db.QueryRow(`SELECT bytes FROM runs`).Scan(&bytes); err != nil || bytes < 10<<10 {
				t.Errorf("bytes %d (%v): an old run must count for the quota", bytes, err)
			}
		})
	}
}

// TestStoreTotalCap: sessions are free, so the quota per session does not
// bound the disk; the total cap does. Fresh sessions' runs past it go,
// oldest and unshared first, and running runs stay.
func TestStoreTotalCap(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Now().Add(-time.Hour)
		s.SetLimits(Limits{OwnerBytes: 200 << 10, TotalBytes: 60 << 10})
		finished(t, s, "keeper", "k0", t0, "shared and oldest")
		if _, err := s.Share(ctx, "keeper", "k0"); err != nil {
			t.Fatal(err)
		}
		if err := s.Insert(ctx, "keeper", entry("k1", t0, "sim", "m", "running")); err != nil {
			t.Fatal(err)
		}
		for i := range 20 { // 20 fresh sessions, each well within its quota
			finished(t, s, "fresh-"+strings.Repeat("x", i), "f"+strings.Repeat("x", i), t0.Add(time.Duration(i+1)*time.Minute), words(10<<10))
		}
		n, err := s.EnforceTotal(ctx, 1000)
		if err != nil || n == 0 {
			t.Fatalf("deleted %d: %v", n, err)
		}
		var bytes int64
		if err := s.db.QueryRow(`SELECT SUM(bytes) FROM runs`).Scan(&bytes); err != nil {
			t.Fatal(err)
		}
		if bytes > 60<<10 {
			t.Errorf("the history holds %s past its 60 KB cap", units.Bytes(bytes))
		}
		if got := listIDs(t, s, "keeper"); got != "k0,k1" && got != "k1,k0" {
			t.Errorf("the shared and the running run: %q", got)
		}
		if got := listIDs(t, s, "fresh-"+strings.Repeat("x", 19)); got != "f"+strings.Repeat("x", 19) {
			t.Errorf("the newest run went: %q", got)
		}
		if got := listIDs(t, s, "fresh-"); got != "" {
			t.Errorf("the oldest unshared run stayed: %q", got)
		}
	})
}

// The background passes delete by age and hold every session to a quota
// lowered since its last run, with no write to trigger them.
func TestKeepPrunedInTheBackground(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		now := time.Now()
		for i, id := range []string{"a0", "a1", "a2", "a3"} {
			finished(t, s, "alice", id, now.Add(time.Duration(i-10)*time.Minute), "answer")
		}
		for i, c := range []struct {
			id  string
			age time.Duration
		}{{"b-old", 31 * 24 * time.Hour}, {"b-older", 40 * 24 * time.Hour}, {"b-new", 29 * 24 * time.Hour}} {
			finished(t, s, "bob", c.id, now.Add(-c.age+time.Duration(i)*time.Second), "answer")
		}
		// Lowered after the writes: alice keeps 2, nobody keeps a run past 30 days.
		s.SetLimits(Limits{OwnerRuns: 2, Retention: 30 * 24 * time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s.KeepPruned(ctx, nil, time.Hour)
		deadline := time.Now().Add(10 * time.Second)
		for {
			a, b := listIDs(t, s, "alice"), listIDs(t, s, "bob")
			if a == "a3,a2" && b == "b-new" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after the passes: alice %s, bob %s", a, b)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func TestEnforceQuotasBound(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := time.Now().Add(-time.Hour)
		for i := range 5 {
			finished(t, s, "alice", "a"+string(rune('0'+i)), now.Add(time.Duration(i)*time.Minute), "answer")
			finished(t, s, "bob", "b"+string(rune('0'+i)), now.Add(time.Duration(i)*time.Minute), "answer")
		}
		if n, err := s.EnforceQuotas(ctx, 100); n != 0 || err != nil {
			t.Fatalf("no quota deleted %d (%v)", n, err)
		}
		s.SetLimits(Limits{OwnerRuns: 3})
		n, err := s.EnforceQuotas(ctx, 100)
		if err != nil || n != 4 {
			t.Fatalf("deleted %d (%v), want 2 of each", n, err)
		}
		if a, b := listIDs(t, s, "alice"), listIDs(t, s, "bob"); a != "a4,a3,a2" || b != "b4,b3,b2" {
			t.Fatalf("alice %s, bob %s", a, b)
		}
		if n, _ := s.EnforceQuotas(ctx, 100); n != 0 {
			t.Fatalf("a second pass deleted %d", n)
		}
	})
}
