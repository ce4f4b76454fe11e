package history

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/playground-dev/playground/web/audio"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/curl"
	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/units"
)

// Header is one request header (never Authorization: the key is not kept).
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	// Secret marks a header whose value is kept as its ${VAR} template.
	Secret bool `json:"secret,omitempty"`
}

// Request is the upstream request as sent, without its key.
type Request struct {
	Method  string   `json:"method"`
	URL     string   `json:"url"`
	KeyEnv  string   `json:"key_env,omitempty"`
	Headers []Header `json:"headers,omitempty"`
	Body    string   `json:"body"`
	// Omitted says why Body is empty: the run was larger than the history
	// keeps of one (Limits.RunBytes).
	Omitted string `json:"omitted,omitempty"`
	// FormOmitted is set when the form's largest texts were not kept
	// either (each reads as a note): the run cannot be replayed, forked or continued.
	FormOmitted bool `json:"form_omitted,omitempty"`
}

// Script is the run's curl command as a shell script to download: a
// comment naming the provider, model and time, and the key variable the
// command reads from the shell.
func (e Entry) Script() string {
	return "#!/bin/sh\n# " + e.ProviderName + " · " + e.ModelLabel + ", " + e.Created.Format(time.RFC3339) +
		"\n# The key comes from your shell: set $" + e.Request.KeyEnv + " first.\n" + e.Curl + "\n"
}

// Audio is the spoken answer of choice i as a browser plays it (pcm16
// inside a WAV header), and its Content-Type; false when the choice has no
// audio kept.
func (e Entry) Audio(i int) ([]byte, string, bool) {
	for _, ch := range e.Output.Choices {
		if ch.Index == i && ch.Audio != nil && len(ch.Audio.Data) > 0 {
			return audio.Playable(ch.Audio.Format, ch.Audio.Data), audio.ContentType(ch.Audio.Format), true
		}
	}
	return nil, "", false
}

// curl is the curl command of the request, derived when read (it is not
// stored: it is the request in another spelling).
func (r Request) curl() string {
	if r.Omitted != "" {
		return "# " + r.Omitted
	}
	req, ok := r.Rebuilt("")
	if !ok {
		return ""
	}
	return curl.Render(req)
}

// Rebuilt is the stored request as the request it was (the key left to
// its variable), for code in other languages; false when it was not kept.
// style is the run's API style (which answer a snippet prints).
func (r Request) Rebuilt(style catalog.Style) (*request.Request, bool) {
	if r.Method == "" || r.Omitted != "" {
		return nil, false
	}
	req := request.Request{Method: r.Method, BaseURL: r.URL, KeyEnv: r.KeyEnv, Style: style}
	for _, h := range r.Headers {
		req.Header = append(req.Header, request.Header{Name: h.Name, Value: h.Value, Secret: h.Secret})
		// request.Build asks for an event stream exactly when it streams.
		req.Stream = req.Stream || strings.EqualFold(h.Name, "Accept") && h.Value == "text/event-stream"
	}
	if r.Body != "" {
		req.Body = []byte(r.Body)
	}
	return &req, true
}

// Entry is one stored run.
type Entry struct {
	ID           string     `json:"id"`
	GroupID      string     `json:"comparison,omitempty"`
	Pane         int        `json:"pane,omitempty"`
	Created      time.Time  `json:"created"`
	Updated      time.Time  `json:"updated"`
	Provider     string     `json:"provider"`
	ProviderName string     `json:"provider_name"`
	Model        string     `json:"model"`
	ModelLabel   string     `json:"model_label"`
	Style        string     `json:"style"`
	Status       run.State  `json:"status"`
	Prompt       string     `json:"prompt"`
	Form         form.Draft `json:"form"`
	// Vars are the values the form's variables ({{name}}) were filled
	// with; the form is the template.
	Vars    map[string]string `json:"vars,omitempty"`
	Request Request           `json:"request"`
	// Curl is derived from Request when the run is read; what a run
	// started with is not stored.
	Curl   string     `json:"curl"`
	Output run.Output `json:"output"`
	// Outcome is the run's exact outcome as it is stored (the summary
	// column): amounts as exact decimal strings, durations in
	// nanoseconds. The JSON export carries it so.
	Outcome *run.Outcome   `json:"outcome,omitempty"`
	Failure *run.ErrorView `json:"error,omitempty"`
	// Transcript is the raw upstream stream; only Export and Transcript
	// load it.
	Transcript string `json:"transcript,omitempty"`
	// ShareID is set while the run is shared.
	ShareID string `json:"-"`
}

