package upstream

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/netguard"
	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/stream"
)

// redirectPair starts a sentinel (which counts every request and answers
// SENTINEL-REACHED) and a redirector on another port of the same host
// that sends 307 to the sentinel's /target, and 307 to its own /moved for
// /same.
func redirectPair(t *testing.T) (redirector, sentinel *httptest.Server, hits *atomic.Int32, auth *atomic.Value) {
	t.Helper()
	hits, auth = &atomic.Int32{}, &atomic.Value{}
	sentinel = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		auth.Store(r.Header.Get("Authorization"))
		io.WriteString(w, "SENTINEL-REACHED")
	}))
	t.Cleanup(sentinel.Close)
	redirector = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/moved/chat/completions"):
			io.WriteString(w, `{"moved":true}`)
		case strings.HasPrefix(r.URL.Path, "/same/"):
			http.Redirect(w, r, "/moved"+strings.TrimPrefix(r.URL.Path, "/same"), http.StatusTemporaryRedirect)
		default:
			http.Redirect(w, r, sentinel.URL+"/target?x=1", http.StatusTemporaryRedirect)
		}
	}))
	t.Cleanup(redirector.Close)
	return redirector, sentinel, hits, auth
}

// TestRedirectToAnotherOriginRefused is finding 12: a catalog provider
// answering 307 to another port of the same host made the client follow
// it with the operator's key and show the target's body. Neither client
// follows it now; the sentinel gets no request and the error names the
// target.
func TestRedirectToAnotherOriginRefused(t *testing.T) {
	redirector, sentinel, hits, _ := redirectPair(t)
	redirPort := redirector.Listener.Addr().(*net.TCPAddr).Port
	// The guarded client's guard allows the redirector only.
	allowRedirector := func(network, address string, _ syscall.RawConn) error {
		if strings.HasSuffix(address, ":"+strconv.Itoa(redirPort)) {
			return nil
		}
		return &netguard.Error{Addr: address, Reason: "a loopback address"}
	}
	clients := map[string]*Client{
		"catalog (unguarded)": New(testConfig()),
		"guarded":             New(withGuard(testConfig(), allowRedirector)),
	}
	for name, c := range clients {
		t.Run(name, func(t *testing.T) {
			req := &request.Request{Method: http.MethodPost, Path: "/chat/completions", Body: []byte(`{"model":"m"}`)}
			resp, err := c.Send(t.Context(), req, []string{redirector.URL + "/v1"}, "sk-OPERATORsecret")
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				t.Fatalf("the redirect was followed: HTTP %d %q", resp.Status, b)
			}
			var se *stream.Error
			if !errors.As(err, &se) || se.Code != "redirect_refused" {
				t.Fatalf("err = %v (%T), want a redirect_refused stream.Error", err, err)
			}
			want := "the provider redirected to " + sentinel.URL + "/target (another origin); the playground does not follow redirects that would carry your key elsewhere"
			if se.Message != want {
				t.Errorf("message\n got %q\nwant %q", se.Message, want)
			}
			if strings.Contains(err.Error(), "SENTINEL") || strings.Contains(err.Error(), redirector.URL) {
				t.Errorf("the message shows the target's body or names the first host: %q", err.Error())
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the sentinel got %d requests", n)
	}
}

// TestSameOriginRedirectFollowed: a gateway moving a path on its own
// origin keeps working, key and body included.
func TestSameOriginRedirectFollowed(t *testing.T) {
	redirector, _, hits, _ := redirectPair(t)
	var gotAuth atomic.Value
	inner := redirector.Config.Handler
	redirector.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth.Store(r.Header.Get("Authorization"))
		inner.ServeHTTP(w, r)
	})
	c := New(testConfig())
	req := &request.Request{Method: http.MethodPost, Path: "/chat/completions", Body: []byte(`{}`)}
	resp, err := c.Send(t.Context(), req, []string{redirector.URL + "/same"}, "sk-k")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != `{"moved":true}` || gotAuth.Load() != "Bearer sk-k" || hits.Load() != 0 {
		t.Fatalf("body %q auth %v sentinel %d", b, gotAuth.Load(), hits.Load())
	}
}

