package main

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// The history's limits (security review, finding 13): defaults, flags,
// environment, and refusals of bad values.
func TestHistoryLimitSettings(t *testing.T) {
	none := func(string) string { return "" }
	cfg, err := LoadConfig(nil, none, io.Discard)
	if err != nil || cfg.HistoryRunMax != 8<<20 || cfg.HistoryQuotaBytes != 200<<20 || cfg.HistoryQuotaRuns != 5000 || cfg.HistoryRetentionDays != 90 {
		t.Fatalf("defaults: %+v %v", cfg, err)
	}
	cfg, err = LoadConfig([]string{"--history-run-max", "0", "--history-quota-bytes", "1048576", "--history-quota-runs", "10",
		"--history-retention-days", "0"}, none, io.Discard)
	if err != nil || cfg.HistoryRunMax != 0 || cfg.HistoryQuotaBytes != 1<<20 || cfg.HistoryQuotaRuns != 10 || cfg.HistoryRetentionDays != 0 {
		t.Fatalf("flags: %+v %v", cfg, err)
	}
	env := map[string]string{"PLAYGROUND_HISTORY_RETENTION_DAYS": "7", "PLAYGROUND_HISTORY_RUN_MAX": "16777216"}
	cfg, err = LoadConfig(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil || cfg.HistoryRetentionDays != 7 || cfg.HistoryRunMax != 16<<20 {
		t.Fatalf("env: %+v %v", cfg, err)
	}
	for _, bad := range [][]string{{"--history-run-max", "-1"}, {"--history-run-max", "1000"}, {"--history-quota-bytes", "lots"},
		{"--history-quota-runs", "-5"}, {"--history-retention-days", "90d"}} {
		if _, err := LoadConfig(bad, none, io.Discard); err == nil {
			t.Errorf("%v: want an error", bad)
		}
	}
}

// Finding 19: in an operator's 0755 data directory under umask 022, the
// history database and its -wal and -shm files are 0600, like the session
// keys.
func TestHistoryFilesPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	startServer(t, map[string]string{}, "--data-dir", dir)
	deadline := time.Now().Add(30 * time.Second) // a guard: the files exist once the store is open
	for _, name := range []string{"history.db", "history.db-wal", "history.db-shm", "session-keys"} {
		var fi os.FileInfo
		var err error
		for fi, err = os.Stat(filepath.Join(dir, name)); err != nil && time.Now().Before(deadline); fi, err = os.Stat(filepath.Join(dir, name)) {
			time.Sleep(50 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s is %v, want -rw-------", name, fi.Mode().Perm())
		}
	}
}