// maxSearch bounds the text kept for search per run.
const maxSearch = 64 << 10

func searchText(e *Entry) string {
	s := strings.ToLower(e.Prompt + "\n" + e.Output.Text())
	if len(s) > maxSearch {
		s = strings.ToValidUTF8(s[:maxSearch], "")
	}
	return s
}

// marshal is v as stored: JSON without HTML escaping (a prompt full of
// markup would take six bytes for each < and >).
func marshal(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// SQL of the writes a run gets. bytes is what the run's rows take (its
// inputs' input_bytes plus the rest), for the quota.
const (
	insertRunSQL = `INSERT INTO runs (id, owner, group_id, pane, created_at, updated_at, provider, provider_name,
		model, model_label, style, status, prompt, output, search, input_bytes, bytes)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insertInputsSQL   = `INSERT INTO run_inputs (run_id, form, form_refs, request, vars) VALUES (?, ?, ?, ?, ?)`
	progressRunSQL    = `UPDATE runs SET output = ?, search = ?, bytes = input_bytes + ?, updated_at = ? WHERE id = ? AND status = ?`
	insertEndedRunSQL = `INSERT INTO runs (id, owner, group_id, pane, created_at, updated_at, provider, provider_name,
		model, model_label, style, status, prompt, output, search, summary, failure, transcript, input_bytes, bytes)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	finishRunSQL = `UPDATE runs SET status = ?, output = ?, search = ?, summary = ?, failure = ?, transcript = ?, bytes = input_bytes + ?,
		updated_at = ? WHERE id = ?`
	runSizeSQL = `SELECT owner, input_bytes FROM runs WHERE id = ?`
)

// endedRow is what a run's row holds once it has ended: its columns as
// stored (within Limits.RunBytes, less the inputs' size inputs) and rest,
// what they take besides the inputs.
type endedRow struct {
	prompt, output, search, summary, failure string
	transcript                               []byte
	rest                                     int64
}

func (lim Limits) endedRow(f FinishItem, inputs int64) endedRow {
	rec := f.Record
	e := Entry{Prompt: f.Prompt, Output: rec.Output}
	r := endedRow{prompt: storedPrompt(e.Prompt), search: clean(searchText(&e)), summary: clean(marshal(rec.Outcome))}
	if rec.Failure != nil {
		r.failure = clean(marshal(rec.Failure))
	}
	r.output, r.transcript = clean(marshal(rec.Output)), rec.Transcript
	if lim.RunBytes > 0 {
		left := lim.RunBytes - inputs - restBytes(r.prompt, r.search, r.summary, r.failure)
		// The stream keeps at least room for the note that it was cut.
		r.output = clean(lim.storeOutput(rec.Output, left-min(int64(len(r.transcript)), 1<<10)))
		r.transcript = lim.storeTranscript(r.transcript, left-int64(len(r.output)))
	}
	r.rest = restBytes(r.prompt, r.output, r.search, r.summary, r.failure) + int64(len(r.transcript))
	return r
}

// InsertItem is a new run and its owner.
type InsertItem struct {
	Owner string
	Entry Entry
}

// ProgressItem is one running run's output so far.
type ProgressItem struct {
	ID     string
	Prompt string
	Output run.Output
}

// FinishItem is how one run ended.
type FinishItem struct {
	ID     string
	Prompt string
	Record run.Record
}

// Batch is writes to make together: inserts first, then progress (of runs
// still running), then endings.
type Batch struct {
	Inserts  []InsertItem
	Progress []ProgressItem
	Finishes []FinishItem
}

// Write makes a batch's writes in one transaction (one commit, not one per
// run: many streams write at once). When the transaction fails, each write
// is tried on its own, so one bad row loses no other. Then the owners who
// got a run or an ending are held to their quota.
func (s *Store) Write(ctx context.Context, b Batch) error {
	owners := map[string]growth{}
	err := s.writeTx(ctx, b, owners)
	if err != nil && len(b.Inserts)+len(b.Progress)+len(b.Finishes) > 1 {
		var errs []error
		for _, it := range b.Inserts {
			errs = append(errs, s.writeTx(ctx, Batch{Inserts: []InsertItem{it}}, owners))
		}
		for _, it := range b.Progress {
			errs = append(errs, s.writeTx(ctx, Batch{Progress: []ProgressItem{it}}, owners))
		}
		for _, it := range b.Finishes {
			errs = append(errs, s.writeTx(ctx, Batch{Finishes: []FinishItem{it}}, owners))
		}
		err = errors.Join(errs...)
	}
	now := time.Now()
	for owner, g := range owners {
		if s.usage.within(owner, g, s.limits, now) {
			continue // certainly within the quota: no count
		}
		if _, qerr := s.enforceQuota(ctx, owner); qerr != nil {
			err = errors.Join(err, qerr)
		}
	}
	return err
}

// restBytes is what a run's row takes besides its inputs.
func restBytes(parts ...string) int64 {
	n := int64(0)
	for _, p := range parts {
		n += int64(len(p))
	}
	return n
}

// writeTx makes b's writes in one transaction, adding to owners (as
// stored: hashed) those whose runs grew, and by how much at most.
func (s *Store) writeTx(ctx context.Context, b Batch, owners map[string]growth) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	defer tx.Rollback()
	// A statement joins the transaction only when there is work for it.
	stmt := func(st *sql.Stmt, n int) *sql.Stmt {
		if n == 0 {
			return nil
		}
		return tx.StmtContext(ctx, st)
	}
	lim := s.limits
	// A run that ends in the batch that inserts it (most: an insert waits
	// up to a second for company) is inserted ended: its row written once
	// and indexed for search once, not inserted, read back and updated.
	endings := map[string]FinishItem{}
	for _, f := range b.Finishes {
		endings[f.ID] = f
	}
	ended := map[string]bool{}
	for _, it := range b.Inserts {
		if _, ok := endings[it.Entry.ID]; ok {
			ended[it.Entry.ID] = true
		}
	}
	ins, insIn := stmt(s.insertRun, len(b.Inserts)-len(ended)), stmt(s.insertInputs, len(b.Inserts))
	insEnded := stmt(s.insertEndedRun, len(ended))
	type grew struct {
		owner string
		growth
	}
	var grown []grew
	for _, it := range b.Inserts {
		e := it.Entry
		now := millis(e.Created)
		in := lim.storeInputs(&e)
		owner := OwnerKey(it.Owner)
		var size int64
		if f, ok := endings[e.ID]; ok {
			r := lim.endedRow(f, in.size())
			size = in.size() + r.rest
			if _, err := insEnded.ExecContext(ctx, e.ID, owner, e.GroupID, e.Pane, now, millis(f.Record.Ended), clean(e.Provider),
				clean(e.ProviderName), clean(e.Model), clean(e.ModelLabel), e.Style, string(f.Record.State), r.prompt, r.output,
				r.search, r.summary, r.failure, r.transcript, in.size(), size); err != nil {
				return fmt.Errorf("history: insert run: %w", err)
			}
		} else {
			prompt, output, search := storedPrompt(e.Prompt), clean(marshal(e.Output)), clean(searchText(&e))
			size = in.size() + restBytes(prompt, output, search)
			if _, err := ins.ExecContext(ctx, e.ID, owner, e.GroupID, e.Pane, now, now, clean(e.Provider), clean(e.ProviderName),
				clean(e.Model), clean(e.ModelLabel), e.Style, string(e.Status), prompt, output, search, in.size(), size); err != nil {
				return fmt.Errorf("history: insert run: %w", err)
			}
		}
		if _, err := insIn.ExecContext(ctx, e.ID, in.form, in.refs, in.request, in.vars); err != nil {
			return fmt.Errorf("history: insert run: %w", err)
		}
		grown = append(grown, grew{owner, growth{1, size}})
	}
	// size reads a run's owner and its inputs' size: what is left of
	// RunBytes is the answer's and the stream's.
	var size *sql.Stmt
	runSize := func(id string) (owner string, inputs int64, err error) {
		if size == nil {
			size = tx.StmtContext(ctx, s.runSize)
		}
		err = size.QueryRowContext(ctx, id).Scan(&owner, &inputs)
		return owner, inputs, err
	}
	prog := stmt(s.progressRun, len(b.Progress))
	now := millis(time.Now())
	for _, it := range b.Progress {
		e := Entry{Prompt: it.Prompt, Output: it.Output}
		prompt, search := storedPrompt(e.Prompt), clean(searchText(&e))
		output := clean(marshal(it.Output))
		if lim.RunBytes > 0 && int64(len(output)) > lim.RunBytes-lim.inputBudget() {
			_, inputs, err := runSize(it.ID)
			if errors.Is(err, sql.ErrNoRows) {
				continue // deleted while it ran
			}
			if err != nil {
				return fmt.Errorf("history: progress: %w", err)
			}
			output = clean(lim.storeOutput(it.Output, lim.RunBytes-inputs-restBytes(prompt, search)))
		}
		if _, err := prog.ExecContext(ctx, output, search, restBytes(prompt, output, search), now, it.ID, string(run.Running)); err != nil {
			return fmt.Errorf("history: progress: %w", err)
		}
	}
	fin := stmt(s.finishRun, len(b.Finishes)-len(ended))
	for _, it := range b.Finishes {
		if ended[it.ID] {
			continue // inserted ended above
		}
		owner, inputs, err := runSize(it.ID)
		if errors.Is(err, sql.ErrNoRows) {
			continue // deleted while it ran
		}
		if err != nil {
			return fmt.Errorf("history: finish run: %w", err)
		}
		r := lim.endedRow(it, inputs)
		if _, err := fin.ExecContext(ctx, string(it.Record.State), r.output, r.search, r.summary, r.failure, r.transcript,
			r.rest, millis(it.Record.Ended), it.ID); err != nil {
			return fmt.Errorf("history: finish run: %w", err)
		}
		grown = append(grown, grew{owner, growth{0, r.rest}})
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	for _, g := range grown {
		o := owners[g.owner]
		o.runs += g.runs
		o.bytes += g.bytes
		owners[g.owner] = o
	}
	return nil
}

// Touch marks running runs as alive (their process has not crashed).
func (s *Store) Touch(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{millis(time.Now()), string(run.Running)}
	for _, id := range ids {
		args = append(args, id)
	}
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE runs SET updated_at = ? WHERE status = ? AND id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`), args...)
	return err
}

// Recover marks as interrupted the runs still "running" that nobody has
// touched since before: their process ended without finishing them (a
// crash, a kill). It returns how many.
func (s *Store) Recover(ctx context.Context, before time.Time) (int64, error) {
	failure := marshal(run.ErrorView{Message: "The server stopped while this run was going; what had arrived is kept."})
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE runs SET status = ?, failure = ? WHERE status = ? AND updated_at < ?`),
		string(run.Interrupted), failure, string(run.Running), millis(before))
	if err != nil {
		return 0, fmt.Errorf("history: recover: %w", err)
	}
	return res.RowsAffected()
}

