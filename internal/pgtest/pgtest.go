// Package pgtest gives tests a fresh PostgreSQL schema on the database
// PLAYGROUND_TEST_DATABASE_URL names (.ci/run starts one): required under
// CI, skipped elsewhere with a note.
package pgtest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Env names the test database's URL.
const Env = "PLAYGROUND_TEST_DATABASE_URL"

// Schema is the URL of a fresh, empty PostgreSQL schema (the URL's
// search_path), dropped when the test ends.
func Schema(t testing.TB) string {
	t.Helper()
	base := os.Getenv(Env)
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: .ci/run must start PostgreSQL for the store tests", Env)
		}
		t.Skipf("%s is not set; PostgreSQL tests skipped (they run in .ci/run)", Env)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var b [12]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if db, err := sql.Open("pgx", base); err == nil {
			db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			db.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
