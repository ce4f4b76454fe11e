package history

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/curl"
	"github.com/playground-dev/playground/web/draft"
	formpkg "github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/tokens"
	"github.com/playground-dev/playground/web/units"
)

// simRun is a run of the built-in simulator's chat model as the
// playground starts it: the form checked and built by the draft service.
func simRun(t *testing.T, id, owner string, form url.Values) *run.Run {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	svc := &draft.Service{Catalog: cat, Tokens: &tokens.Counter{}, Getenv: func(k string) string {
		if k == "PLAYGROUND_SIM_URL" {
			return "http://127.0.0.1:9"
		}
		return ""
	}}
	res := svc.Prepare(draft.Input{Provider: "sim", Model: "seed002.gpt-5.4", Form: formpkg.Decode(form)})
	if len(res.Errors) > 0 {
		t.Fatalf("form errors: %v", res.Errors)
	}
	spec, err := svc.Spec(res, owner)
	if err != nil {
		t.Fatal(err)
	}
	return &run.Run{ID: id, Started: time.Now(), Spec: spec}
}

// words is n bytes of plain prose.
func words(n int) string {
	return strings.Repeat("lorem ipsum dolor sit amet ", n/27+1)[:n]
}

// storedBytes is what a run's rows hold, by the database's own count.
func storedBytes(t *testing.T, s *Store, id string) int64 {
	t.Helper()
	length := "length(CAST(%s AS BLOB))"
	if s.dialect == Postgres {
		length = "octet_length(%s)"
	}
	l := func(col string) string { return "COALESCE(" + strings.ReplaceAll(length, "%s", col) + ", 0)" }
	var n int64
	q := `SELECT ` + strings.Join([]string{l("prompt"), l("output"), l("search"), l("summary"), l("failure"), l("transcript"),
		l("form"), l("form_refs"), l("request")}, " + ") + ` FROM ` + entryTables + ` WHERE id = ?`
	if err := s.db.QueryRow(s.q(q), id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Finding 13: a 5 MiB prompt (five 1 MiB messages) on the simulator was
// stored four times (prompt, form, request, curl: 20 MB, and the database
// and its WAL grew 58 MB). It is stored once, and reads back exactly:
// the form, the request as sent, and the curl of the live panel.
func TestStoreKeepsABigPromptOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		const mib = 1 << 20
		form := url.Values{"messages.role": {"user", "assistant", "user", "assistant", "user"}}
		for i := range 5 {
			form["messages.content"] = append(form["messages.content"], words(mib-i))
		}
		rn := simRun(t, "big", "alice", form)
		before, _ := dbFiles(t, s)
		// The recorder's insert, then each write on its own, as a run of
		// a few seconds makes them: progress, a liveness mark, the end.
		rec := NewRecorder(s, nil)
		if err := rec.Begin(rn); err != nil {
			t.Fatal(err)
		}
		rec.Close()
		ctx := context.Background()
		prompt := rn.Spec.Origin.Form.Values().Get("messages.content")
		for i := range 3 {
			if err := s.Progress(ctx, "big", prompt, run.Output{Choices: []run.ChoiceOutput{{Text: words(100 * (i + 1))}}}); err != nil {
				t.Fatal(err)
			}
			if err := s.Touch(ctx, []string{"big"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Finish(ctx, "big", prompt, run.Record{State: run.Completed, Ended: time.Now(),
			Output: run.Output{Choices: []run.ChoiceOutput{{Text: "short answer"}}}, Transcript: []byte("data: {}\n\ndata: [DONE]\n\n")}); err != nil {
			t.Fatal(err)
		}

		size := int64(5*mib - 10)
		if n := storedBytes(t, s, "big"); n > size*12/10 {
			t.Errorf("the run takes %s in the database for a %s prompt: want it stored once (at most 1.2×)", units.Bytes(n), units.Bytes(size))
		}
		var bytes int64
		if err := s.db.QueryRow(s.q(`SELECT bytes FROM runs WHERE id = ?`), "big").Scan(&bytes); err != nil || bytes != storedBytes(t, s, "big") {
			t.Errorf("bytes column %d (%v), want %d (what the quota counts must be what is stored)", bytes, err, storedBytes(t, s, "big"))
		}
		if s.dialect == SQLite {
			// The WAL holds what was written since the last checkpoint;
			// after one, the database holds the run.
			db, wal := dbFiles(t, s)
			if wal > size*13/10 {
				t.Errorf("the WAL grew to %s for a %s prompt (want at most 1.3×)", units.Bytes(wal), units.Bytes(size))
			}
			if _, err := s.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
				t.Fatal(err)
			}
			if db, _ = dbFiles(t, s); db-before > size*13/10 {
				t.Errorf("history.db grew %s for a %s prompt (want at most 1.3×)", units.Bytes(db-before), units.Bytes(size))
			}
		}
		e, err := s.Get(ctx, "alice", "big")
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range form["messages.content"] {
			if got := e.Form.Values()["messages.content"]; len(got) != 5 || got[i] != v {
				t.Fatalf("message %d of the form does not read back whole", i)
			}
		}
		if e.Request.Body != string(rn.Spec.Request.Body) {
			t.Error("the request body does not read back as sent")
		}
		if e.Curl != rn.Spec.Origin.Curl || e.Curl != curl.Render(rn.Spec.Request) {
			t.Error("the derived curl differs from the live panel's")
		}
		if len(e.Prompt) > maxPrompt+8 || !strings.HasPrefix(e.Prompt, "lorem ipsum") {
			t.Errorf("prompt excerpt of %d bytes", len(e.Prompt))
		}
	})
}

// dbFiles is the size of history.db and of its WAL (0 for PostgreSQL).
func dbFiles(t *testing.T, s *Store) (db, wal int64) {
	t.Helper()
	if s.dialect != SQLite {
		return 0, 0
	}
	var path string
	if err := s.db.QueryRow(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err == nil {
		db = fi.Size()
	}
	if fi, err := os.Stat(path + "-wal"); err == nil {
		wal = fi.Size()
	}
	return db, wal
}

// The curl is derived when read, for streamed and unstreamed requests.
func TestStoreDerivesTheLiveCurl(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		for i, stream := range []string{"true", "false"} {
			id := "r" + stream
			rn := simRun(t, id, "alice", url.Values{"messages.role": {"user"}, "messages.content": {"It's <b>'quoted'</b> & $HOME"}, "stream": {stream}})
			rec := NewRecorder(s, nil)
			_ = rec.Begin(rn)
			rec.End(rn, run.Record{State: run.Completed, Ended: time.Now()})
			rec.Close()
			e, err := s.Get(context.Background(), "alice", id)
			if err != nil {
				t.Fatal(err)
			}
			if e.Curl != rn.Spec.Origin.Curl {
				t.Errorf("case %d: stored curl\n%s\nlive curl\n%s", i, e.Curl, rn.Spec.Origin.Curl)
			}
		}
	})
}