// Interrupt marks the running runs ids interrupted with message: another
// instance's, which died while they went (web/cluster finds them within
// seconds; Recover is the slower sweep for one instance's own restart).
func (s *Store) Interrupt(ctx context.Context, ids []string, message string) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{string(run.Interrupted), marshal(run.ErrorView{Message: message}), string(run.Running)}
	for _, id := range ids {
		args = append(args, id)
	}
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE runs SET status = ?, failure = ? WHERE status = ? AND id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`), args...)
	if err != nil {
		return fmt.Errorf("history: interrupt: %w", err)
	}
	return nil
}

// entryColumns are what a run's page needs, FROM entryTables.
const entryColumns = `id, group_id, pane, created_at, updated_at, provider, provider_name, model, model_label, style, status,
	prompt, COALESCE(form, '{}'), COALESCE(form_refs, ''), COALESCE(request, '{}'), COALESCE(vars, ''), output, summary, failure, COALESCE(share_id, '')`

// entryTables are a run and its inputs (their columns' names differ).
const entryTables = `runs LEFT JOIN run_inputs ON run_inputs.run_id = runs.id`

// listColumns are entryColumns without what a list does not show (form,
// request, output: an output can be megabytes), FROM runs.
const listColumns = `id, group_id, pane, created_at, updated_at, provider, provider_name, model, model_label, style, status,
	prompt, '{}', '', '{}', '', '{}', summary, failure, COALESCE(share_id, '')`

type scanner interface{ Scan(...any) error }

func scanEntry(row scanner, extra ...any) (Entry, error) {
	var e Entry
	var created, updated int64
	var status, form, refs, req, vars, out, sum, failure string
	dest := []any{&e.ID, &e.GroupID, &e.Pane, &created, &updated, &e.Provider, &e.ProviderName, &e.Model, &e.ModelLabel,
		&e.Style, &status, &e.Prompt, &form, &refs, &req, &vars, &out, &sum, &failure, &e.ShareID}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return e, ErrNotFound
		}
		return e, fmt.Errorf("history: %w", err)
	}
	e.Created, e.Updated, e.Status = fromMillis(created), fromMillis(updated), run.State(status)
	loadInputs(&e, form, refs, req, vars)
	if strings.HasPrefix(e.Provider, catalog.OwnProviderPrefix) && e.Request.KeyEnv != "" &&
		!strings.HasPrefix(e.Request.KeyEnv, catalog.OwnKeyEnvPrefix) {
		// Stored before added providers' variables had their prefix: a
		// shared curl must not read a variable meant for a catalog
		// provider ($OPENAI_API_KEY for one named OpenAI).
		e.Request.KeyEnv = catalog.OwnKeyEnvPrefix + e.Request.KeyEnv
	}
	e.Curl = e.Request.curl()
	_ = json.Unmarshal([]byte(out), &e.Output)
	if sum != "" {
		var o run.Outcome
		if json.Unmarshal([]byte(sum), &o) == nil {
			e.Outcome = &o
		}
	}
	if failure != "" {
		var f run.ErrorView
		if json.Unmarshal([]byte(failure), &f) == nil {
			e.Failure = &f
		}
	}
	return e, nil
}

// Get returns owner's run id.
func (s *Store) Get(ctx context.Context, owner, id string) (Entry, error) {
	row := s.db.QueryRowContext(ctx, s.q(`SELECT `+entryColumns+` FROM `+entryTables+` WHERE id = ? AND owner = ?`), id, OwnerKey(owner))
	e, err := scanEntry(row)
	return e, tell(err, noRun)
}

// Inputs returns owner's run id for a replay, a fork or a continuation,
// which need its whole form: a run larger than the history keeps lost its
// largest texts (each reads as a note), and gives NotReplayable with it.
func (s *Store) Inputs(ctx context.Context, owner, id string) (Entry, error) {
	e, err := s.Get(ctx, owner, id)
	if err == nil && e.Request.FormOmitted {
		return e, NotReplayable(s.limits.RunBytes)
	}
	return e, err
}

// NotReplayable says a run cannot be replayed, forked or continued because
// its prompt was larger than the runBytes the history keeps of a run.
func NotReplayable(runBytes int64) *problem.Error {
	return problem.Errorf(problem.KindConflict, "This run cannot be replayed, forked or continued: its prompt was larger than the history keeps of a run (%s), so its longest texts were not kept.",
		units.Bytes(runBytes))
}

// Transcript returns the raw stream of owner's run id.
func (s *Store) Transcript(ctx context.Context, owner, id string) ([]byte, error) {
	var b []byte
	err := s.db.QueryRowContext(ctx, s.q(`SELECT transcript FROM runs WHERE id = ? AND owner = ?`), id, OwnerKey(owner)).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, noRun()
	}
	return b, err
}

// Delete removes owner's run id.
func (s *Store) Delete(ctx context.Context, owner, id string) error {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM runs WHERE id = ? AND owner = ?`), id, OwnerKey(owner))
	if err != nil {
		return fmt.Errorf("history: delete: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return noRun()
	}
	return nil
}

