package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SessionEpoch is the session's current epoch (0 until its keys first
// change) and when it was raised. A session cookie that carries an older
// one is a copy taken before that change (a cleared key, a planted
// cookie) and is refused.
func (s *Store) SessionEpoch(ctx context.Context, owner string) (int64, time.Time, error) {
	var n, at int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT epoch, updated_at FROM session_epochs WHERE owner = ?`), OwnerKey(owner)).Scan(&n, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("history: session epoch: %w", err)
	}
	return n, fromMillis(at), nil
}

// BumpSessionEpoch raises the session's epoch from from to from+1 and
// returns it, unless another request raised it first (ok is false: the
// asker's copy of the session is no longer current). A session whose epoch
// was forgotten (older than a cookie lives) starts again from from.
func (s *Store) BumpSessionEpoch(ctx context.Context, owner string, from int64) (epoch int64, ok bool, err error) {
	now := millis(time.Now())
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE session_epochs SET epoch = epoch + 1, updated_at = ? WHERE owner = ? AND epoch = ?`),
		now, OwnerKey(owner), from)
	if err != nil {
		return 0, false, fmt.Errorf("history: session epoch: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return from + 1, true, nil
	}
	res, err = s.db.ExecContext(ctx, s.q(`INSERT INTO session_epochs (owner, epoch, updated_at) VALUES (?, ?, ?) ON CONFLICT (owner) DO NOTHING`),
		OwnerKey(owner), from+1, now)
	if err != nil {
		return 0, false, fmt.Errorf("history: session epoch: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return from + 1, true, nil
	}
	cur, _, err := s.SessionEpoch(ctx, owner)
	return cur, false, err
}

// ForgetSessionEpochs drops the epochs not changed since before: their
// cookies (of any epoch) have expired by then.
func (s *Store) ForgetSessionEpochs(ctx context.Context, before time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM session_epochs WHERE updated_at < ?`), millis(before))
	return err
}
