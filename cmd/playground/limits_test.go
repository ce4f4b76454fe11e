package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A provider streaming text at full speed to a run whose only browser
// never reads its event stream: the run ends at --run-max-bytes with the
// message in the history and the log, the server's memory stays bounded,
// and the server answers as before.
func TestNeverReadingBrowserAndHugeAnswer(t *testing.T) {
	var written atomic.Int64
	chunk := "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + strings.Repeat("lorem ipsum ", 80) + "\\n\\n\"}}]}\n\n"
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for written.Load() < 200<<20 { // bounded: 200 MB at most
			n, err := io.WriteString(w, chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	defer up.Close()
	srv := startTestServer(t, map[string]string{"OPENAI_API_KEY": operatorKey, "OPENAI_BASE_URL": up.URL + "/v1"},
		"--run-max-bytes", fmt.Sprint(4<<20))
	bc := newBrowserClient(t, srv.URL)
	_, panel := bc.post("/runs", url.Values{"_provider": {"openai"}, "_model": {"gpt-4o-mini"}, "messages.role": {"user"},
		"messages.content": {"Write forever"}, "stream": {"true"}}, true)
	m := runRE.FindStringSubmatch(panel)
	if m == nil {
		t.Fatalf("no run: %.300s", panel)
	}
	// The browser that never reads: it asks for the events and stops.
	u, _ := url.Parse(srv.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var cookies []string
	for _, c := range bc.c.Jar.Cookies(u) {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	fmt.Fprintf(conn, "GET /runs/%s/events HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\nAccept: text/event-stream\r\n\r\n", m[1], u.Host, strings.Join(cookies, "; "))

	deadline := time.Now().Add(60 * time.Second)
	var page string
	for time.Now().Before(deadline) {
		page = bc.get("/history/runs/" + m[1])
		if !strings.Contains(page, ">running<") && strings.Contains(page, "truncated") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(page, "truncated: the answer exceeded 4 MB") || !strings.Contains(page, "interrupted") {
		t.Fatalf("the history's run page: %.2000s", page)
	}
	if !strings.Contains(page, "lorem ipsum") {
		t.Error("the partial output is not kept")
	}
	if n := written.Load(); n > 64<<20 {
		t.Errorf("the provider wrote %d bytes: the run did not stop reading", n)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.HeapAlloc > 256<<20 {
		t.Errorf("heap %d MB while the browser holds its stream open", ms.HeapAlloc>>20)
	}
	if !strings.Contains(srv.Log.String(), `reason="truncated: the answer exceeded 4 MB"`) {
		t.Errorf("the log line lacks the reason:\n%s", srv.Log.String())
	}
	if resp, err := http.Get(srv.URL + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the server does not answer: %v", err)
	}
}