// Share gives owner's run id a share id (the existing one if shared).
func (s *Store) Share(ctx context.Context, owner, id string) (string, error) {
	return s.share(ctx, "runs", owner, id)
}

// Unshare revokes the run's share link.
func (s *Store) Unshare(ctx context.Context, owner, id string) error {
	return s.unshare(ctx, "runs", owner, id)
}

func (s *Store) share(ctx context.Context, table, owner, id string) (string, error) {
	var cur string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COALESCE(share_id, '') FROM `+table+` WHERE id = ? AND owner = ?`), id, OwnerKey(owner)).Scan(&cur)
	if errors.Is(err, sql.ErrNoRows) {
		return "", noneOf(table)
	}
	if err != nil {
		return "", fmt.Errorf("history: share: %w", err)
	}
	if cur != "" {
		return cur, nil
	}
	sid := NewID()
	if _, err := s.db.ExecContext(ctx, s.q(`UPDATE `+table+` SET share_id = ? WHERE id = ? AND owner = ?`), sid, id, OwnerKey(owner)); err != nil {
		return "", fmt.Errorf("history: share: %w", err)
	}
	return sid, nil
}

// noneOf is the not-found problem of a row of table.
func noneOf(table string) *problem.Error {
	switch table {
	case "comparisons":
		return noComparison()
	case "experiments":
		return noExperiment()
	}
	return noRun()
}

func (s *Store) unshare(ctx context.Context, table, owner, id string) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE `+table+` SET share_id = NULL WHERE id = ? AND owner = ?`), id, OwnerKey(owner))
	if err != nil {
		return fmt.Errorf("history: unshare: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return noneOf(table)
	}
	return nil
}