// Past Limits.RunBytes, a run keeps what fits, with a note at each cut:
// the answer and the raw stream are cut, the request body and then the
// form's largest texts are not kept.
func TestStoreRunSizeCap(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		const runBytes = 400 << 10
		s.SetLimits(Limits{RunBytes: runBytes})
		cases := map[string]struct {
			prompt, answer, stream int
			bodyKept, formKept     bool
		}{
			"fits":                              {prompt: 100 << 10, answer: 50 << 10, stream: 50 << 10, bodyKept: true, formKept: true},
			"a long answer and stream are cut":  {prompt: 10 << 10, answer: 1 << 20, stream: 2 << 20, bodyKept: true, formKept: true},
			"a prompt past 3/4 loses its body":  {prompt: 200 << 10, answer: 10 << 10, stream: 10 << 10, bodyKept: false, formKept: true},
			"a prompt past the cap loses texts": {prompt: 700 << 10, answer: 10 << 10, stream: 10 << 10, bodyKept: false, formKept: false},
		}
		for name, c := range cases {
			id := strings.ReplaceAll(name, " ", "-")
			prompt := words(c.prompt)
			e := entry(id, time.Now(), "sim", "m", prompt)
			// The form carries the prompt; the body too (twice: a second
			// copy the dedup cannot share).
			e.Request.Body = `{"messages":[{"role":"user","content":"` + prompt + `"}],"echo":"` + prompt + `"}`
			if err := s.Insert(ctx, "alice", e); err != nil {
				t.Fatal(name, err)
			}
			rec := run.Record{State: run.Completed, Ended: time.Now(),
				Output:     run.Output{Choices: []run.ChoiceOutput{{Text: words(c.answer)}}},
				Transcript: []byte(strings.Repeat("data: {\"x\":\"0123456789\"}\n\n", c.stream/26+1)[:c.stream])}
			if err := s.Finish(ctx, id, prompt, rec); err != nil {
				t.Fatal(name, err)
			}
			if n := storedBytes(t, s, id); n > runBytes {
				t.Errorf("%s: the run takes %s, past the %s cap", name, units.Bytes(n), units.Bytes(runBytes))
			}
			got, err := s.Get(ctx, "alice", id)
			if err != nil {
				t.Fatal(name, err)
			}
			tr, _ := s.Transcript(ctx, "alice", id)
			answerCut := len(got.Output.Text()) < c.answer
			if answerCut != strings.Contains(got.Output.Text(), "A run keeps at most 400 KB in the history: the rest of this text") {
				t.Errorf("%s: answer cut %v without its note (or a note without a cut)", name, answerCut)
			}
			streamCut := len(tr) < c.stream
			if streamCut != strings.Contains(string(tr), "\n: A run keeps at most 400 KB in the history: the rest of this stream") {
				t.Errorf("%s: stream cut %v without its note: %q", name, streamCut, tail(string(tr)))
			}
			if streamCut && !strings.HasSuffix(strings.TrimSuffix(string(tr), "\n"), "was not kept.") {
				t.Errorf("%s: the note does not end the stream: %q", name, tail(string(tr)))
			}
			if bodyKept := got.Request.Body == e.Request.Body; bodyKept != c.bodyKept {
				t.Errorf("%s: body kept %v, want %v", name, bodyKept, c.bodyKept)
			}
			if !c.bodyKept && (got.Request.Body != "" || !strings.Contains(got.Request.Omitted, "was not kept") ||
				!strings.HasPrefix(got.Curl, "# The request body (") || got.Request.KeyEnv != "X_API_KEY") {
				t.Errorf("%s: omitted body: %+v, curl %q", name, got.Request, got.Curl)
			}
			formKept := got.Form.Values().Get("messages.content") == prompt
			if formKept != c.formKept || got.Request.FormOmitted == c.formKept || got.Form.Values().Get("temperature") != "0.7" {
				t.Errorf("%s: form kept %v (omitted flag %v), want %v", name, formKept, got.Request.FormOmitted, c.formKept)
			}
			_, err = s.Inputs(ctx, "alice", id)
			if c.formKept != (err == nil) || !c.formKept && !strings.Contains(err.Error(), "cannot be replayed, forked or continued: its prompt was larger than the history keeps of a run (400 KB)") {
				t.Errorf("%s: inputs of a run with its form kept %v: %v", name, c.formKept, err)
			}
			if !c.formKept && !strings.HasPrefix(got.Form.Values().Get("messages.content"), "(Not kept: this text had 700 KB") {
				t.Errorf("%s: the dropped text reads %q", name, tail(got.Form.Values().Get("messages.content")))
			}
		}
	})
}

func tail(s string) string {
	if len(s) > 200 {
		return "…" + s[len(s)-200:]
	}
	return s
}

// TestOldAddedProviderRunsReadMyVariables: a run of a provider someone
// added, stored when its curl read $OPENAI_API_KEY (one named OpenAI),
// reads $MY_OPENAI_API_KEY now; a catalog provider's run is as stored.
func TestOldAddedProviderRunsReadMyVariables(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		old := entry("r-own", time.Now(), "my-0123abcd", "gpt-x", "hi")
		old.Request.KeyEnv = "OPENAI_API_KEY"
		cat := entry("r-cat", time.Now(), "openai", "gpt-x", "hi")
		cat.Request.KeyEnv = "OPENAI_API_KEY"
		for _, e := range []Entry{old, cat} {
			if err := s.Insert(ctx, "alice", e); err != nil {
				t.Fatal(err)
			}
		}
		for id, want := range map[string]string{"r-own": "$MY_OPENAI_API_KEY", "r-cat": "$OPENAI_API_KEY"} {
			e, err := s.Get(ctx, "alice", id)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(e.Curl, "Bearer "+want+`"`) {
				t.Errorf("%s: curl %s", id, e.Curl)
			}
		}
	})
}
