package handlers

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/session"
	"github.com/playground-dev/playground/web/tokens"
	"github.com/playground-dev/playground/web/upstream"
)

// TestHostsRefuseRebinding: a page on another site that rebinds its name
// to the playground's loopback address sends its own name as Host. It gets
// no page, no cookie and no token.
func TestHostsRefuseRebinding(t *testing.T) {
	app := newTestAppWith(t, nil, func(d *Deps) {
		d.AnyHost, d.AllowedHosts = false, []string{"example.com", "playground.example.org", ".corp.example"}
	})
	for _, c := range []struct {
		host string
		ok   bool
	}{
		{"attacker.example:19501", false},
		{"ATTACKER.example.", false},
		{"example.org", false},
		{"corp.example.evil", false},
		{"127.0.0.1:8080", true},
		{"127.0.0.2", true},
		{"[::1]:8080", true},
		{"localhost:8080", true},
		{"LocalHost.", true},
		{"app.localhost", true},
		{"playground.example.org", true},
		{"a.corp.example:443", true},
		{"corp.example", true},
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Host = c.host
		req.Header.Set("X-Test-Anonymous", "1")
		resp, body := do(t, app, req)
		if c.ok != (resp.StatusCode == 200) {
			t.Errorf("Host %q: status %d", c.host, resp.StatusCode)
		}
		if !c.ok {
			if resp.StatusCode != fiber.StatusMisdirectedRequest || !strings.Contains(body, "DNS rebinding") {
				t.Errorf("Host %q: %d %s", c.host, resp.StatusCode, body)
			}
			if resp.Header.Get("Set-Cookie") != "" || strings.Contains(body, "X-CSRF-Token") {
				t.Errorf("Host %q got a session", c.host)
			}
		}
	}
	// The refusal page's stylesheet is served (static files hold nothing).
	req0 := httptest.NewRequest("GET", "/static/css/chroma.css", nil)
	req0.Host = "attacker.example:19501"
	if resp, _ := do(t, app, req0); resp.StatusCode != 200 {
		t.Errorf("a static file for another host: %d", resp.StatusCode)
	}
	// POST with a right token, from the rebound name, is refused too.
	req := httptest.NewRequest("POST", "/runs", strings.NewReader("_provider=sim&_model=seed001.gpt-5.4"))
	req.Host = "attacker.example:19501"
	req.Header.Set("Origin", "http://attacker.example:19501")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	if resp, _ := do(t, app, req); resp.StatusCode != fiber.StatusMisdirectedRequest {
		t.Errorf("rebound POST /runs: %d", resp.StatusCode)
	}
}

