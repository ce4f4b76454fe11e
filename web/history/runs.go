package history

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/playground-dev/playground/web/run"
)

// Header is one request header (never Authorization: the key is not kept).
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Request is the upstream request as sent, without its key.
type Request struct {
	Method  string   `json:"method"`
	URL     string   `json:"url"`
	KeyEnv  string   `json:"key_env,omitempty"`
	Headers []Header `json:"headers,omitempty"`
	Body    string   `json:"body"`
}

// Entry is one stored run.
type Entry struct {
	ID           string         `json:"id"`
	GroupID      string         `json:"comparison,omitempty"`
	Pane         int            `json:"pane,omitempty"`
	Created      time.Time      `json:"created"`
	Updated      time.Time      `json:"updated"`
	Provider     string         `json:"provider"`
	ProviderName string         `json:"provider_name"`
	Model        string         `json:"model"`
	ModelLabel   string         `json:"model_label"`
	Style        string         `json:"style"`
	Status       run.State      `json:"status"`
	Prompt       string         `json:"prompt"`
	Form         url.Values     `json:"form"`
	Request      Request        `json:"request"`
	Curl         string         `json:"curl"`
	Output       run.Output     `json:"output"`
	Summary      *run.Summary   `json:"summary,omitempty"`
	Failure      *run.ErrorView `json:"error,omitempty"`
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

func marshal(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// SQL of the writes a run gets.
const (
	insertRunSQL = `INSERT INTO runs (id, owner, group_id, pane, created_at, updated_at, provider, provider_name,
		model, model_label, style, status, prompt, form, request, curl, output, search)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	progressRunSQL = `UPDATE runs SET output = ?, search = ?, updated_at = ? WHERE id = ? AND status = ?`
	finishRunSQL   = `UPDATE runs SET status = ?, output = ?, search = ?, summary = ?, failure = ?, transcript = ?, updated_at = ? WHERE id = ?`
)

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
// is tried on its own, so one bad row loses no other.
func (s *Store) Write(ctx context.Context, b Batch) error {
	err := s.writeTx(ctx, b)
	if err == nil || len(b.Inserts)+len(b.Progress)+len(b.Finishes) == 1 {
		return err
	}
	var errs []error
	for _, it := range b.Inserts {
		errs = append(errs, s.writeTx(ctx, Batch{Inserts: []InsertItem{it}}))
	}
	for _, it := range b.Progress {
		errs = append(errs, s.writeTx(ctx, Batch{Progress: []ProgressItem{it}}))
	}
	for _, it := range b.Finishes {
		errs = append(errs, s.writeTx(ctx, Batch{Finishes: []FinishItem{it}}))
	}
	return errors.Join(errs...)
}

func (s *Store) writeTx(ctx context.Context, b Batch) error {
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
	ins := stmt(s.insertRun, len(b.Inserts))
	for _, it := range b.Inserts {
		e := it.Entry
		now := millis(e.Created)
		if _, err := ins.ExecContext(ctx, e.ID, ownerKey(it.Owner), e.GroupID, e.Pane, now, now, clean(e.Provider), clean(e.ProviderName),
			clean(e.Model), clean(e.ModelLabel), e.Style, string(e.Status), clean(e.Prompt), clean(marshal(e.Form)),
			clean(marshal(e.Request)), clean(e.Curl), clean(marshal(e.Output)), clean(searchText(&e))); err != nil {
			return fmt.Errorf("history: insert run: %w", err)
		}
	}
	prog := stmt(s.progressRun, len(b.Progress))
	now := millis(time.Now())
	for _, it := range b.Progress {
		e := Entry{Prompt: it.Prompt, Output: it.Output}
		if _, err := prog.ExecContext(ctx, clean(marshal(it.Output)), clean(searchText(&e)), now, it.ID, string(run.Running)); err != nil {
			return fmt.Errorf("history: progress: %w", err)
		}
	}
	fin := stmt(s.finishRun, len(b.Finishes))
	for _, it := range b.Finishes {
		rec := it.Record
		e := Entry{Prompt: it.Prompt, Output: rec.Output}
		failure := ""
		if rec.Failure != nil {
			failure = marshal(rec.Failure)
		}
		if _, err := fin.ExecContext(ctx, string(rec.State), clean(marshal(rec.Output)), clean(searchText(&e)), clean(marshal(rec.Summary)),
			clean(failure), rec.Transcript, millis(rec.Ended), it.ID); err != nil {
			return fmt.Errorf("history: finish run: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history: %w", err)
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

const entryColumns = `id, group_id, pane, created_at, updated_at, provider, provider_name, model, model_label, style, status,
	prompt, form, request, curl, output, summary, failure, COALESCE(share_id, '')`

// listColumns are entryColumns without what a list does not show (form,
// request, curl, output: an output can be megabytes).
const listColumns = `id, group_id, pane, created_at, updated_at, provider, provider_name, model, model_label, style, status,
	prompt, '{}', '{}', '', '{}', summary, failure, COALESCE(share_id, '')`

type scanner interface{ Scan(...any) error }

func scanEntry(row scanner, extra ...any) (Entry, error) {
	var e Entry
	var created, updated int64
	var status, form, req, out, sum, failure string
	dest := []any{&e.ID, &e.GroupID, &e.Pane, &created, &updated, &e.Provider, &e.ProviderName, &e.Model, &e.ModelLabel,
		&e.Style, &status, &e.Prompt, &form, &req, &e.Curl, &out, &sum, &failure, &e.ShareID}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return e, ErrNotFound
		}
		return e, fmt.Errorf("history: %w", err)
	}
	e.Created, e.Updated, e.Status = fromMillis(created), fromMillis(updated), run.State(status)
	_ = json.Unmarshal([]byte(form), &e.Form)
	_ = json.Unmarshal([]byte(req), &e.Request)
	_ = json.Unmarshal([]byte(out), &e.Output)
	if sum != "" {
		var s run.Summary
		if json.Unmarshal([]byte(sum), &s) == nil {
			e.Summary = &s
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
	row := s.db.QueryRowContext(ctx, s.q(`SELECT `+entryColumns+` FROM runs WHERE id = ? AND owner = ?`), id, ownerKey(owner))
	return scanEntry(row)
}

// Transcript returns the raw stream of owner's run id.
func (s *Store) Transcript(ctx context.Context, owner, id string) ([]byte, error) {
	var b []byte
	err := s.db.QueryRowContext(ctx, s.q(`SELECT transcript FROM runs WHERE id = ? AND owner = ?`), id, ownerKey(owner)).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return b, err
}

// Delete removes owner's run id.
func (s *Store) Delete(ctx context.Context, owner, id string) error {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM runs WHERE id = ? AND owner = ?`), id, ownerKey(owner))
	if err != nil {
		return fmt.Errorf("history: delete: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
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
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COALESCE(share_id, '') FROM `+table+` WHERE id = ? AND owner = ?`), id, ownerKey(owner)).Scan(&cur)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("history: share: %w", err)
	}
	if cur != "" {
		return cur, nil
	}
	sid := NewID()
	if _, err := s.db.ExecContext(ctx, s.q(`UPDATE `+table+` SET share_id = ? WHERE id = ? AND owner = ?`), sid, id, ownerKey(owner)); err != nil {
		return "", fmt.Errorf("history: share: %w", err)
	}
	return sid, nil
}

func (s *Store) unshare(ctx context.Context, table, owner, id string) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE `+table+` SET share_id = NULL WHERE id = ? AND owner = ?`), id, ownerKey(owner))
	if err != nil {
		return fmt.Errorf("history: unshare: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// Shared returns the run shared as shareID.
func (s *Store) Shared(ctx context.Context, shareID string) (Entry, error) {
	if shareID == "" {
		return Entry{}, ErrNotFound
	}
	row := s.db.QueryRowContext(ctx, s.q(`SELECT `+entryColumns+` FROM runs WHERE share_id = ?`), shareID)
	return scanEntry(row)
}

// Filter selects runs of the history page.
type Filter struct {
	Provider string
	Model    string
	// From and To bound the creation time: From inclusive, To exclusive.
	From, To time.Time
	// Query is searched (case-insensitively) in the prompt and the answer.
	Query   string
	Page    int // from 1
	PerPage int
}

// Page is one page of runs, newest first; its entries carry no form,
// request, curl or output (Get has them).
type Page struct {
	Entries []Entry
	Total   int
	Page    int
	Pages   int
}

// List returns a page of owner's runs.
func (s *Store) List(ctx context.Context, owner string, f Filter) (Page, error) {
	if f.PerPage <= 0 {
		f.PerPage = 25
	}
	if f.Page <= 0 {
		f.Page = 1
	}
	where := `owner = ?`
	args := []any{ownerKey(owner)}
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
	if q := strings.TrimSpace(f.Query); q != "" {
		where += ` AND search LIKE ? ESCAPE '\'`
		args = append(args, "%"+likeEscape(strings.ToLower(clean(q)))+"%")
	}
	var p Page
	p.Page = f.Page
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM runs WHERE `+where), args...).Scan(&p.Total); err != nil {
		return p, fmt.Errorf("history: list: %w", err)
	}
	p.Pages = (p.Total + f.PerPage - 1) / f.PerPage
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+listColumns+` FROM runs WHERE `+where+` ORDER BY created_at DESC, id LIMIT ? OFFSET ?`),
		append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return p, fmt.Errorf("history: list: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return p, err
		}
		p.Entries = append(p.Entries, e)
	}
	return p, rows.Err()
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
		GROUP BY provider, model ORDER BY provider, model`), ownerKey(owner))
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
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+entryColumns+`, transcript FROM runs WHERE owner = ? ORDER BY created_at, id`), ownerKey(owner))
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
