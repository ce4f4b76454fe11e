package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// startServer runs the playground on a free loopback port with env and
// returns its base URL; it stops when the test ends.
func startServer(tb testing.TB, env map[string]string, args ...string) string {
	tb.Helper()
	return startTestServer(tb, env, args...).URL
}

// testServer is a running playground: its URL, data directory and log.
type testServer struct {
	URL     string
	DataDir string
	Log     *lockedBuffer
	stop    func()
}

// Stop ends the server (and waits for it), for tests that inspect what it
// left behind; it also runs at the end of the test.
func (s *testServer) Stop() { s.stop() }

// lockedBuffer is a log sink written from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startTestServer(tb testing.TB, env map[string]string, args ...string) *testServer {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	dataDir := tb.TempDir()
	getenv := func(k string) string {
		if k == "PLAYGROUND_DATA_DIR" {
			return dataDir
		}
		return env[k]
	}
	logs := &lockedBuffer{}
	done := make(chan struct{})
	var runErr error
	go func() {
		runErr = run(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), getenv, pw, logs)
		pw.Close()
		close(done)
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				tb.Error("server did not stop")
			}
		})
	}
	tb.Cleanup(stop)
	lines := bufio.NewScanner(pr)
	urlc := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if u, ok := strings.CutPrefix(lines.Text(), "playground listening on "); ok {
				urlc <- u
			}
		}
	}()
	select {
	case u := <-urlc:
		waitHealthy(tb, u)
		return &testServer{URL: u, DataDir: dataDir, Log: logs, stop: stop}
	case <-done:
		tb.Fatalf("server exited: %v", runErr)
	case <-time.After(30 * time.Second):
		tb.Fatal("server did not start")
	}
	return nil
}

func waitHealthy(tb testing.TB, base string) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatal("health endpoint never answered")
}

func TestRunServesAndStops(t *testing.T) {
	base := startServer(t, nil)
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"status":"ok"`) {
		t.Fatalf("healthz: %s", b)
	}
}

func TestHelpListsEverySetting(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"--help"}, func(string) string { return "" }, &out, io.Discard)
	if err != errHelp {
		t.Fatalf("err = %v", err)
	}
	for _, s := range settings {
		if !strings.Contains(out.String(), "-"+s.flag) || !strings.Contains(out.String(), "$"+s.env) {
			t.Errorf("--help lacks %s / %s", s.flag, s.env)
		}
	}
}

func TestConfigFromEnvAndFlags(t *testing.T) {
	env := map[string]string{"PLAYGROUND_ADDR": "127.0.0.1:9999", "PLAYGROUND_CATALOG": "/x.json", "HOME": "/home/u"}
	cfg, err := LoadConfig(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:9999" || cfg.Catalog != "/x.json" || cfg.DataDir != "/home/u/.local/share/playground" {
		t.Errorf("from env: %+v", cfg)
	}
	cfg, err = LoadConfig([]string{"--addr", "0.0.0.0:1", "--data-dir", "/d"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil || cfg.Addr != "0.0.0.0:1" || cfg.DataDir != "/d" {
		t.Errorf("flags must win: %+v %v", cfg, err)
	}
	for _, bad := range [][]string{{"--addr", "nope"}, {"--log-level", "loud"}, {"--read-timeout", "soon"}, {"--body-limit", "1"}, {"stray"}} {
		if _, err := LoadConfig(bad, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("%v: want an error", bad)
		}
	}
}

func TestBadCatalogStopsStartUp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(path, []byte(`{"providers": [{"id": "x"}], "models": []}`), 0o600)
	err := run(context.Background(), []string{"--addr", "127.0.0.1:0", "--catalog", path, "--data-dir", t.TempDir()},
		func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "bad.json: providers[0].name: is required") {
		t.Fatalf("err = %v", err)
	}
}

func TestSessionKeysKeptWithMode0600(t *testing.T) {
	dir := t.TempDir()
	startServer(t, map[string]string{}, "--data-dir", dir)
	fi, err := os.Stat(filepath.Join(dir, "session-keys"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
}
