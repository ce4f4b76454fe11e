package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Comparison is a group of runs made together (the compare view), with
// the layout that made them: the base form and each pane's settings, as
// JSON the compare view reads back when forking.
type Comparison struct {
	ID      string
	Created time.Time
	Title   string
	Layout  []byte
	ShareID string
	// Runs are the comparison's runs by pane.
	Runs []Entry
}

// Pane is the run of pane i of c.
func (c Comparison) Pane(i int) (Entry, bool) {
	for _, e := range c.Runs {
		if e.Pane == i {
			return e, true
		}
	}
	return Entry{}, false
}

// CreateComparison stores a new comparison (its runs are inserted as they
// start, with GroupID set).
func (s *Store) CreateComparison(ctx context.Context, owner string, c Comparison) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO comparisons (id, owner, created_at, title, layout) VALUES (?, ?, ?, ?, ?)`),
		c.ID, OwnerKey(owner), millis(c.Created), clean(c.Title), clean(string(c.Layout)))
	if err != nil {
		return fmt.Errorf("history: insert comparison: %w", err)
	}
	return nil
}

// Comparison returns owner's comparison id with its runs.
func (s *Store) Comparison(ctx context.Context, owner, id string) (Comparison, error) {
	c, err := s.comparison(ctx, `id = ? AND owner = ?`, id, OwnerKey(owner))
	return c, tell(err, noComparison)
}

// SharedComparison returns the comparison shared as shareID.
func (s *Store) SharedComparison(ctx context.Context, shareID string) (Comparison, error) {
	if shareID == "" {
		return Comparison{}, noLink()
	}
	c, err := s.comparison(ctx, `share_id = ?`, shareID)
	return c, tell(err, noLink)
}

func (s *Store) comparison(ctx context.Context, where string, args ...any) (Comparison, error) {
	var c Comparison
	var created int64
	var layout, owner string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id, owner, created_at, title, layout, COALESCE(share_id, '') FROM comparisons WHERE `+where), args...).
		Scan(&c.ID, &owner, &created, &c.Title, &layout, &c.ShareID)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("history: comparison: %w", err)
	}
	c.Created, c.Layout = fromMillis(created), []byte(layout)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+entryColumns+` FROM `+entryTables+` WHERE group_id = ? AND owner = ? ORDER BY pane, created_at`), c.ID, owner)
	if err != nil {
		return c, fmt.Errorf("history: comparison: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return c, err
		}
		c.Runs = append(c.Runs, e)
	}
	return c, rows.Err()
}

// ShareComparison gives owner's comparison a share id.
func (s *Store) ShareComparison(ctx context.Context, owner, id string) (string, error) {
	return s.share(ctx, "comparisons", owner, id)
}

// UnshareComparison revokes the comparison's share link.
func (s *Store) UnshareComparison(ctx context.Context, owner, id string) error {
	return s.unshare(ctx, "comparisons", owner, id)
}

// DeleteComparison removes owner's comparison and its runs.
func (s *Store) DeleteComparison(ctx context.Context, owner, id string) error {
	return s.deleteWithRuns(ctx, "comparisons", owner, id, id)
}

// deleteWithRuns removes owner's row id of table (comparisons or
// experiments) and the runs of its group, at once.
func (s *Store) deleteWithRuns(ctx context.Context, table, owner, id, group string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("history: delete: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+table+` WHERE id = ? AND owner = ?`), id, OwnerKey(owner))
	if err != nil {
		return fmt.Errorf("history: delete: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return noneOf(table)
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM runs WHERE group_id = ? AND owner = ?`), group, OwnerKey(owner)); err != nil {
		return fmt.Errorf("history: delete: %w", err)
	}
	return tx.Commit()
}
