package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/playground-dev/playground/web/problem"
)

// Experiment is an experiment started from the page: the file it ran
// (YAML) and its results as JSON (experiment.Record). Its runs are kept
// as runs of group ExperimentGroup(ID).
type Experiment struct {
	ID      string
	Created time.Time
	Updated time.Time
	Title   string
	// Summary is its outcome in a line, for the list.
	Summary string
	File    []byte
	Results []byte
	ShareID string
}

// ExperimentGroup is the group id of an experiment's runs.
func ExperimentGroup(id string) string { return "experiment-" + id }

// MaxExperimentBytes bounds what one experiment keeps (its file and its
// results); the runs themselves are kept under the runs' own limits.
const MaxExperimentBytes = 16 << 20

func noExperiment() *problem.Error {
	return missing(problem.NotFound("experiment in this session's history"))
}

// PutExperiment keeps owner's experiment, or its new results when it is
// kept already (a cell retried, a vote).
func (s *Store) PutExperiment(ctx context.Context, owner string, x Experiment) error {
	if n := len(x.File) + len(x.Results); n > MaxExperimentBytes {
		return problem.Errorf(problem.KindTooLarge, "This experiment's results are %d MB, more than the %d MB the history keeps of one.", n>>20, MaxExperimentBytes>>20)
	}
	now := millis(time.Now())
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO experiments (id, owner, created_at, updated_at, title, summary, file, results) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, title = excluded.title, summary = excluded.summary, results = excluded.results
		WHERE experiments.owner = excluded.owner`),
		x.ID, OwnerKey(owner), millis(x.Created), now, clean(x.Title), clean(x.Summary), clean(string(x.File)), clean(string(x.Results)))
	if err != nil {
		return fmt.Errorf("history: keep experiment: %w", err)
	}
	return nil
}

// Experiment returns owner's experiment id.
func (s *Store) Experiment(ctx context.Context, owner, id string) (Experiment, error) {
	x, err := s.experiment(ctx, `id = ? AND owner = ?`, id, OwnerKey(owner))
	return x, tell(err, noExperiment)
}

// SharedExperiment returns the experiment shared as shareID.
func (s *Store) SharedExperiment(ctx context.Context, shareID string) (Experiment, error) {
	if shareID == "" {
		return Experiment{}, noLink()
	}
	x, err := s.experiment(ctx, `share_id = ?`, shareID)
	return x, tell(err, noLink)
}

func (s *Store) experiment(ctx context.Context, where string, args ...any) (Experiment, error) {
	var x Experiment
	var created, updated int64
	var file, results string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id, created_at, updated_at, title, summary, file, results, COALESCE(share_id, '') FROM experiments WHERE `+where), args...).
		Scan(&x.ID, &created, &updated, &x.Title, &x.Summary, &file, &results, &x.ShareID)
	if errors.Is(err, sql.ErrNoRows) {
		return x, ErrNotFound
	}
	if err != nil {
		return x, fmt.Errorf("history: experiment: %w", err)
	}
	x.Created, x.Updated, x.File, x.Results = fromMillis(created), fromMillis(updated), []byte(file), []byte(results)
	return x, nil
}

// ExperimentItem is an experiment as the history lists it.
type ExperimentItem struct {
	ID      string
	Created time.Time
	Title   string
	Summary string
	Shared  bool
}

// Experiments lists owner's latest experiments, newest first.
func (s *Store) Experiments(ctx context.Context, owner string, limit int) ([]ExperimentItem, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, created_at, title, summary, share_id IS NOT NULL FROM experiments WHERE owner = ? ORDER BY created_at DESC LIMIT ?`), OwnerKey(owner), limit)
	if err != nil {
		return nil, fmt.Errorf("history: experiments: %w", err)
	}
	defer rows.Close()
	var out []ExperimentItem
	for rows.Next() {
		var it ExperimentItem
		var created int64
		if err := rows.Scan(&it.ID, &created, &it.Title, &it.Summary, &it.Shared); err != nil {
			return nil, fmt.Errorf("history: experiments: %w", err)
		}
		it.Created = fromMillis(created)
		out = append(out, it)
	}
	return out, rows.Err()
}

// ShareExperiment gives owner's experiment a share id.
func (s *Store) ShareExperiment(ctx context.Context, owner, id string) (string, error) {
	return s.share(ctx, "experiments", owner, id)
}

// UnshareExperiment revokes the experiment's share link.
func (s *Store) UnshareExperiment(ctx context.Context, owner, id string) error {
	return s.unshare(ctx, "experiments", owner, id)
}

// DeleteExperiment removes owner's experiment and its runs.
func (s *Store) DeleteExperiment(ctx context.Context, owner, id string) error {
	return s.deleteWithRuns(ctx, "experiments", owner, id, ExperimentGroup(id))
}