// Shared returns the run shared as shareID.
func (s *Store) Shared(ctx context.Context, shareID string) (Entry, error) {
	if shareID == "" {
		return Entry{}, noLink()
	}
	row := s.db.QueryRowContext(ctx, s.q(`SELECT `+entryColumns+` FROM `+entryTables+` WHERE share_id = ?`), shareID)
	e, err := scanEntry(row)
	return e, tell(err, noLink)
}

// Filter selects runs of the history page.
type Filter struct {
	Provider string
	Model    string
	// From and To bound the creation time: From inclusive, To exclusive.
	From, To time.Time
	// Query is searched in the prompt and the answer (see search.go: words,
	// each a prefix, and "quoted phrases").
	Query string
	// Cursor is the page: the runs older than its key (Older) or newer
	// (Newer); the zero Cursor is the first (newest) page.
	Cursor  Cursor
	PerPage int
}

// CountCap bounds the count a page shows: counting every match of a
// search or filter at 100,000 runs would cost a scan of them all on every
// page, and past a thousand the number tells nobody anything (the page
// says "more than 1,000").
const CountCap = 1000

// Page is one page of runs, newest first; its entries carry no form,
// request, curl or output (Get has them).
type Page struct {
	Entries []Entry
	// Total is how many runs match the filter, at most CountCap; Capped
	// says there are more.
	Total  int
	Capped bool
	// Newer and Older are the cursors of the pages before and after this
	// one (the zero Cursor when there is none).
	Newer, Older Cursor
}

