package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// stateTimeout bounds one read or write of sessions' state.
const stateTimeout = 10 * time.Second

// StateShared reports whether other instances may write the same state:
// a PostgreSQL database is meant to be shared (draft.Rows).
func (s *Store) StateShared() bool { return s.dialect == Postgres }

// ReadState returns the value of kind kept for key (draft.Rows).
func (s *Store) ReadState(kind, key string) ([]byte, bool, error) {
	ctx, cancel := s.ownContext(stateTimeout)
	defer cancel()
	var v string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT value FROM session_state WHERE kind = ? AND owner = ?`), kind, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("history: session state: %w", err)
	}
	return []byte(v), true, nil
}

// WriteState keeps vals (by key) as the values of kind, in one
// transaction (draft.Rows).
func (s *Store) WriteState(kind string, vals map[string][]byte) error {
	if len(vals) == 0 {
		return nil
	}
	ctx, cancel := s.ownContext(stateTimeout)
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("history: session state: %w", err)
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, s.q(`INSERT INTO session_state (kind, owner, value, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (kind, owner) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`))
	if err != nil {
		return fmt.Errorf("history: session state: %w", err)
	}
	defer st.Close()
	now := millis(time.Now())
	for k, v := range vals {
		if _, err := st.ExecContext(ctx, kind, k, clean(string(v)), now); err != nil {
			return fmt.Errorf("history: session state: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history: session state: %w", err)
	}
	return nil
}

// ForgetSessionState deletes the state no session has saved since
// before (a session's cookie lives no longer).
func (s *Store) ForgetSessionState(ctx context.Context, before time.Time) error {
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM session_state WHERE updated_at < ?`), millis(before)); err != nil {
		return fmt.Errorf("history: session state: %w", err)
	}
	return nil
}
