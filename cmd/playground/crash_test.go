package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childEnv makes the test binary run the playground itself, so a test can
// kill it as a crash would.
const childEnv = "PLAYGROUND_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		if n, err := strconv.ParseUint(os.Getenv(childMemEnv), 10, 64); err == nil {
			// A memory-capped child: a test's memory bomb kills it, not
			// the machine.
			if err := syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
		if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var listeningRE = regexp.MustCompile(`listening on (http://\S+)`)

// childMemEnv caps the child's address space, in bytes.
const childMemEnv = "PLAYGROUND_TEST_CHILD_AS"

// startChild starts the playground as a separate process on dataDir.
func startChild(t *testing.T, dataDir string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	return startChildWith(t, dataDir, nil, args...)
}

// startChildWith starts it with env added to the test's environment.
func startChildWith(t *testing.T, dataDir string, env []string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"--addr", "127.0.0.1:0", "--data-dir", dataDir}, args...)...)
	cmd.Env = append(append(os.Environ(), childEnv+"=1"), env...)
	if os.Getenv("PLAYGROUND_TEST_CHILD_LOGS") != "" {
		cmd.Stderr = os.Stderr
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if m := listeningRE.FindStringSubmatch(lines.Text()); m != nil {
			go func() {
				for lines.Scan() {
				}
			}()
			waitHealthy(t, m[1])
			return cmd, m[1]
		}
	}
	t.Fatal("the playground did not start")
	return nil, ""
}

// TestCrashMidRunLeavesHistoryReadable kills the server in the middle of a
// run: after a restart the history still reads, the run is marked
// interrupted and keeps what had arrived.
func TestCrashMidRunLeavesHistoryReadable(t *testing.T) {
	dir := t.TempDir()
	cmd, base := startChild(t, dir, "--sim-ttft", "20ms", "--sim-tps", "6")
	bc := newBrowserClient(t, base)
	_, panel := bc.post("/runs", url.Values{
		"_provider": {"sim"}, "_model": {"seed001.gpt-5.4"},
		"messages.role": {"user"}, "messages.content": {"Tell me about the sea."}, "stream": {"true"},
	}, true)
	m := runRE.FindStringSubmatch(panel)
	if m == nil {
		t.Fatalf("no run: %s", panel)
	}
	id := m[1]
	// Follow the run until some text has arrived.
	resp, err := bc.c.Get(base + "/runs/" + id + "/events")
	if err != nil {
		t.Fatal(err)
	}
	events := bufio.NewScanner(resp.Body)
	words := 0
	for events.Scan() && words < 4 {
		if strings.HasPrefix(events.Text(), "event: delta") || strings.HasPrefix(events.Text(), "event: md") {
			words++
		}
	}
	// The history has the output so far.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(bc.get("/history/runs/"+id), `data-testid="record-answer"><p>`) {
		if time.Now().After(deadline) {
			pg := bc.get("/history/runs/" + id)
			t.Fatalf("the running run's output never reached the history:\n%s", pg[strings.Index(pg, "<main"):])
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	resp.Body.Close()

	_, base = startChild(t, dir)
	page := getOK(t, bc, base+"/history/runs/"+id)
	for _, want := range []string{`data-testid="record-status">interrupted`, "The server stopped while this run was going", `data-testid="record-answer"><p>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the run page after a crash lacks %q:\n%s", want, page)
		}
	}
	if list := getOK(t, bc, base+"/history"); !strings.Contains(list, "interrupted") || !strings.Contains(list, "Tell me about the sea.") {
		t.Errorf("the history list after a crash:\n%s", list)
	}
}

func getOK(t *testing.T, bc *browserClient, u string) string {
	t.Helper()
	resp, err := bc.c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body := bc.record(resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", u, resp.StatusCode, body)
	}
	return body
}