// TestBodyLimitsPerRoute: only runs, previews and compare forms may carry
// the body limit; everything else a small body, refused by its declared
// length before it is read.
func TestBodyLimitsPerRoute(t *testing.T) {
	app := newTestApp(t, nil)
	big := "x=" + strings.Repeat("a", SmallBody+10)
	for _, c := range []struct {
		path string
		want int
	}{
		{"/settings/keys/openai", 413},
		{"/history/runs/abc/delete", 413},
		{"/runs/abc/stop", 413},
		{"/draft/preview", 200},
		{"/compare/preview", 200},
	} {
		req := httptest.NewRequest("POST", c.path, strings.NewReader(big))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		resp, body := do(t, app, req)
		if resp.StatusCode != c.want {
			t.Errorf("POST %s with %d bytes: %d, want %d", c.path, len(big), resp.StatusCode, c.want)
		}
		if c.want == 413 && !strings.Contains(body, "64 KB") {
			t.Errorf("POST %s: the message does not name the limit: %s", c.path, body)
		}
	}
	// Over the large limit on a large route.
	req := httptest.NewRequest("POST", "/draft/preview", strings.NewReader("x="+strings.Repeat("a", 4<<20)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	if resp, body := do(t, app, req); resp.StatusCode != 413 || !strings.Contains(body, "4 MB") {
		t.Errorf("preview over the limit: %d %s", resp.StatusCode, body)
	}
}

// TestCSRFTokenNotFromQuery: a token in the query string is not a token.
func TestCSRFTokenNotFromQuery(t *testing.T) {
	app := newTestApp(t, nil)
	req := httptest.NewRequest("POST", "/settings/keys/openai/clear?_csrf="+app.csrf, nil)
	if resp, _ := do(t, app, req); resp.StatusCode != 403 {
		t.Errorf("token in the query: %d, want 403", resp.StatusCode)
	}
	req = httptest.NewRequest("POST", "/settings/keys/openai/clear", strings.NewReader(url.Values{"_csrf": {app.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, _ := do(t, app, req); resp.StatusCode != 303 && resp.StatusCode != 302 {
		t.Errorf("token in the form: %d, want a redirect", resp.StatusCode)
	}
}

// TestClientAddr: the limits per client count by the peer's address, by
// the proxy's word only behind a trusted proxy, and by /64 for IPv6.
func TestClientAddr(t *testing.T) {
	for _, c := range []struct {
		trusted []string
		peer    string
		xff     string
		want    string
	}{
		{nil, "203.0.113.7", "", "203.0.113.7"},
		{nil, "203.0.113.7", "198.51.100.1", "203.0.113.7"},
		{[]string{"127.0.0.1"}, "127.0.0.1", "1.2.3.4, 198.51.100.1", "198.51.100.1"},
		{[]string{"127.0.0.1"}, "127.0.0.1", "junk", "127.0.0.1"},
		{nil, "2001:db8:1:2:3:4:5:6", "", "2001:db8:1:2::/64"},
		{nil, "::ffff:203.0.113.9", "", "203.0.113.9"},
	} {
		app := fiber.New(fiber.Config{EnableTrustedProxyCheck: true, TrustedProxies: c.trusted})
		var got string
		app.Get("/", func(ctx *fiber.Ctx) error { got = clientAddr(ctx); return nil })
		var req fasthttp.Request
		req.Header.SetMethod("GET")
		req.SetRequestURI("/")
		if c.xff != "" {
			req.Header.Set("X-Forwarded-For", c.xff)
		}
		var ctx fasthttp.RequestCtx
		ctx.Init(&req, &net.TCPAddr{IP: net.ParseIP(c.peer), Port: 1234}, nil)
		app.Handler()(&ctx)
		if got != c.want {
			t.Errorf("peer %s xff %q trusted %v: %q, want %q", c.peer, c.xff, c.trusted, got, c.want)
		}
	}
}

// TestOversizedHeadersClearTheCookie: headers past the read buffer answer
// 431 with a page that says what happened and clears the session cookie,
// so the next request gets in.
func TestOversizedHeadersClearTheCookie(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	app := NewApp(log, Server{BodyLimit: 1 << 20})
	app.Get("/", func(c *fiber.Ctx) error { return c.SendString("ok") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	defer app.Shutdown()
	send := func(cookie string) (*http.Response, string) {
		conn, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\nCookie: %s\r\n\r\n", cookie)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	// A session cookie of the largest size the settings accept, beside
	// 8 KB of other cookies for the same host, still gets in.
	resp, _ := send(session.CookieName + "=" + strings.Repeat("a", session.MaxCookie) + "; other=" + strings.Repeat("b", 8<<10))
	if resp.StatusCode != 200 {
		t.Fatalf("a full session cookie beside 8 KB of others: %d", resp.StatusCode)
	}
	resp, body := send(session.CookieName + "=x; junk=" + strings.Repeat("b", HeaderBuffer))
	if resp.StatusCode != fiber.StatusRequestHeaderFieldsTooLarge || !strings.Contains(body, "cookie has been cleared") {
		t.Fatalf("oversized headers: %d %s", resp.StatusCode, body)
	}
	sc := resp.Header.Get("Set-Cookie")
	if !strings.HasPrefix(sc, session.CookieName+"=;") || !strings.Contains(strings.ToLower(sc), "max-age=0") && !strings.Contains(sc, "expires=Thu, 01 Jan 1970") {
		t.Errorf("the session cookie is not cleared: %q", sc)
	}
}

// TestCookieCopiesEndOnKeyChange: a cookie captured (or planted) before
// the person entered or cleared a key stops working at that change, so it
// neither sends the cleared key nor shows the runs made since.
func TestCookieCopiesEndOnKeyChange(t *testing.T) {
	app := newTestApp(t, nil)
	planted := app.cookie // the planter keeps a copy of the victim's cookie
	status, page := postForm(t, app, "/settings/keys/openai", url.Values{"key": {"sk-person-replay-1234"}})
	if status != 200 || !strings.Contains(page, "••••1234") {
		t.Fatalf("saving the key: %d", status)
	}
	withKey := app.cookie
	if withKey == planted {
		t.Fatal("the cookie did not change")
	}
	// The planter's copy is a fresh session now: not the victim's.
	pl := &testApp{App: app.App, cookie: planted}
	resp, body := do(t, pl, httptest.NewRequest("GET", "/settings", nil))
	if resp.StatusCode != 200 || strings.Contains(body, "••••1234") || strings.Contains(body, app.csrf) {
		t.Fatalf("the planted cookie still opens the victim's session: %d", resp.StatusCode)
	}
	// A copy superseded a moment ago may be another request of the same
	// browser: it is not replaced (that would replace the real cookie).
	if resp.Header.Get("Set-Cookie") != "" {
		t.Error("a copy superseded a moment ago was replaced")
	}
	// Clearing the key ends the copy taken while it was set.
	if status, page := postForm(t, app, "/settings/keys/openai/clear", nil); status != 200 || strings.Contains(page, "••••1234") {
		t.Fatalf("clearing: %d", status)
	}
	replay := &testApp{App: app.App, cookie: withKey}
	_, body = do(t, replay, httptest.NewRequest("GET", "/?provider=openai&model=gpt-4o-mini", nil))
	if strings.Contains(body, "••••1234") || strings.Contains(body, "Key: yours") {
		t.Error("a cookie captured before Clear key still carries the key")
	}
	// The browser that made the changes goes on as before.
	_, body = do(t, app, httptest.NewRequest("GET", "/settings", nil))
	if !strings.Contains(body, app.csrf) {
		t.Error("the person's own browser lost its session")
	}
}

// TestRequireOwnKeys: with --require-own-keys the operator's keys are not
// used, nor claimed on the page; the simulator still runs; a person's key
// does.
func TestRequireOwnKeys(t *testing.T) {
	env := map[string]string{"APIMODELS_API_KEY": "sk-operator-apimodels-0000"}
	app := newTestAppWith(t, env, func(d *Deps) { d.Drafts.OwnKeysOnly = true })
	form := url.Values{"_provider": {"apimodels"}, "_model": {"gpt-5.4-pro"}, "prompt": {"hi"}}
	_, body := do(t, app, post("/runs", form))
	if !strings.Contains(body, "No API key for APIModels.") || !strings.Contains(body, "only on your own keys") {
		t.Errorf("a run on the operator's key: %.600s", body)
	}
	_, page := do(t, app, httptest.NewRequest("GET", "/?provider=apimodels&model=gpt-5.4-pro", nil))
	if strings.Contains(page, "set by the server's operator") || !strings.Contains(page, "only on your own keys") {
		t.Error("the page claims the operator's key")
	}
	_, body = do(t, app, post("/runs", url.Values{"_provider": {"sim"}, "_model": {"seed001.gpt-5.4"}, "messages.role": {"user"}, "messages.content": {"hi"}, "stream": {"true"}}))
	if !runIDRE.MatchString(body) {
		t.Errorf("the simulator does not run: %.600s", body)
	}
}

// TestChunkedBodiesAreLimitedToo: a body with no declared length is read
// through a counter that stops at its route's limit.
func TestChunkedBodiesAreLimitedToo(t *testing.T) {
	app := newTestApp(t, nil)
	chunked := func(path string, size int) *http.Request {
		body := "x=" + strings.Repeat("a", size)
		req := httptest.NewRequest("POST", path, io.NopCloser(io.MultiReader(strings.NewReader(body))))
		req.ContentLength, req.TransferEncoding = 0, []string{"chunked"}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		return req
	}
	if resp, body := do(t, app, chunked("/settings/keys/openai", SmallBody+10)); resp.StatusCode != 413 || !strings.Contains(body, "64 KB") {
		t.Errorf("a chunked body over the small limit: %d %.200s", resp.StatusCode, body)
	}
	if resp, body := do(t, app, chunked("/draft/preview", 4<<20+10)); resp.StatusCode != 413 || !strings.Contains(body, "4 MB") {
		t.Errorf("a chunked body over the large limit: %d %.200s", resp.StatusCode, body)
	}
	req := chunked("/draft/preview", 100)
	req.Body = io.NopCloser(strings.NewReader(url.Values{"_provider": {"sim"}, "_model": {"seed001.gpt-5.4"}, "messages.role": {"user"}, "messages.content": {"chunked hello"}}.Encode()))
	if resp, body := do(t, app, req); resp.StatusCode != 200 || !strings.Contains(body, "chunked hello") {
		t.Errorf("a chunked preview: %d %.300s", resp.StatusCode, body)
	}
}

// TestSessionChangedElsewhereIsNotWrittenBack: a request that began before
// another request of the same browser changed its keys must not write its
// older cookie back (the browser would then hold a refused copy and lose
// its session); two key changes from one cookie (a double click) leave the
// browser with the one that counts.
func TestSessionChangedElsewhereIsNotWrittenBack(t *testing.T) {
	dir := t.TempDir()
	keys, err := session.LoadKeys("", dir)
	if err != nil {
		t.Fatal(err)
	}
	hist, err := history.Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hist.Close() })
	store := session.NewStore(keys, session.Options{})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	app := NewApp(log, Server{BodyLimit: 1 << 20})
	app.Use(Sessions(store, session.NewEpochs(hist), log))
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	app.Get("/start", func(c *fiber.Ctx) error { ownerOf(c); return nil })
	app.Get("/slow", func(c *fiber.Ctx) error {
		started <- struct{}{}
		<-release
		sessionOf(c).Pick("picked-in-another-tab", "")
		return nil
	})
	app.Get("/key", func(c *fiber.Ctx) error {
		if c.Query("wait") != "" {
			started <- struct{}{}
			<-release
		}
		sessionOf(c).SetAccount(c.Query("v"))
		return nil
	})
	app.Get("/who", func(c *fiber.Ctx) error {
		return c.SendString(sessionOf(c).Owner() + "|" + sessionOf(c).Account())
	})
	get := func(path, cookie string) (string, string) {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Cookie", cookie)
		resp, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		return strings.Split(resp.Header.Get("Set-Cookie"), ";")[0], string(b)
	}
	c0, _ := get("/start", "")
	_, owner := get("/who", c0)
	slow := make(chan string, 1)
	go func() { sc, _ := get("/slow", c0); slow <- sc }()
	<-started
	c1, _ := get("/key?v=with-key", c0)
	if c1 == "" {
		t.Fatal("the key change wrote no cookie")
	}
	close(release)
	if sc := <-slow; sc != "" {
		t.Errorf("the request that began before the key change wrote its cookie back")
	}
	if _, who := get("/who", c1); who != strings.TrimSuffix(owner, "|")+"|with-key" {
		t.Errorf("after the key change the browser is %q", who)
	}
	// A double click: two key changes from the same cookie at once. The
	// one that ends second finds the epoch raised and does not write; the
	// first stands.
	release = make(chan struct{})
	second := make(chan string, 1)
	go func() { sc, body := get("/key?v=second&wait=1", c1); second <- sc + "|" + body }()
	<-started
	ca, _ := get("/key?v=first", c1)
	close(release)
	cb, body, _ := strings.Cut(<-second, "|")
	if !strings.Contains(body, "Your session changed in another tab") {
		t.Errorf("the change that lost the race was not refused: %.200s", body)
	}
	if ca == "" || cb != "" {
		t.Errorf("double change: first wrote %v, second wrote %v; want only the first", ca != "", cb != "")
	}
	if _, who := get("/who", ca); !strings.HasSuffix(who, "|first") {
		t.Errorf("after the double change the browser is %q", who)
	}
}

// TestBodyBudgetShares: the bytes of bodies being received are bounded in
// all and per client address, so one address's slow uploads leave room
// for the others.
func TestBodyBudgetShares(t *testing.T) {
	b := &bodyBudget{left: 100, share: 25, clients: map[string]int64{}}
	if !b.take("a", 20) || b.take("a", 10) {
		t.Fatal("one address got past its share")
	}
	for _, c := range []string{"b", "c", "d"} {
		if !b.take(c, 25) {
			t.Fatalf("address %s was refused its share", c)
		}
	}
	if b.take("e", 10) {
		t.Fatal("the budget was passed")
	}
	b.give("a", 20)
	if !b.take("e", 10) || len(b.clients) != 4 {
		t.Fatalf("after a give: clients %v", b.clients)
	}
	// A body larger than a share still gets in alone.
	big := &bodyBudget{left: 100, share: 25, clients: map[string]int64{}}
	if !big.take("a", 40) || big.take("a", 1) {
		t.Fatal("a body over the share")
	}
}

// TestChunkedPostWithoutTokenRefusedUnread: a chunked POST from a client
// with no session is refused before its body is read (before, the body
// was read whole first, holding the body budget for the read timeout).
func TestChunkedPostWithoutTokenRefusedUnread(t *testing.T) {
	app := newTestApp(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	defer app.Shutdown()
	conn, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// One chunk of a body that never ends.
	fmt.Fprintf(conn, "POST /runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n_provider=sim&x=\r\n")
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer while the body is still coming: %v", err)
	}
	if resp.StatusCode != 403 || !resp.Close {
		t.Errorf("status %d, close %v; want 403 and the connection closed", resp.StatusCode, resp.Close)
	}
}

// TestFreshSessionsShareTheAddressLimit is the red-team's 20 fresh
// sessions over HTTP: each gets a cookie and a token for free and stays
// within its own limits, yet one address runs no more than its ceiling.
func TestFreshSessionsShareTheAddressLimit(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(up.Close)
	app := newTestAppWith(t, map[string]string{"PLAYGROUND_SIM_URL": up.URL}, func(d *Deps) {
		m := run.NewManager(run.Config{Limits: run.Limits{AtOnce: 6, PerMinute: 30, ClientAtOnce: 12, ClientPerMinute: 1000}},
			upstream.New(upstream.DefaultConfig()), &tokens.Counter{})
		t.Cleanup(m.Close)
		d.Runs = m
	})
	form := url.Values{"_provider": {"sim"}, "_model": {"seed001.gpt-5.4"}, "messages.role": {"user"}, "messages.content": {"hi"}, "stream": {"true"}}
	started, refused := 0, 0
	for range 20 {
		s := app.newSession(t)
		for range 2 {
			_, body := do(t, s, post("/runs", form))
			switch {
			case runIDRE.MatchString(body):
				started++
			case strings.Contains(body, "Your network address has 12 runs going"):
				refused++
			default:
				t.Fatalf("neither a run nor the address limit: %.400s", body)
			}
		}
	}
	if started != 12 || refused != 28 {
		t.Errorf("20 fresh sessions, 2 runs each: %d started, %d refused; want 12 and 28", started, refused)
	}
}
