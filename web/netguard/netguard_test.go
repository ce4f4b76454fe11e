package netguard_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/netguard"
	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/stream"
	"github.com/playground-dev/playground/web/upstream"
)

func TestCheckLiteralAddresses(t *testing.T) {
	g := netguard.New()
	tests := []struct {
		addr   string
		allow  bool
		reason string
	}{
		{"127.0.0.1", false, "loopback"},
		{"127.255.255.254", false, "loopback"},
		{"10.1.2.3", false, "private"},
		{"172.16.0.1", false, "private"},
		{"172.31.255.255", false, "private"},
		{"192.168.1.1", false, "private"},
		{"169.254.169.254", false, "cloud metadata"},
		{"169.254.1.1", false, "link-local"},
		{"100.100.100.200", false, "cloud metadata"},
		{"100.64.0.1", false, "non-public"},
		{"0.0.0.0", false, "unspecified"},
		{"224.0.0.1", false, "multicast"},
		{"255.255.255.255", false, "non-public"},
		{"198.18.0.1", false, "non-public"},
		// IPv6 forms.
		{"::1", false, "loopback"},
		{"::", false, "unspecified"},
		{"::ffff:127.0.0.1", false, "IPv4-mapped"},
		{"::ffff:169.254.169.254", false, "IPv4-mapped"},
		{"::ffff:10.0.0.1", false, "IPv4-mapped"},
		{"fe80::1", false, "link-local"},
		{"fc00::1", false, "private"},
		{"fd00:ec2::254", false, "cloud metadata"},
		{"64:ff9b::7f00:1", false, "non-public"}, // NAT64 of 127.0.0.1
		{"2002:7f00:1::1", false, "non-public"},  // 6to4 of 127.0.0.1
		{"ff02::1", false, "multicast"},
		// Public.
		{"8.8.8.8", true, ""},
		{"1.1.1.1", true, ""},
		{"2606:4700:4700::1111", true, ""},
	}
	for _, tt := range tests {
		err := g.Check(netip.MustParseAddr(tt.addr))
		if tt.allow {
			if err != nil {
				t.Errorf("%s: refused: %v", tt.addr, err)
			}
			continue
		}
		var ge *netguard.Error
		if !errors.As(err, &ge) {
			t.Errorf("%s: allowed, want refused", tt.addr)
			continue
		}
		if !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("%s: %q does not say %q", tt.addr, err, tt.reason)
		}
	}
}

func TestCheckURL(t *testing.T) {
	g := netguard.New()
	g.Resolve = func(_ context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "public.example":
			return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
		case "sneaky.example": // one public, one loopback answer
			return []netip.Addr{netip.MustParseAddr("93.184.215.14"), netip.MustParseAddr("127.0.0.1")}, nil
		case "v6.example":
			return []netip.Addr{netip.MustParseAddr("::1")}, nil
		}
		return nil, errors.New("no such host")
	}
	tests := []struct {
		url  string
		want string // "" allowed
	}{
		{"https://public.example/v1", ""},
		{"https://8.8.8.8/v1", ""},
		{"https://[2606:4700:4700::1111]:8443/v1", ""},
		{"https://sneaky.example/v1", "sneaky.example resolves to 127.0.0.1 is a loopback address"},
		{"https://v6.example/v1", "loopback"},
		{"http://127.0.0.1:8080/v1", "loopback"},
		{"http://[::1]/v1", "loopback"},
		{"http://[::ffff:127.0.0.1]/v1", "IPv4-mapped"},
		{"http://169.254.169.254/latest/meta-data", "cloud metadata"},
		{"http://nowhere.example/v1", "could not resolve"},
		{"ftp://public.example/", "http:// or https://"},
		{"public.example/v1", "http:// or https://"},
	}
	for _, tt := range tests {
		err := g.CheckURL(context.Background(), tt.url)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.url, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: got %v, want %q", tt.url, err, tt.want)
		}
	}
}