// TestCheckRedirect is the rule itself, for the cases two local servers
// cannot show (https, default ports, other hosts).
func TestCheckRedirect(t *testing.T) {
	tests := []struct {
		from, to string
		want     string // "" follows; else a word of the refusal
	}{
		{"https://api.example.com/v1/chat", "https://api.example.com/v2/chat", ""},
		{"https://api.example.com/v1", "https://API.example.com:443/v2", ""},
		{"http://gw.example/v1", "https://gw.example/v1", ""},
		{"http://gw.example:8080/v1", "http://gw.example:8080/x", ""},
		{"https://api.example.com/v1", "http://api.example.com/v1", "from https to http"},
		{"https://api.example.com/v1", "https://api.example.com:8443/v1", "another origin"},
		{"https://api.example.com/v1", "https://evil.example/v1", "another origin"},
		{"https://api.example.com/v1", "https://x.api.example.com/v1", "another origin"},
		{"http://gw.example/v1", "http://169.254.169.254/latest/meta-data", "another origin"},
		{"http://gw.example:8080/v1", "https://gw.example:8443/v1", "another origin"},
		{"https://api.example.com/v1", "ftp://api.example.com/v1", "from https to ftp"},
	}
	for _, tt := range tests {
		from, _ := http.NewRequest("POST", tt.from, nil)
		to, _ := http.NewRequest("POST", tt.to, nil)
		err := checkRedirect(to, []*http.Request{from})
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s -> %s: %v", tt.from, tt.to, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), "("+tt.want+")")):
			t.Errorf("%s -> %s: got %v, want %q", tt.from, tt.to, err, tt.want)
		}
	}
	// Back from https to http after an upgrade is a downgrade too.
	first, _ := http.NewRequest("POST", "http://gw.example/v1", nil)
	upgraded, _ := http.NewRequest("POST", "https://gw.example/v1", nil)
	back, _ := http.NewRequest("POST", "http://gw.example/v1/x", nil)
	if err := checkRedirect(back, []*http.Request{first, upgraded}); err == nil || !strings.Contains(err.Error(), "(from https to http)") {
		t.Errorf("https back to http: %v", err)
	}
	// A loop on the same origin stops after maxRedirects.
	var via []*http.Request
	for range maxRedirects {
		r, _ := http.NewRequest("GET", "https://api.example.com/loop", nil)
		via = append(via, r)
	}
	next, _ := http.NewRequest("GET", "https://api.example.com/loop?secret=1", nil)
	if err := checkRedirect(next, via); err == nil || !strings.Contains(err.Error(), "more than 10 times") || strings.Contains(err.Error(), "secret") {
		t.Errorf("loop: %v", err)
	}
}

// TestRefusedAddressNamesTheHop is finding 20: a failure after a redirect
// names the host that failed, not the first one.
func TestRefusedAddressNamesTheHop(t *testing.T) {
	first, _ := url.Parse("http://public.example/v1/chat/completions")
	err := describe(first, &url.Error{Op: "Post", URL: "http://127.0.0.1:19520/target",
		Err: &net.OpError{Op: "dial", Err: &netguard.Error{Addr: "127.0.0.1", Reason: "a loopback address"}}}, DefaultConfig())
	if got := err.Error(); !strings.Contains(got, "refused to connect to 127.0.0.1:19520: 127.0.0.1 is a loopback address") || strings.Contains(got, "public.example") {
		t.Fatalf("got %q", got)
	}
}

func testConfig() Config {
	return Config{ConnectTimeout: 2 * time.Second, FirstByteTimeout: 5 * time.Second, IdleTimeout: 5 * time.Second}
}

func withGuard(c Config, g func(network, address string, c syscall.RawConn) error) Config {
	c.Guard = g
	return c
}