// List returns a page of owner's runs, newest first (by creation time,
// then id), as a keyset page: what a page costs does not grow with how far
// back it is.
func (s *Store) List(ctx context.Context, owner string, f Filter) (Page, error) {
	if f.PerPage <= 0 {
		f.PerPage = 25
	}
	var p Page
	lq, err := s.listWhere(ctx, owner, f)
	if err != nil {
		return p, err
	}
	if p.Total, p.Capped, err = s.count(ctx, lq); err != nil {
		return p, err
	}
	cur := f.Cursor
	entries, more, err := s.listPage(ctx, lq, cur, f.PerPage)
	if err != nil {
		return p, err
	}
	if cur.Dir == Newer && len(entries) < f.PerPage {
		// Fewer than a page is newer: that is the first page, whole.
		cur = Cursor{}
		if entries, more, err = s.listPage(ctx, lq, cur, f.PerPage); err != nil {
			return p, err
		}
	}
	p.Entries = entries
	if len(entries) == 0 {
		return p, nil
	}
	first, last := entries[0], entries[len(entries)-1]
	// Going older, "more" is whether there is an older page; going newer,
	// whether there is a newer one. The other side is where the cursor
	// came from, so there is one.
	hasNewer, hasOlder := cur.Dir == Older, more
	if cur.Dir == Newer {
		hasNewer, hasOlder = more, true
	}
	if hasNewer {
		p.Newer = Cursor{Dir: Newer, Created: first.Created, ID: first.ID}
	}
	if hasOlder {
		p.Older = Cursor{Dir: Older, Created: last.Created, ID: last.ID}
	}
	return p, nil
}

