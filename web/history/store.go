// Package history keeps every run and comparison a session made: the
// request (with no key: keys never reach it), the normalized output, the
// raw transcript, usage, cost, timings, status and errors. It stores them
// in SQLite (pure Go, in the data directory) or, when a database URL is
// configured, PostgreSQL; both get the same embedded migrations, applied
// at start, and the same queries.
package history

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver (no cgo)

	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/run"
)

//go:embed migrations
var migrations embed.FS

// ErrNotFound is in the chain of the error returned for a run or
// comparison that does not exist, or is not the asker's: a
// *problem.Error of kind NotFound that says which (see noRun).
var ErrNotFound = errors.New("history: not found")

// The not-found problems, each wrapping ErrNotFound.
func noRun() *problem.Error { return missing(problem.NotFound("run in this session's history")) }
func noComparison() *problem.Error {
	return missing(problem.NotFound("comparison in this session's history"))
}
func noLink() *problem.Error {
	return missing(problem.Errorf(problem.KindNotFound, "This link does not exist or was revoked."))
}

func missing(p *problem.Error) *problem.Error {
	p.Err = ErrNotFound
	return p
}

// tell says which thing was not found when err is ErrNotFound.
func tell(err error, p func() *problem.Error) error {
	if errors.Is(err, ErrNotFound) {
		return p()
	}
	return err
}

// Dialect is the database kind.
type Dialect string

// The databases the store runs on.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Store is the history database.
type Store struct {
	db      *sql.DB
	dialect Dialect
	// The writes every run makes, prepared once per connection (SQLite
	// would parse them again on every execution).
	insertRun, insertEndedRun, insertInputs, progressRun, finishRun, runSize *sql.Stmt
	limits                                                                   Limits
	// usage spares the writer a count of an owner's runs per batch.
	usage usage
}

// Open opens the history: PostgreSQL when dbURL is a postgres:// URL,
// else SQLite at dataDir/history.db. Migrations are applied.
func Open(ctx context.Context, dbURL, dataDir string) (*Store, error) {
	var s Store
	var err error
	switch {
	case strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://"):
		s.dialect = Postgres
		s.db, err = sql.Open("pgx", dbURL)
		if err == nil {
			s.db.SetMaxOpenConns(16)
			s.db.SetConnMaxIdleTime(5 * time.Minute)
		}
	case dbURL == "":
		s.dialect = SQLite
		path := filepath.Join(dataDir, "history.db")
		if err := privateFiles(path); err != nil {
			return nil, err
		}
		// WAL lets pages read while a run writes; the busy timeout waits
		// out the other writer instead of failing; the WAL file is cut
		// back to 64 MB after a checkpoint (a big run's write leaves it
		// large otherwise).
		// The path is a URI's: a # or ? in it would end it early (a data
		// directory named "runs#2" would open "runs").
		dsn := "file:" + strings.NewReplacer("%", "%25", "#", "%23", "?", "%3f").Replace(path) + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)" +
			"&_pragma=journal_size_limit(67108864)"
		s.db, err = sql.Open("sqlite", dsn)
		if err == nil {
			s.db.SetMaxOpenConns(4)
		}
	default:
		return nil, fmt.Errorf("history: the database URL must start with postgres:// (got %q)", redactURL(dbURL))
	}
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("history: cannot reach the database: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	for _, st := range []struct {
		stmt  **sql.Stmt
		query string
	}{{&s.insertRun, insertRunSQL}, {&s.insertEndedRun, insertEndedRunSQL}, {&s.insertInputs, insertInputsSQL}, {&s.progressRun, progressRunSQL}, {&s.finishRun, finishRunSQL},
		{&s.runSize, runSizeSQL}} {
		if *st.stmt, err = s.db.PrepareContext(ctx, s.q(st.query)); err != nil {
			s.db.Close()
			return nil, fmt.Errorf("history: %w", err)
		}
	}
	s.limits = DefaultLimits()
	return &s, nil
}

// SetLimits sets what the history keeps (DefaultLimits until then). Call
// it before the store is used.
func (s *Store) SetLimits(l Limits) { s.limits = l }

