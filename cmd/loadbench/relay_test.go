package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestGoRelayCopiesTheStream: with either client the relay answers with
// the upstream's status, content type and stream, byte for byte, and
// passes the request's method, path, body and key on.
func TestGoRelayCopiesTheStream(t *testing.T) {
	var stream strings.Builder
	for i := range 50 {
		fmt.Fprintf(&stream, "data: {\"i\":%d}\n\n", i)
	}
	stream.WriteString("data: [DONE]\n\n")
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != "POST" || r.URL.Path != "/v1/chat/completions" || string(body) != `{"stream":true}` || r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, fmt.Sprintf("got %s %s %q %q", r.Method, r.URL.Path, body, r.Header.Get("Authorization")), http.StatusTeapot)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for _, ev := range strings.SplitAfter(stream.String(), "\n\n") {
			io.WriteString(w, ev)
			w.(http.Flusher).Flush()
		}
	}))
	defer up.Close()
	for _, client := range []string{"net/http", "fasthttp"} {
		t.Run(strings.ReplaceAll(client, "/", ""), func(t *testing.T) {
			app, err := relayApp(up.URL, client)
			if err != nil {
				t.Fatal(err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go app.Listener(ln)
			defer app.Shutdown()
			for range 3 { // connections are kept and reused
				req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/v1/chat/completions", strings.NewReader(`{"stream":true}`))
				req.Header.Set("Authorization", "Bearer k")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" || string(got) != stream.String() {
					t.Fatalf("%d %q: %.200q", resp.StatusCode, resp.Header.Get("Content-Type"), got)
				}
			}
		})
	}
	if _, err := relayApp(up.URL, "curl"); err == nil {
		t.Error("an unknown client was accepted")
	}
}
