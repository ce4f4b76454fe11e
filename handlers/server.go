package handlers

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/session"
)

// HeaderBuffer is the most the server reads of a request's line and
// headers (fasthttp's read buffer; Fiber's default is 4 KB). It leaves
// room beside the session cookie (at most session.MaxCookie) for the other
// cookies a browser sends to the same host: localhost cookies are shared
// by every port.
const HeaderBuffer = 16 << 10

// SmallBody is the largest body of a request that is not a run, a preview
// or a compare form: settings, history actions, stop. Anything larger is
// refused before it is read.
const SmallBody = 64 << 10

// Server are the limits of the HTTP server itself, in front of every
// route.
type Server struct {
	// BodyLimit is the largest body of a run, preview or compare form.
	BodyLimit int
	// BodyBudget is the most bytes of request bodies the server receives
	// at once, over all connections (0: BodyLimit × 16).
	BodyBudget int64
	// ReadTimeout bounds reading one request, body included.
	ReadTimeout time.Duration
	// MaxConns bounds all connections (0: fasthttp's 256K).
	MaxConns int
	// TrustedProxies are the proxies whose X-Forwarded-* headers are
	// believed.
	TrustedProxies []string
}

// NewApp makes the Fiber app with the server's limits: request bodies are
// streamed, not buffered to their declared length before any route sees
// them (a declared 20 MB pinned 32 MiB per connection), strings handed to
// handlers are copies (Immutable: a string over fasthttp's reused buffer
// once served one browser another's session), and errors go through the
// one error handler.
func NewApp(log *slog.Logger, s Server) *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:               "playground",
		DisableStartupMessage: true,
		ErrorHandler:          ErrorHandler(log, s.BodyLimit),
		BodyLimit:             s.BodyLimit,
		StreamRequestBody:     true,
		// No route takes multipart forms; fasthttp would otherwise read
		// one whole, to temporary files, before routing.
		DisablePreParseMultipartForm: true,
		Immutable:                    true,
		ReadBufferSize:               HeaderBuffer,
		ReadTimeout:                  s.ReadTimeout,
		Concurrency:                  s.MaxConns,
		// Only the configured proxies' X-Forwarded-* headers are believed.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          s.TrustedProxies,
		IdleTimeout:             2 * time.Minute,
	})
	return app
}

// isLargeBody reports whether a request may carry up to the body limit:
// runs, previews and compare forms, which carry whole prompts and images.
func isLargeBody(method, path string) bool {
	if method != fiber.MethodPost {
		return false
	}
	switch {
	case path == "/runs", path == "/draft/switch", path == "/draft/preview":
		return true
	case strings.HasPrefix(path, "/runs/") && strings.HasSuffix(path, "/continue"):
		return true
	case strings.HasPrefix(path, "/compare/"):
		return true
	}
	return false
}

// BodyLimits refuses a body over its route's limit before anything reads
// it, and keeps the bodies being received within budget bytes: a request
// declaring a large body reserves its length (a chunked one, the limit)
// until it is answered, and past the budget, or past a quarter of it for
// one client address, is answered 503 at once. fasthttp
// (StreamRequestBody) has read at most 8 KB of the body by then (what its
// read buffer already holds).
func BodyLimits(large int, budget int64) fiber.Handler {
	if large <= 0 {
		large = 20 << 20
	}
	if budget <= 0 {
		budget = int64(large) * 16
	}
	b := &bodyBudget{left: budget, share: budget / 4, clients: map[string]int64{}}
	return func(c *fiber.Ctx) error {
		limit := SmallBody
		if isLargeBody(c.Method(), c.Path()) {
			limit = large
		}
		n := c.Request().Header.ContentLength() // -1 chunked, -2 none
		if n > limit {
			c.Context().SetConnectionClose() // the rest of the body is not read
			return problem.BodyTooLarge(int64(limit))
		}
		chunked := n == -1
		if chunked {
			n = limit
		}
		// Small bodies are bounded by the connections; large ones by the
		// budget too.
		if n > SmallBody {
			client := clientAddr(c)
			if !b.take(client, int64(n)) {
				c.Context().SetConnectionClose()
				c.Set(fiber.HeaderRetryAfter, "5")
				return fiber.NewError(fiber.StatusServiceUnavailable, "The server is receiving too many large requests at once. Try again in a few seconds; the form is as you left it.")
			}
			defer b.give(client, int64(n))
		}
		if chunked {
			// A chunked body's length is only known once read: read it
			// here, at most limit+1 bytes.
			if err := readLimited(c, limit); err != nil {
				return err
			}
		}
		return c.Next()
	}
}

