// Package histbench measures the history store at scale (issue #22): it
// writes runs through the store's own API (Store.Write batches, as the
// recorder writes them) and times the list, the search, one run's page and
// the export, p50 and p99 over repeated calls. cmd/histbench runs it; its
// test runs a small size so it cannot rot.
package histbench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/run"
)

// Owner is the session the runs belong to (one owner: the worst case for
// the list, which reads only the owner's runs).
const Owner = "histbench-owner"

// Rare is a word in one run in five thousand (20 of 100,000).
const Rare = "zyzzyva"

// batchRuns is how many runs one Write inserts (and then ends): the
// recorder batches what many streams write at once.
const batchRuns = 100

// models are the provider and model pairs the runs spread over.
var models = []struct{ provider, providerName, model string }{
	{"openai", "OpenAI", "gpt-4o-mini"}, {"openai", "OpenAI", "gpt-4o"}, {"openai", "OpenAI", "o3-mini"},
	{"deepseek", "DeepSeek", "deepseek-chat"}, {"anthropic", "Anthropic", "claude-sonnet"}, {"sim", "Simulator", "sim-chat"},
}

// common words head the vocabulary (Zipf-distributed: "the" is in nearly
// every run); the rest are made-up words of 4 to 9 letters.
var common = strings.Fields(`the of and to a in is that for it as with was on be by this are or from at
	an which but not have has can will explain write code function python error data model example list
	summary question answer table step first`)

func vocabulary(r *rand.Rand, n int) []string {
	words := slices.Clone(common)
	for len(words) < n {
		b := make([]byte, 4+r.IntN(6))
		for i := range b {
			b[i] = byte('a' + r.IntN(26))
		}
		words = append(words, string(b))
	}
	return words
}

// text is about n bytes of words from vocab.
func text(r *rand.Rand, z *rand.Zipf, vocab []string, n int) string {
	var b strings.Builder
	for b.Len() < n {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(vocab[z.Uint64()])
	}
	return b.String()
}

