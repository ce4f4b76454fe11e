//go:build unix

package history

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func setUmask(m int) int { return syscall.Umask(m) }

// Finding 19: the database and its -wal and -shm files are the owner's
// only, in an operator's 0755 directory under umask 022, and files an
// older version left 0644 are narrowed.
func TestStoreFilesArePrivate(t *testing.T) {
	old := setUmask(0o022)
	defer setUmask(old)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		for _, name := range []string{"history.db", "history.db-wal", "history.db-shm"} {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: %s is %v, want -rw-------", when, name, fi.Mode().Perm())
			}
		}
	}
	write := func(s *Store, id string) {
		t.Helper()
		if err := s.Insert(context.Background(), "alice", entry(id, time.Now(), "sim", "m", "a secret prompt")); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	write(s, "r1")
	check("after the first open and a write")
	// An older version's files: 0644.
	for _, name := range []string{"history.db", "history.db-wal", "history.db-shm"} {
		if err := os.Chmod(filepath.Join(dir, name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s, err = Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	write(s, "r2")
	check("after reopening files left 0644")
}
