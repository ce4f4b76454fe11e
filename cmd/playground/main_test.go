package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
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

func TestBodyLimitAnswersClearly(t *testing.T) {
	base := startServer(t, nil, "--body-limit", "65536")
	// From a page: a request from no session is refused (403) before its
	// length is even considered.
	bc := newBrowserClient(t, base)
	body := "messages.content=" + strings.Repeat("x", 70000)
	// The server answers as soon as it reads the Content-Length and closes
	// without reading the body, so the client's write of the rest may be
	// reset (ECONNRESET, EPIPE) before it reads the answer: a race in the
	// client, not in the answer, hence a few tries. (fasthttp has no
	// lingering close.)
	var resp *http.Response
	var err error
	for try := 0; try < 5; try++ {
		req, _ := http.NewRequest("POST", base+"/draft/preview", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		req.Header.Set("X-CSRF-Token", bc.csrf)
		if resp, err = bc.c.Do(req); err == nil || !(errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "larger than this server accepts (64 KB)") {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
}

func TestSessionCookieSecureBehindTrustedProxy(t *testing.T) {
	cookieFor := func(base string, proto string) string {
		req, _ := http.NewRequest("GET", base+"/", nil)
		if proto != "" {
			req.Header.Set("X-Forwarded-Proto", proto)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("Set-Cookie")
	}
	// Nobody trusted: the header is ignored.
	base := startServer(t, nil)
	if c := cookieFor(base, "https"); !strings.Contains(c, "HttpOnly") || strings.Contains(c, "Secure") {
		t.Errorf("untrusted X-Forwarded-Proto made the cookie %q", c)
	}
	// Loopback trusted as the proxy: https makes it Secure, http does not.
	base = startServer(t, nil, "--trusted-proxies", "127.0.0.1/32")
	if c := cookieFor(base, "https"); !strings.Contains(c, "Secure") {
		t.Errorf("behind a trusted TLS proxy the cookie is %q", c)
	}
	if c := cookieFor(base, ""); strings.Contains(c, "Secure") {
		t.Errorf("plain http made the cookie %q", c)
	}
	// The operator's switch.
	base = startServer(t, nil, "--secure-cookie")
	if c := cookieFor(base, ""); !strings.Contains(c, "Secure") || !strings.Contains(c, "SameSite=Lax") {
		t.Errorf("--secure-cookie gave %q", c)
	}
}

func TestSecuritySettings(t *testing.T) {
	none := func(string) string { return "" }
	cfg, err := LoadConfig(nil, none, io.Discard)
	if err != nil || cfg.AllowPrivateUpstreams || cfg.LogPrompts || cfg.RunsAtOnce != 6 || cfg.RunsPerMinute != 30 {
		t.Fatalf("defaults: %+v %v", cfg, err)
	}
	cfg, err = LoadConfig([]string{"--allow-private-upstreams", "--log-prompts", "--runs-at-once", "2", "--runs-per-minute", "0", "--trusted-proxies", "10.0.0.0/8, 192.168.1.1"}, none, io.Discard)
	if err != nil || !cfg.AllowPrivateUpstreams || !cfg.LogPrompts || cfg.RunsAtOnce != 2 || cfg.RunsPerMinute != 0 || len(cfg.TrustedProxies) != 2 {
		t.Fatalf("flags: %+v %v", cfg, err)
	}
	env := map[string]string{"PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS": "true", "PLAYGROUND_RUNS_PER_MINUTE": "5"}
	cfg, err = LoadConfig(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil || !cfg.AllowPrivateUpstreams || cfg.RunsPerMinute != 5 {
		t.Fatalf("env: %+v %v", cfg, err)
	}
	for _, bad := range [][]string{{"--runs-at-once", "-1"}, {"--runs-per-minute", "lots"}, {"--trusted-proxies", "proxy.local"}, {"--log-prompts=maybe"}} {
		if _, err := LoadConfig(bad, none, io.Discard); err == nil {
			t.Errorf("%v: want an error", bad)
		}
	}
}

func TestUpstreamLimitSettings(t *testing.T) {
	none := func(string) string { return "" }
	cfg, err := LoadConfig(nil, none, io.Discard)
	if err != nil || cfg.DecompressedLimit != 32<<20 || cfg.ModelCacheLimit != 16<<20 || cfg.ModelsWait != 2*time.Second {
		t.Fatalf("defaults: %+v %v", cfg, err)
	}
	env := map[string]string{"PLAYGROUND_DECOMPRESSED_LIMIT": "2097152"}
	cfg, err = LoadConfig([]string{"--model-cache-limit", "4194304", "--models-wait", "500ms"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil || cfg.DecompressedLimit != 2<<20 || cfg.ModelCacheLimit != 4<<20 || cfg.ModelsWait != 500*time.Millisecond {
		t.Fatalf("set: %+v %v", cfg, err)
	}
	for _, bad := range [][]string{{"--decompressed-limit", "1000"}, {"--model-cache-limit", "lots"}, {"--models-wait", "0s"}, {"--models-wait", "soon"}} {
		if _, err := LoadConfig(bad, none, io.Discard); err == nil {
			t.Errorf("%v: want an error", bad)
		}
	}
}