// ftsFew is how many runs (of any session) a search may match for List
// to read its matches from the full-text index and sort them; past it,
// List walks the runs in chunks (see walk.go).
var ftsFew = 2000

// listWhere is the condition of f's runs of owner, and its arguments.
func (s *Store) listWhere(ctx context.Context, owner string, f Filter) (listQuery, error) {
	where := `owner = ?`
	args := []any{OwnerKey(owner)}
	if f.Provider != "" {
		where += ` AND provider = ?`
		args = append(args, f.Provider)
	}
	if f.Model != "" {
		where += ` AND model = ?`
		args = append(args, f.Model)
	}
	if !f.From.IsZero() {
		where += ` AND created_at >= ?`
		args = append(args, millis(f.From))
	}
	if !f.To.IsZero() {
		where += ` AND created_at < ?`
		args = append(args, millis(f.To))
	}
	if q := strings.TrimSpace(clean(f.Query)); q != "" {
		switch terms := parseSearch(q); {
		case len(terms) == 0:
			// No word in it: the text as a substring.
			where += ` AND search LIKE ? ESCAPE '\'`
			args = append(args, "%"+likeEscape(strings.ToLower(q))+"%")
		case s.dialect == Postgres:
			// The planner cannot tell a rare prefix from a common one: it
			// walked the owner's runs for a rare word too (530 ms). Few
			// matches are read from the GIN index (bitmap scans only).
			tsq := tsQuery(terms)
			var n int
			if err := s.read(ctx, true, func(q queryer) error {
				return q.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM runs WHERE search_tsv @@ to_tsquery('simple', $1) LIMIT $2) AS m`,
					tsq, ftsFew+1).Scan(&n)
			}); err != nil {
				return listQuery{}, fmt.Errorf("history: search: %w", err)
			}
			where += ` AND search_tsv @@ to_tsquery('simple', ?)`
			args = append(args, tsq)
			return listQuery{where: where, args: args, bitmap: n <= ftsFew}, nil
		default:
			match := ftsQuery(terms)
			var n int
			if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM runs_fts WHERE runs_fts MATCH ? LIMIT ?)`,
				match, ftsFew+1).Scan(&n); err != nil {
				return listQuery{}, fmt.Errorf("history: search: %w", err)
			}
			if n > ftsFew {
				return listQuery{where: where, args: args, match: match}, nil
			}
			where += ` AND rowid IN (SELECT rowid FROM runs_fts WHERE runs_fts MATCH ?)`
			args = append(args, match)
		}
	}
	return listQuery{where: where, args: args}, nil
}

// pageQuery is the query of cols of up to n runs matching where from cur
// on, in cur's direction (newer: oldest first), and its arguments.
// The key is compared as a row value: both databases read it as a range
// of the (…, created_at, id) indexes (spelt out with OR, SQLite scanned
// the owner's index from the newest run to the cursor's).
func pageQuery(cols, where string, args []any, cur Cursor, n int) (string, []any) {
	order := `created_at DESC, id DESC`
	switch cur.Dir {
	case Older:
		where += ` AND (created_at, id) < (?, ?)`
		args = append(args, millis(cur.Created), cur.ID)
	case Newer:
		where += ` AND (created_at, id) > (?, ?)`
		args = append(args, millis(cur.Created), cur.ID)
		order = `created_at, id`
	}
	return `SELECT ` + cols + ` FROM runs WHERE ` + where + ` ORDER BY ` + order + ` LIMIT ?`, append(args, n)
}