// transcript is answer as the SSE stream of a chat completion, a few words
// an event.
func transcript(answer string) []byte {
	var b strings.Builder
	words := strings.Fields(answer)
	for i := 0; i < len(words); i += 4 {
		chunk, _ := json.Marshal(strings.Join(words[i:min(i+4, len(words))], " ") + " ")
		b.WriteString(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":`)
		b.Write(chunk)
		b.WriteString("}}]}\n\n")
	}
	b.WriteString("data: [DONE]\n\n")
	return []byte(b.String())
}

// Generated is what Generate wrote.
type Generated struct {
	Runs     int
	Bytes    int64 // prompts, answers and transcripts
	Duration time.Duration
	// IDs are some of the runs' ids, for Get.
	IDs []string
	// First and Last are the oldest and newest runs' creation times.
	First, Last time.Time
}

// Generate writes n runs of Owner, created a minute apart ending now, with
// prompts of 100 to 1,500 bytes, answers of 300 to 4,000 and their
// transcripts, in batches of 100 inserts then 100 endings.
func Generate(ctx context.Context, s *history.Store, n int, seed uint64) (Generated, error) {
	r := rand.New(rand.NewPCG(seed, seed+1))
	vocab := vocabulary(r, 5000)
	z := rand.NewZipf(r, 1.1, 2, uint64(len(vocab)-1))
	start := time.Now().Add(-time.Duration(n) * time.Minute).Truncate(time.Millisecond)
	g := Generated{Runs: n, First: start, Last: start}
	t0 := time.Now()
	for done := 0; done < n; done += batchRuns {
		var b, fin history.Batch
		for i := done; i < min(done+batchRuns, n); i++ {
			m := models[r.IntN(len(models))]
			prompt := text(r, z, vocab, 100+r.IntN(1400))
			if i%5000 == 4999 {
				prompt += " " + Rare
			}
			answer := text(r, z, vocab, 300+r.IntN(3700))
			created := start.Add(time.Duration(i) * time.Minute)
			id := history.NewID()
			e := history.Entry{ID: id, Created: created, Provider: m.provider, ProviderName: m.providerName, Model: m.model,
				ModelLabel: m.model, Style: "chat", Status: run.Running, Prompt: prompt,
				Form: form.Decode(url.Values{"messages.role": {"user"}, "messages.content": {prompt}, "temperature": {"0.7"}}),
				Request: history.Request{Method: "POST", URL: "https://api.example.com/v1/chat/completions", KeyEnv: "OPENAI_API_KEY",
					Headers: []history.Header{{Name: "Content-Type", Value: "application/json"}},
					Body:    `{"model":"` + m.model + `","stream":true,"messages":[{"role":"user","content":` + quote(prompt) + `}]}`}}
			b.Inserts = append(b.Inserts, history.InsertItem{Owner: Owner, Entry: e})
			tr := transcript(answer)
			rec := run.Record{State: run.Completed, Ended: created.Add(2 * time.Second), Transcript: tr,
				Output:  run.Output{Choices: []run.ChoiceOutput{{Text: answer, Finish: "stop"}}},
				Outcome: run.Outcome{State: run.Completed, Finish: []string{"stop"}, Usage: run.Usage{Input: len(prompt) / 4, Output: len(answer) / 4}}}
			fin.Finishes = append(fin.Finishes, history.FinishItem{ID: id, Prompt: prompt, Record: rec})
			g.Bytes += int64(len(prompt) + len(answer) + len(tr))
			if i%(max(n/200, 1)) == 0 {
				g.IDs = append(g.IDs, id)
			}
			g.Last = created
		}
		if err := s.Write(ctx, b); err != nil {
			return g, err
		}
		if err := s.Write(ctx, fin); err != nil {
			return g, err
		}
	}
	g.Duration = time.Since(t0)
	return g, nil
}

// Existing is what Measure needs of runs of Owner already in s (a
// database an earlier run kept): the oldest and newest creation times and
// the ids of the newest and oldest pages.
func Existing(ctx context.Context, s *history.Store, runs int) (Generated, error) {
	g := Generated{Runs: runs}
	newest, err := s.List(ctx, Owner, history.Filter{PerPage: 100})
	if err != nil || len(newest.Entries) == 0 {
		return g, fmt.Errorf("no runs of %s: %v", Owner, err)
	}
	oldest, err := s.List(ctx, Owner, history.Filter{PerPage: 100, Cursor: history.Cursor{Dir: history.Newer, Created: time.UnixMilli(0)}})
	if err != nil {
		return g, err
	}
	g.Last, g.First = newest.Entries[0].Created, oldest.Entries[len(oldest.Entries)-1].Created
	for _, e := range append(newest.Entries, oldest.Entries...) {
		g.IDs = append(g.IDs, e.ID)
	}
	return g, nil
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Timing is one measure's times.
type Timing struct {
	Name     string
	Calls    int
	P50, P99 time.Duration
	// Rows is what the last call returned (entries of a page, runs
	// exported), Note what it was.
	Rows int
	Note string
}

// Report is a benchmark's results.
type Report struct {
	Dialect   history.Dialect
	Generated Generated
	Timings   []Timing
	// ExportMBps is the export's rate, Store.Export through a JSON
	// encoder as the handler writes it (best of the calls), ExportBytes
	// one export's size.
	ExportMBps  float64
	ExportBytes int64
}

// Measure times the store's reads of g's runs, reps calls each (exports:
// max(reps/10, 2)).
func Measure(ctx context.Context, s *history.Store, g Generated, reps int) (Report, error) {
	rep := Report{Dialect: s.Dialect(), Generated: g}
	// A page far back: the run in the middle of the history, as a cursor
	// from the page before it would give.
	mid := g.First.Add(g.Last.Sub(g.First) / 2)
	week := history.Filter{From: mid.Add(-7 * 24 * time.Hour), To: mid}
	lists := []struct {
		name string
		f    history.Filter
	}{
		{"list: first page", history.Filter{}},
		{"list: a page half way back (cursor)", history.Filter{Cursor: history.Cursor{Dir: history.Older, Created: mid, ID: "~"}}},
		{"list: a newer page half way back (cursor)", history.Filter{Cursor: history.Cursor{Dir: history.Newer, Created: mid, ID: ""}}},
		{"list: provider filter", history.Filter{Provider: "deepseek"}},
		{"list: model filter", history.Filter{Provider: "openai", Model: "gpt-4o"}},
		{"list: a week's date range", week},
		{"list: provider filter, page half way back", history.Filter{Provider: "anthropic", Cursor: history.Cursor{Dir: history.Older, Created: mid, ID: "~"}}},
		{"search: common word (the)", history.Filter{Query: "the"}},
		{"search: two common words", history.Filter{Query: "explain python"}},
		{"search: rare word", history.Filter{Query: Rare}},
		{"search: prefix as typed (expl)", history.Filter{Query: "expl"}},
		{"search: a phrase", history.Filter{Query: `"the of"`}},
		{"search: no match", history.Filter{Query: "qqqqqqqq"}},
		{"search: rare word with a filter", history.Filter{Query: Rare, Provider: "openai"}},
	}
	for _, l := range lists {
		l.f.PerPage = history.PerPage
		var last history.Page
		t, err := timeIt(l.name, reps, func() error {
			var err error
			last, err = s.List(ctx, Owner, l.f)
			return err
		})
		if err != nil {
			return rep, fmt.Errorf("%s: %w", l.name, err)
		}
		t.Rows = len(last.Entries)
		t.Note = fmt.Sprintf("count %d", last.Total)
		if last.Capped {
			t.Note = fmt.Sprintf("count %d+", last.Total)
		}
		rep.Timings = append(rep.Timings, t)
	}
	i := 0
	t, err := timeIt("Get: one run's page", reps, func() error {
		_, err := s.Get(ctx, Owner, g.IDs[i%len(g.IDs)])
		i++
		return err
	})
	if err != nil {
		return rep, err
	}
	t.Rows = 1
	rep.Timings = append(rep.Timings, t)

	for range max(reps/10, 2) {
		var w countingWriter
		enc := json.NewEncoder(&w)
		n := 0
		t0 := time.Now()
		if err := s.Export(ctx, Owner, func(e history.Entry) error { n++; return enc.Encode(e) }); err != nil {
			return rep, err
		}
		d := time.Since(t0)
		rep.ExportBytes = w.n
		rep.ExportMBps = max(rep.ExportMBps, float64(w.n)/1e6/d.Seconds())
	}
	return rep, nil
}

// timeIt calls fn n times (after one warm-up call) and gives the p50 and
// p99.
func timeIt(name string, n int, fn func() error) (Timing, error) {
	if err := fn(); err != nil {
		return Timing{}, err
	}
	ds := make([]time.Duration, n)
	for i := range ds {
		t0 := time.Now()
		if err := fn(); err != nil {
			return Timing{}, err
		}
		ds[i] = time.Since(t0)
	}
	slices.Sort(ds)
	return Timing{Name: name, Calls: n, P50: ds[n/2], P99: ds[min(n-1, n*99/100)]}, nil
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// Print writes rep as a Markdown table.
func (rep Report) Print(w io.Writer) {
	g := rep.Generated
	if g.Duration > 0 {
		fmt.Fprintf(w, "### %s: %d runs (%.0f MB of prompts, answers and transcripts) written in %s (%.0f runs/s)\n\n",
			rep.Dialect, g.Runs, float64(g.Bytes)/1e6, g.Duration.Round(time.Second), float64(g.Runs)/g.Duration.Seconds())
	} else {
		fmt.Fprintf(w, "### %s: the runs of an earlier run (-reuse)\n\n", rep.Dialect)
	}
	fmt.Fprintln(w, "| measure | p50 | p99 | calls | rows | |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, t := range rep.Timings {
		fmt.Fprintf(w, "| %s | %s | %s | %d | %d | %s |\n", t.Name, ms(t.P50), ms(t.P99), t.Calls, t.Rows, t.Note)
	}
	fmt.Fprintf(w, "| export (Store.Export + JSON lines) | %.0f MB/s | | | | %.0f MB an export |\n\n", rep.ExportMBps, float64(rep.ExportBytes)/1e6)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
