package history

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/playground-dev/playground/web/run"
)

// deleteChunk is how many runs one DELETE removes.
const deleteChunk = 500

// prunePass bounds the runs one retention pass deletes (the next pass goes
// on).
const prunePass = 10_000

// enforceQuota deletes owner's (as stored: hashed) oldest finished runs
// while the owner has more runs or bytes than Limits allow: unshared runs
// first, oldest first, then shared ones (a quota that sharing could lift
// would be none). Running runs and the newest run (the one just made) are
// never deleted. It returns how many runs it deleted.
func (s *Store) enforceQuota(ctx context.Context, owner string) (int, error) {
	lim := s.limits
	if lim.OwnerBytes <= 0 && lim.OwnerRuns <= 0 {
		return 0, nil
	}
	var runs int
	var bytes int64
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM runs WHERE owner = ?`), owner).
		Scan(&runs, &bytes); err != nil {
		return 0, fmt.Errorf("history: quota: %w", err)
	}
	over := func() bool {
		return lim.OwnerRuns > 0 && runs > lim.OwnerRuns || lim.OwnerBytes > 0 && bytes > lim.OwnerBytes
	}
	n, err := s.evict(ctx, "quota", `owner = ? AND id <> (SELECT id FROM runs WHERE owner = ? ORDER BY created_at DESC, id DESC LIMIT 1)`,
		[]any{owner, owner}, owner, -1, over, func(n int64) { runs, bytes = runs-1, bytes-n })
	if err == nil {
		s.usage.counted(owner, runs, bytes, time.Now())
	}
	return n, err
}

// EnforceQuotas holds every session to its quota (Limits.OwnerRuns and
// OwnerBytes), as each write holds its own session to it, deleting at most
// max runs a call: a session that has not run anything since the quota was
// lowered is held to it too. It returns how many runs it deleted.
func (s *Store) EnforceQuotas(ctx context.Context, max int) (int, error) {
	lim := s.limits
	if lim.OwnerBytes <= 0 && lim.OwnerRuns <= 0 {
		return 0, nil
	}
	runs, bytes := int64(lim.OwnerRuns), lim.OwnerBytes
	if runs <= 0 {
		runs = 1 << 62
	}
	if bytes <= 0 {
		bytes = 1 << 62
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT owner FROM runs GROUP BY owner HAVING COUNT(*) > ? OR SUM(bytes) > ?`), runs, bytes)
	if err != nil {
		return 0, fmt.Errorf("history: quota: %w", err)
	}
	var owners []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			rows.Close()
			return 0, fmt.Errorf("history: quota: %w", err)
		}
		owners = append(owners, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("history: quota: %w", err)
	}
	deleted := 0
	for _, o := range owners {
		if deleted >= max {
			break
		}
		n, err := s.enforceQuota(ctx, o)
		deleted += n
		if err != nil {
			return deleted, err
		}
	}
	return deleted, nil
}

// EnforceTotal deletes the oldest finished runs of any session while the
// whole history holds more than Limits.TotalBytes, unshared ones first,
// at most max a call. It returns how many runs it deleted.
func (s *Store) EnforceTotal(ctx context.Context, max int) (int, error) {
	total := s.limits.TotalBytes
	if total <= 0 {
		return 0, nil
	}
	var bytes int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(bytes), 0) FROM runs`).Scan(&bytes); err != nil {
		return 0, fmt.Errorf("history: total cap: %w", err)
	}
	return s.evict(ctx, "total cap", "1 = 1", nil, "", max, func() bool { return bytes > total }, func(n int64) { bytes -= n })
}

// evict deletes finished runs matching where (with args), unshared ones
// first, oldest first, while over holds and at most max of them (-1: no
// bound), telling gone each run's bytes; then the comparisons of owner
// (any with "") left with no runs. It returns how many runs it deleted.
func (s *Store) evict(ctx context.Context, what, where string, args []any, owner string, max int,
	over func() bool, gone func(bytes int64)) (int, error) {
	deleted := 0
	for over() && (max < 0 || deleted < max) {
		chunk := deleteChunk
		if max >= 0 {
			chunk = min(chunk, max-deleted)
		}
		rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, bytes FROM runs WHERE status <> ? AND `+where+`
			ORDER BY CASE WHEN share_id IS NULL THEN 0 ELSE 1 END, created_at, id LIMIT ?`),
			append(append([]any{string(run.Running)}, args...), chunk)...)
		if err != nil {
			return deleted, fmt.Errorf("history: %s: %w", what, err)
		}
		var ids []string
		for rows.Next() && over() {
			var id string
			var n int64
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return deleted, fmt.Errorf("history: %s: %w", what, err)
			}
			ids = append(ids, id)
			gone(n)
		}
		rows.Close()
		if len(ids) == 0 {
			break // only running runs are left
		}
		n, err := s.deleteRuns(ctx, ids)
		deleted += n
		if err != nil {
			return deleted, err
		}
	}
	if deleted > 0 {
		// A comparison whose runs are all gone is gone too (one made in
		// the last hour may still be starting its runs).
		q, qargs := `DELETE FROM comparisons WHERE created_at < ?`, []any{millis(time.Now().Add(-time.Hour))}
		if owner != "" {
			q, qargs = q+` AND owner = ?`, append(qargs, owner)
		}
		if _, err := s.db.ExecContext(ctx, s.q(q+` AND NOT EXISTS (SELECT 1 FROM runs WHERE runs.group_id = comparisons.id)`), qargs...); err != nil {
			return deleted, fmt.Errorf("history: %s: %w", what, err)
		}
	}
	return deleted, nil
}