// TestGuardedClientNeverReachesLoopback dials a real server on 127.0.0.1
// through the guarded client under every spelling of its address,
// including a hostname that resolves to loopback: the server must never
// see a request, and the error must say why.
func TestGuardedClientNeverReachesLoopback(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	g := netguard.New()
	client := upstream.New(upstream.Config{ConnectTimeout: 2 * time.Second, FirstByteTimeout: 2 * time.Second, IdleTimeout: 2 * time.Second, Guard: g.Control})
	for _, host := range []string{"127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "127.1", "[::1]", "0.0.0.0", "2130706433", "0x7f000001"} {
		base := "http://" + host + ":" + port + "/v1"
		req := &request.Request{Method: http.MethodPost, Path: "/chat/completions", Body: []byte(`{}`)}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		resp, err := client.Send(ctx, req, []string{base}, "sk-test")
		cancel()
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s: connected (HTTP %d)", host, resp.Status)
			continue
		}
		var se *stream.Error
		if !errors.As(err, &se) {
			t.Errorf("%s: %v is not a stream.Error", host, err)
			continue
		}
		// Spellings Go does not parse as IPs fail to resolve instead; both
		// keep the request from leaving.
		if se.Code != "forbidden_address" && se.Code != "dns" {
			t.Errorf("%s: code %q (%s), want forbidden_address", host, se.Code, se.Message)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the loopback server got %d requests", n)
	}
	// The same client without the guard reaches it: the test is real.
	open := upstream.New(upstream.Config{ConnectTimeout: 2 * time.Second, FirstByteTimeout: 2 * time.Second, IdleTimeout: 2 * time.Second})
	resp, err := open.Send(context.Background(), &request.Request{Method: http.MethodPost, Path: "/x"}, []string{srv.URL}, "")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if hits.Load() != 1 {
		t.Fatal("the unguarded client did not reach the server")
	}
}

// TestControl checks the dial hook itself, which the client calls for
// every connection it opens (redirects included).
func TestControl(t *testing.T) {
	g := netguard.New()
	if err := g.Control("tcp4", "169.254.169.254:80", nil); err == nil {
		t.Fatal("metadata address allowed")
	}
	if err := g.Control("udp4", "8.8.8.8:53", nil); err == nil {
		t.Fatal("UDP allowed")
	}
	if err := g.Control("tcp4", "8.8.8.8:8443", nil); err != nil {
		t.Fatalf("public address on a custom port refused: %v", err)
	}
}

// TestGuardedRedirectsNeverReachTheTarget: a redirector the guard allows
// sends 307 to loopback, private and metadata targets under many
// spellings. None is followed (each is another origin), the sentinel on
// loopback sees no request, and each error names the target, not the
// redirector (finding 20).
func TestGuardedRedirectsNeverReachTheTarget(t *testing.T) {
	var hits atomic.Int32
	sentinel := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer sentinel.Close()
	port := sentinel.URL[strings.LastIndex(sentinel.URL, ":")+1:]
	targets := []string{
		"http://127.0.0.1:" + port + "/target",
		"http://localhost:" + port + "/target",
		"http://[::1]:" + port + "/target",
		"http://[::ffff:127.0.0.1]:" + port + "/target",
		"http://169.254.169.254/latest/meta-data",
		"http://10.0.0.1/admin",
		"https://127.0.0.1:" + port + "/target",
	}
	var target atomic.Value
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.Load().(string), http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	rport := redirector.URL[strings.LastIndex(redirector.URL, ":")+1:]
	g := netguard.New()
	allowRedirector := func(network, address string, c syscall.RawConn) error {
		if address == "127.0.0.1:"+rport {
			return nil
		}
		return g.Control(network, address, c)
	}
	client := upstream.New(upstream.Config{ConnectTimeout: 2 * time.Second, FirstByteTimeout: 2 * time.Second, IdleTimeout: 2 * time.Second, Guard: allowRedirector})
	for _, to := range targets {
		target.Store(to)
		req := &request.Request{Method: http.MethodPost, Path: "/chat/completions", Body: []byte(`{}`)}
		resp, err := client.Send(t.Context(), req, []string{redirector.URL + "/v1"}, "sk-test")
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s: followed (HTTP %d)", to, resp.Status)
			continue
		}
		var se *stream.Error
		if !errors.As(err, &se) || se.Code != "redirect_refused" || !strings.Contains(se.Message, "redirected to ") || strings.Contains(se.Message, ":"+rport) {
			t.Errorf("%s: %v", to, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the sentinel got %d requests", n)
	}
}