// entries reads the runs query gives (with bitmap scans only, see read).
func (s *Store) entries(ctx context.Context, bitmap bool, query string, args []any) ([]Entry, error) {
	var out []Entry
	err := s.read(ctx, bitmap, func(q queryer) error {
		rows, err := q.QueryContext(ctx, s.q(query), args...)
		if err != nil {
			return fmt.Errorf("history: list: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanEntry(rows)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("history: list: %w", err)
		}
		return nil
	})
	return out, err
}

// queryer is the database or a transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// read calls fn with the database, or when bitmap (PostgreSQL only) with
// a read-only transaction whose planner may use bitmap scans only: a
// search with few matches then reads them from the GIN index.
func (s *Store) read(ctx context.Context, bitmap bool, fn func(queryer) error) error {
	if !bitmap || s.dialect != Postgres {
		return fn(s.db)
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("history: list: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off`); err != nil {
		return fmt.Errorf("history: list: %w", err)
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// listPage reads up to n runs matching where from cur on, newest first,
// and whether there are more past them in cur's direction.
func (s *Store) listPage(ctx context.Context, lq listQuery, cur Cursor, n int) ([]Entry, bool, error) {
	var out []Entry
	var err error
	if lq.match != "" {
		out, err = s.walkPage(ctx, lq, cur, n+1)
	} else {
		query, args := pageQuery(listColumns, lq.where, lq.args, cur, n+1)
		out, err = s.entries(ctx, lq.bitmap, query, args)
	}
	if err != nil {
		return nil, false, err
	}
	more := len(out) > n
	if more {
		out = out[:n]
	}
	if cur.Dir == Newer {
		slices.Reverse(out)
	}
	return out, more, nil
}

func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// Facet is a provider or model that owner's history has, for the filters.
type Facet struct {
	Provider, ProviderName, Model, ModelLabel string
}

// Facets lists the provider and model pairs of owner's runs.
func (s *Store) Facets(ctx context.Context, owner string) ([]Facet, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT provider, MAX(provider_name), model, MAX(model_label) FROM runs WHERE owner = ?
		GROUP BY provider, model ORDER BY provider, model`), OwnerKey(owner))
	if err != nil {
		return nil, fmt.Errorf("history: facets: %w", err)
	}
	defer rows.Close()
	var out []Facet
	for rows.Next() {
		var f Facet
		if err := rows.Scan(&f.Provider, &f.ProviderName, &f.Model, &f.ModelLabel); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// Export calls fn with each of owner's runs, oldest first, transcripts
// included.
func (s *Store) Export(ctx context.Context, owner string, fn func(Entry) error) error {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+entryColumns+`, transcript FROM `+entryTables+` WHERE owner = ? ORDER BY created_at, id`), OwnerKey(owner))
	if err != nil {
		return fmt.Errorf("history: export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var tr []byte
		e, err := scanEntry(rows, &tr)
		if err != nil {
			return err
		}
		e.Transcript = string(tr)
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ExplainList is the database's plan of the query of List's page under f
// (SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN ANALYZE), for the
// history benchmark and whoever wonders why a page is slow.
func (s *Store) ExplainList(ctx context.Context, owner string, f Filter) (string, error) {
	if f.PerPage <= 0 {
		f.PerPage = 25
	}
	lq, err := s.listWhere(ctx, owner, f)
	if err != nil {
		return "", err
	}
	query, args := pageQuery(listColumns, lq.where, lq.args, f.Cursor, f.PerPage+1)
	if lq.match != "" {
		query, args = walkChunkQuery(lq, f.Cursor, Cursor{}, 0, 1<<62, f.PerPage+1)
	}
	explain, col := `EXPLAIN QUERY PLAN `, 3
	if s.dialect == Postgres {
		explain, col = `EXPLAIN (ANALYZE, COSTS OFF) `, 0
	}
	var b strings.Builder
	err = s.read(ctx, lq.bitmap, func(q queryer) error {
		rows, err := q.QueryContext(ctx, s.q(explain+query), args...)
		if err != nil {
			return fmt.Errorf("history: explain: %w", err)
		}
		defer rows.Close()
		return planText(&b, rows, col)
	})
	return b.String(), err
}

// planText writes column col of each row of an EXPLAIN to b.
func planText(b *strings.Builder, rows *sql.Rows, col int) error {
	cols, _ := rows.Columns()
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		fmt.Fprintf(b, "%v\n", vals[min(col, len(vals)-1)])
	}
	return rows.Err()
}