// deleteRuns deletes the runs ids (their inputs go with them).
func (s *Store) deleteRuns(ctx context.Context, ids []string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	in := `(?` + strings.Repeat(`, ?`, len(ids)-1) + `)`
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("history: delete runs: %w", err)
	}
	defer tx.Rollback()
	// The foreign key's cascade would do it; this does not depend on it.
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM run_inputs WHERE run_id IN `+in), args...); err != nil {
		return 0, fmt.Errorf("history: delete runs: %w", err)
	}
	res, err := tx.ExecContext(ctx, s.q(`DELETE FROM runs WHERE id IN `+in), args...)
	if err != nil {
		return 0, fmt.Errorf("history: delete runs: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("history: delete runs: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Prune deletes the runs and comparisons created before now minus
// Limits.Retention (none when it is 0), running runs excepted, oldest
// first and at most max runs a call: a pass does bounded work, and the
// next one goes on. It returns how many runs it deleted.
func (s *Store) Prune(ctx context.Context, now time.Time, max int) (int, error) {
	if s.limits.Retention <= 0 {
		return 0, nil
	}
	before := millis(now.Add(-s.limits.Retention))
	deleted := 0
	for deleted < max {
		chunk := min(deleteChunk, max-deleted)
		rows, err := s.db.QueryContext(ctx, s.q(`SELECT id FROM runs WHERE created_at < ? AND status <> ? ORDER BY created_at LIMIT ?`),
			before, string(run.Running), chunk)
		if err != nil {
			return deleted, fmt.Errorf("history: retention: %w", err)
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return deleted, fmt.Errorf("history: retention: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		n, err := s.deleteRuns(ctx, ids)
		deleted += n
		if err != nil {
			return deleted, err
		}
		if len(ids) < chunk {
			break
		}
	}
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM comparisons WHERE created_at < ?
		AND NOT EXISTS (SELECT 1 FROM runs WHERE runs.group_id = comparisons.id)`), before); err != nil {
		return deleted, fmt.Errorf("history: retention: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM experiments WHERE updated_at < ?`), before); err != nil {
		return deleted, fmt.Errorf("history: retention: %w", err)
	}
	return deleted, nil
}

// pruneEvery is how often the retention pass runs; capEvery how often the
// whole history is held to its cap (a client can add a few hundred MB a
// minute within the run limits).
const (
	pruneEvery = time.Hour
	capEvery   = time.Minute
)

// KeepPruned runs the background passes until ctx is done, logging what
// they deleted: retention (runs older than Limits.Retention) and the
// sessions' quotas now and every hour (with the session epochs no cookie
// can carry any more, older than maxAge, and fresh planner statistics),
// the total cap now and every minute. It returns at once.
func (s *Store) KeepPruned(ctx context.Context, log *slog.Logger, maxAge time.Duration) {
	warn := func(what string, err error) {
		if err != nil && ctx.Err() == nil && log != nil {
			log.Warn(what, "err", err)
		}
	}
	prune := func() {
		n, err := s.Prune(ctx, time.Now(), prunePass)
		warn("history retention pass failed", err)
		if n > 0 && log != nil {
			log.Info("history retention: old runs deleted", "count", n, "older_than", s.limits.Retention.String())
		}
		q, err := s.EnforceQuotas(ctx, prunePass)
		warn("history quota pass failed", err)
		if q > 0 && log != nil {
			log.Info("history quota: runs of sessions over it deleted", "count", q)
		}
		warn("old session epochs not dropped", s.ForgetSessionEpochs(ctx, time.Now().Add(-maxAge)))
		warn("old session state not dropped", s.ForgetSessionState(ctx, time.Now().Add(-maxAge)))
		warn("history statistics not refreshed", s.Analyze(ctx))
	}
	capTotal := func() {
		n, err := s.EnforceTotal(ctx, prunePass)
		warn("history total cap pass failed", err)
		if n > 0 && log != nil {
			log.Warn("history over its total cap: oldest runs deleted", "count", n, "cap_bytes", s.limits.TotalBytes)
		}
	}
	go func() {
		prune()
		capTotal()
		pt, ct := time.NewTicker(pruneEvery), time.NewTicker(capEvery)
		defer pt.Stop()
		defer ct.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-pt.C:
				prune()
			case <-ct.C:
				capTotal()
			}
		}
	}()
}