// readLimited reads a streamed body of unknown length into the request,
// refusing it past limit bytes.
func readLimited(c *fiber.Ctx, limit int) error {
	stream := c.Context().RequestBodyStream()
	if stream == nil {
		return nil
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(stream, int64(limit)+1))
	switch {
	case err != nil:
		c.Context().SetConnectionClose()
		return fiber.NewError(fiber.StatusBadRequest, "The request's body could not be read.")
	case n > int64(limit):
		c.Context().SetConnectionClose()
		return problem.BodyTooLarge(int64(limit))
	}
	c.Request().SetBodyRaw(buf.Bytes())
	return nil
}

// bodyBudget is a count of bytes that may still be reserved, over all
// clients and for each: one client address may hold at most a quarter of
// it, so a few slow uploads from one address cannot lock everyone out.
type bodyBudget struct {
	mu      sync.Mutex
	left    int64
	share   int64
	clients map[string]int64
}

func (b *bodyBudget) take(client string, n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > b.left || b.clients[client]+n > max(b.share, n) {
		return false
	}
	b.left -= n
	b.clients[client] += n
	return true
}

func (b *bodyBudget) give(client string, n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.left += n
	if b.clients[client] -= n; b.clients[client] <= 0 {
		delete(b.clients, client)
	}
}

// Hosts refuses requests whose Host is not one the playground serves, so
// that a page on another site cannot reach it by DNS rebinding (its
// requests carry its own name). allowed are host names (".example.com"
// also allows its subdomains); anyHost allows every host. An IP literal is
// always allowed (no DNS, nothing to rebind), and so are localhost and
// its subdomains, which resolve to loopback by definition.
func Hosts(anyHost bool, allowed []string) fiber.Handler {
	if anyHost {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	return func(c *fiber.Ctx) error {
		host := hostName(c.Hostname())
		// Static files hold nothing to steal: the refusal page is styled.
		if hostAllowed(host, allowed) || strings.HasPrefix(c.Path(), "/static/") {
			return c.Next()
		}
		return fiber.NewError(fiber.StatusMisdirectedRequest, "This playground does not answer for the host name "+strings.ToValidUTF8(host, "?")+
			". It answers only for the names its operator allowed (--allowed-hosts; on loopback, localhost and IP addresses), so that another web site cannot reach it through DNS rebinding.")
	}
}

// hostName is a Host header's name: no port, lower case, no final dot.
func hostName(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(host, "]"), "["), "]")
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

func hostAllowed(host string, allowed []string) bool {
	if host == "" {
		return false
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	for _, a := range allowed {
		a = strings.TrimSuffix(strings.ToLower(a), ".")
		if host == a || (strings.HasPrefix(a, ".") && (strings.HasSuffix(host, a) || host == a[1:])) {
			return true
		}
	}
	return false
}

// clearSessionCookie is a Set-Cookie that removes the session cookie.
func clearSessionCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: session.CookieName, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0), HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
}

// clientAddr is the address the limits per client count by: the peer's,
// or behind a trusted proxy the last address its X-Forwarded-For names
// (the one the proxy saw; those before it are the client's own word).
// IPv6 addresses count by their /64, which one client usually holds whole.
func clientAddr(c *fiber.Ctx) string {
	ip := c.Context().RemoteIP().String()
	if c.IsProxyTrusted() {
		if xff := c.Get(fiber.HeaderXForwardedFor); xff != "" {
			last := xff[strings.LastIndexByte(xff, ',')+1:]
			if _, err := netip.ParseAddr(strings.TrimSpace(last)); err == nil {
				ip = strings.TrimSpace(last)
			}
		}
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
