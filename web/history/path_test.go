package history

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A data directory whose name has a URI's delimiters in it holds the
// database (they are escaped, not cut at).
func TestOpenPathWithURIDelimiters(t *testing.T) {
	for _, name := range []string{"runs#2", "a?b", "100%"} {
		dir := filepath.Join(t.TempDir(), name)
		s, err := Open(context.Background(), "", dir)
		if err != nil {
			t.Fatal(name, err)
		}
		if err := s.Insert(context.Background(), "alice", entry("r1", time.Now(), "openai", "m", "p")); err != nil {
			t.Fatal(name, err)
		}
		s.Close()
		if fi, err := os.Stat(filepath.Join(dir, "history.db")); err != nil || fi.Size() == 0 {
			t.Fatalf("%s: the database is not in its directory: %v", name, err)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "runs")); err == nil && name == "runs#2" {
			t.Fatalf("%s: opened a file named by the path's start", name)
		}
	}
}
