package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SessionEpoch is the session's current epoch: 0 until its keys first
// change. A session cookie that carries an older one is a copy taken
// before that change (a cleared key, a planted cookie) and is refused.
func (s *Store) SessionEpoch(ctx context.Context, owner string) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT epoch FROM session_epochs WHERE owner = ?`), ownerKey(owner)).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("history: session epoch: %w", err)
	}
	return n, nil
}

// BumpSessionEpoch raises the session's epoch by one and returns it.
func (s *Store) BumpSessionEpoch(ctx context.Context, owner string) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO session_epochs (owner, epoch, updated_at) VALUES (?, 1, ?)
		ON CONFLICT (owner) DO UPDATE SET epoch = session_epochs.epoch + 1, updated_at = excluded.updated_at
		RETURNING epoch`), ownerKey(owner), millis(time.Now())).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("history: session epoch: %w", err)
	}
	return n, nil
}

// ForgetSessionEpochs drops the epochs not changed since before: their
// cookies (of any epoch) have expired by then.
func (s *Store) ForgetSessionEpochs(ctx context.Context, before time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM session_epochs WHERE updated_at < ?`), millis(before))
	return err
}