// Limits are what the history keeps.
func (s *Store) Limits() Limits { return s.limits }

// privateFiles makes the database at path and its -wal and -shm files
// readable by the owner only (0600), whatever the directory's mode and the
// umask: they hold every prompt and answer. SQLite creates the -wal and
// -shm files with the mode of the database file, so the database is
// created 0600 before SQLite opens it, and files an older version left
// 0644 are narrowed.
func privateFiles(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("history: %w", err)
		}
	}
	return nil
}

// redactURL drops the password from a database URL for messages.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unreadable)"
	}
	return p.Redacted()
}

// Dialect reports the database kind.
func (s *Store) Dialect() Dialect { return s.dialect }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// migrate applies the embedded migrations not yet applied, in order, each
// in a transaction.
func (s *Store) migrate(ctx context.Context) error {
	var db migrator = s.db
	if s.dialect == Postgres {
		// Instances started together on an empty database take turns: one
		// migrates, the others then find it done (CREATE in two sessions
		// at once fails on PostgreSQL's catalog).
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("history: migrations: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7300)`); err != nil {
			return fmt.Errorf("history: migrations: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7300)`)
		db = conn
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY)`); err != nil {
		return fmt.Errorf("history: migrations: %w", err)
	}
	dir := "migrations/" + string(s.dialect)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return fmt.Errorf("history: migrations: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, name := range names {
		var n int
		if err := db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), name).Scan(&n); err != nil {
			return fmt.Errorf("history: migrations: %w", err)
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(dir + "/" + name)
		if err != nil {
			return fmt.Errorf("history: migrations: %w", err)
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("history: migrations: %w", err)
		}
		for _, stmt := range splitSQL(string(body)) {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				tx.Rollback()
				return fmt.Errorf("history: migration %s: %w", name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version) VALUES (?)`), name); err != nil {
			tx.Rollback()
			return fmt.Errorf("history: migration %s: %w", name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("history: migration %s: %w", name, err)
		}
	}
	return nil
}

// migrator is where migrations run: the pool, or with PostgreSQL the one
// connection that holds the migration lock.
type migrator interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// splitSQL splits a migration into statements at semicolons ending a line,
// dropping comment lines.
func splitSQL(body string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(body, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if strings.TrimSpace(cur.String()) != "" {
		out = append(out, cur.String())
	}
	return out
}

// q rewrites ? placeholders as $1, $2, … for PostgreSQL. The queries here
// have no ? inside string literals.
func (s *Store) q(query string) string {
	if s.dialect != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// OwnerKey is what the store keeps of a session's owner id: its hash, so
// the database never holds a live session value (web/cluster keys its
// rows by it too).
func OwnerKey(owner string) string {
	h := sha256.Sum256([]byte("history:" + owner))
	return hex.EncodeToString(h[:16])
}

// NewID returns a random id, unguessable (128 bits), URL-safe.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// clean makes text storable everywhere: valid UTF-8 without NUL bytes
// (PostgreSQL's text type takes neither).
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	return s
}

func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// Status is a stored run's state: a run.State.
type Status = run.State

// Analyze refreshes the statistics the query planner picks indexes by
// (SQLite's PRAGMA optimize, which analyzes only what changed enough;
// PostgreSQL's ANALYZE of the runs, which autovacuum also does).
// KeepPruned runs it every hour.
func (s *Store) Analyze(ctx context.Context) error {
	q := `PRAGMA optimize=0x10002`
	if s.dialect == Postgres {
		q = `ANALYZE runs`
	}
	if _, err := s.db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("history: analyze: %w", err)
	}
	return nil
}

// ownContext is the context of a statement the store makes on its own
// (the recorder's writes, sessions' state): SQLite's cannot end, since its
// busy timeout bounds the wait and modernc's driver starts a goroutine per
// statement to interrupt one whose context can; PostgreSQL's times out
// after d.
func (s *Store) ownContext(d time.Duration) (context.Context, context.CancelFunc) {
	if s.dialect == Postgres {
		return context.WithTimeout(context.Background(), d)
	}
	return context.Background(), func() {}
}
