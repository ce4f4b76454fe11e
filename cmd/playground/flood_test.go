package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestDeclaredLengthFloodKeepsTheServerUp is the red-team's reproduction
// of the memory exhaustion before routing: connections that only declare
// a 20 MB body (and send one byte of it) made fasthttp allocate 32 MiB
// each before any middleware ran; 80 of them killed a server capped at
// 4 GB. Here 100 of them hit a child capped at 2 GB, anonymous and with a
// valid session and token. The server stays up, answers, and holds far
// less than what was declared.
func TestDeclaredLengthFloodKeepsTheServerUp(t *testing.T) {
	cmd, base := startChildWith(t, t.TempDir(), []string{childMemEnv + "=" + strconv.Itoa(2<<30)},
		"--read-timeout", "4s", "--max-conns-per-ip", "0")
	addr := strings.TrimPrefix(base, "http://")
	bc := newBrowserClient(t, base)
	u, _ := url.Parse(base)
	var cookie string
	for _, c := range bc.c.Jar.Cookies(u) {
		cookie += c.Name + "=" + c.Value
	}
	flood := func(n int, headers string, sent int) (statuses map[int]int, conns []net.Conn) {
		statuses = map[int]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range n {
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			conns = append(conns, conn)
			fmt.Fprintf(conn, "POST /draft/preview HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n%sContent-Length: 20000000\r\n\r\n%s", addr, headers, strings.Repeat("x", sent))
			wg.Add(1)
			go func() {
				defer wg.Done()
				conn.SetReadDeadline(time.Now().Add(3 * time.Second)) // an answer comes at once; the wait is for those still being read
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					statuses[0]++ // still being read: no answer yet
					return
				}
				resp.Body.Close()
				statuses[resp.StatusCode]++
			}()
		}
		wg.Wait()
		return statuses, conns
	}
	check := func(what string) {
		t.Helper()
		if rss := rssOf(t, cmd.Process.Pid); rss > 400<<20 {
			t.Errorf("%s: the server holds %d MB", what, rss>>20)
		}
		resp, err := http.Get(base + "/healthz")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: the server does not answer: %v", what, err)
		}
		resp.Body.Close()
		if page := bc.get("/"); !strings.Contains(page, "Run") {
			t.Fatalf("%s: no page", what)
		}
	}

	// As the report sent them: one byte of the body. fasthttp waits for
	// the first 8 KB before routing, and holds no more than that.
	_, conns := flood(100, "", 1)
	check("100 floods of one byte")
	for _, c := range conns {
		c.Close()
	}
	// With 8 KB sent, the request is routed and refused before its body
	// is read.
	anon, conns := flood(100, "", 8<<10)
	check("100 anonymous floods")
	if anon[403] != 100 {
		t.Errorf("anonymous floods: %v, want 100 refused (no session, no token)", anon)
	}
	for _, c := range conns {
		c.Close()
	}
	// With a session and its token, the body is read: one address may
	// hold a quarter of the body budget (64 MB of 256), 3 declared 20 MB
	// bodies; the others are told to come back.
	withToken, conns := flood(100, "Cookie: "+cookie+"\r\nX-CSRF-Token: "+bc.csrf+"\r\nHX-Request: true\r\n", 8<<10)
	check("100 floods with a token")
	if withToken[503] < 97 || withToken[0] > 3 {
		t.Errorf("floods with a token: %v, want at most 3 being read and the rest 503", withToken)
	}
	for _, c := range conns {
		c.Close()
	}
	check("after the floods")
}

// rssOf is a process's resident memory in bytes.
func rssOf(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return kb << 10
		}
	}
	t.Fatal("the server process is gone: no VmRSS (killed by the flood?)")
	return 0
}
