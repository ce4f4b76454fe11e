// Package upstream sends built requests to providers: timeouts for
// connecting, for the first byte and between events; fallback base URLs;
// and upstream errors turned into clear messages. It is the only package
// that puts an API key on a request.
package upstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/playground-dev/playground/web/netguard"
	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/stream"
	"github.com/playground-dev/playground/web/units"
)

// Config sets the timeouts. Reasoning models can think for minutes before
// their first byte (when not streaming) and between events, hence the
// generous defaults.
type Config struct {
	ConnectTimeout   time.Duration
	FirstByteTimeout time.Duration
	IdleTimeout      time.Duration
	// Dialer, when set, replaces the default dialer (tests).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Guard, when set, vets every address the client is about to connect
	// to, after DNS resolution (net.Dialer.Control). A guarded client
	// connects directly, ignoring HTTP(S)_PROXY, since the guard could not
	// see where a proxy connects.
	Guard func(network, address string, c syscall.RawConn) error
	// MaxDecompressed bounds a compressed answer once decompressed (Go's
	// transport decompresses gzip transparently, so a few hundred KB on
	// the wire can become gigabytes); 0 means DefaultMaxDecompressed.
	MaxDecompressed int64
}

// DefaultMaxDecompressed is the default of Config.MaxDecompressed.
const DefaultMaxDecompressed = 32 << 20

// DefaultConfig: 10 s to connect, 5 min to the first byte, 5 min between
// two reads of a stream, 32 MB of decompressed answer.
func DefaultConfig() Config {
	return Config{ConnectTimeout: 10 * time.Second, FirstByteTimeout: 5 * time.Minute, IdleTimeout: 5 * time.Minute, MaxDecompressed: DefaultMaxDecompressed}
}

// Client sends requests.
type Client struct {
	http *http.Client
	cfg  Config
}

// New returns a client.
func New(cfg Config) *Client {
	dialer := &net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second, Control: cfg.Guard}
	dial := cfg.DialContext
	if dial == nil {
		dial = dialer.DialContext
	}
	proxy := http.ProxyFromEnvironment
	if cfg.Guard != nil {
		proxy = nil
	}
	tr := &http.Transport{
		Proxy:                 proxy,
		DialContext:           dial,
		TLSHandshakeTimeout:   cfg.ConnectTimeout,
		ResponseHeaderTimeout: cfg.FirstByteTimeout,
		MaxIdleConnsPerHost:   64,
		// Go's default is 10 MB of headers per answer, all of it kept
		// for the inspector; real providers send a few KB.
		MaxResponseHeaderBytes: MaxResponseHeader,
		IdleConnTimeout:        90 * time.Second,
		ForceAttemptHTTP2:      true,
	}
	if cfg.MaxDecompressed <= 0 {
		cfg.MaxDecompressed = DefaultMaxDecompressed
	}
	return &Client{http: &http.Client{Transport: tr, CheckRedirect: checkRedirect}, cfg: cfg}
}

// MaxResponseHeader bounds the response headers of one answer.
const MaxResponseHeader = 256 << 10

// maxRedirects is how many redirects one request may follow (Go's default).
const maxRedirects = 10

// RedirectError is a redirect the client refused to follow.
type RedirectError struct {
	// Target is the refused Location (resolved, without userinfo).
	Target string
	// Why is "another origin", "from https to http" or "too many redirects".
	Why string
}

func (e *RedirectError) Error() string {
	if e.Why == "too many redirects" {
		return fmt.Sprintf("the provider redirected more than %d times (last to %s); the playground stopped there", maxRedirects, e.Target)
	}
	return "the provider redirected to " + e.Target + " (" + e.Why + "); the playground does not follow redirects that would carry your key elsewhere"
}

// checkRedirect follows a redirect only within the origin of the first
// request (same scheme, host and port; a gateway moving a path is
// common), or from http to https on the same host with the default port.
// Anything else would send the key, and the body, to a server the
// provider's base URL does not name: another port of the same host, the
// operator's network, or plain http. The guarded client's dial check
// still applies to every hop it does follow.
func checkRedirect(req *http.Request, via []*http.Request) error {
	target := redactedURL(req.URL)
	if len(via) >= maxRedirects {
		return &RedirectError{Target: target, Why: "too many redirects"}
	}
	from, prev, to := via[0].URL, via[len(via)-1].URL, req.URL
	switch {
	case prev.Scheme == "https" && to.Scheme != "https":
		return &RedirectError{Target: target, Why: "from https to " + to.Scheme}
	case sameOrigin(from, to):
		return nil
	case from.Scheme == "http" && to.Scheme == "https" && strings.EqualFold(from.Hostname(), to.Hostname()) && port(to) == "443":
		return nil
	}
	return &RedirectError{Target: target, Why: "another origin"}
}

// sameOrigin compares scheme, host and port (a missing port is the
// scheme's default).
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// redactedURL is u for a message: no userinfo, no query, at most 200
// characters.
func redactedURL(u *url.URL) string {
	v := *u
	v.User, v.RawQuery, v.ForceQuery, v.Fragment, v.RawFragment = nil, "", false, "", ""
	s := v.String()
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// Response is an upstream answer.
type Response struct {
	// URL is the request URL that answered (after any fallback).
	URL    string
	Status int
	Header http.Header
	// Body is closed by the caller; reads fail after IdleTimeout without data.
	Body io.ReadCloser
	// TTFB is the time from sending to the response headers.
	TTFB time.Duration
	// Tried lists the base URLs that failed before this one, with why.
	Tried []string
}

// Send sends r to the first base URL that answers, trying the next one
// when a URL cannot be reached or answers 5xx (before any byte of a body is
// used). The key goes into the Authorization header only.
func (c *Client) Send(ctx context.Context, r *request.Request, baseURLs []string, key string) (*Response, error) {
	if len(baseURLs) == 0 {
		return nil, &stream.Error{Message: "no base URL is configured", Hint: "Set " + r.BaseURLEnv + " in the server's environment."}
	}
	var tried []string
	var lastErr error
	for i, base := range baseURLs {
		hr, err := NewHTTPRequest(ctx, r, base, key)
		if err != nil {
			return nil, err
		}
		resp, err := c.do(ctx, hr)
		last := i == len(baseURLs)-1
		if err != nil {
			lastErr = err
			tried = append(tried, base+": "+err.Error())
			if ctx.Err() != nil {
				return nil, err
			}
			continue
		}
		if resp.Status >= 500 && !last {
			tried = append(tried, fmt.Sprintf("%s: HTTP %d", base, resp.Status))
			resp.Body.Close()
			continue
		}
		resp.Tried = tried
		return resp, nil
	}
	return nil, lastErr
}

// Get sends a GET (background responses: poll or resume) to url.
func (c *Client) Get(ctx context.Context, rawURL, key string, stream bool) (*Response, error) {
	return c.GetWith(ctx, rawURL, key, stream, nil)
}

// GetWith is Get with a provider's extra headers (a model list of a
// header-routed gateway); they never replace Authorization or Accept.
func (c *Client) GetWith(ctx context.Context, rawURL, key string, stream bool, extra http.Header) (*Response, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("upstream: %w", err)
	}
	for k, v := range extra {
		hr.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), v...)
	}
	if key != "" {
		hr.Header.Set("Authorization", "Bearer "+key)
	}
	if stream {
		hr.Header.Set("Accept", "text/event-stream")
	}
	return c.do(ctx, hr)
}

// PostWith sends a POST with an empty JSON body (background responses:
// cancel), with a provider's extra headers (request.Request.ProviderHeaders).
func (c *Client) PostWith(ctx context.Context, rawURL, key string, extra http.Header) (*Response, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, strings.NewReader("{}"))
	if err != nil {
		return nil, fmt.Errorf("upstream: %w", err)
	}
	for k, v := range extra {
		hr.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), v...)
	}
	hr.Header.Set("Content-Type", "application/json")
	if key != "" {
		hr.Header.Set("Authorization", "Bearer "+key)
	}
	return c.do(ctx, hr)
}

func (c *Client) do(ctx context.Context, hr *http.Request) (*Response, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	hr = hr.WithContext(ctx)
	start := time.Now()
	resp, err := c.http.Do(hr)
	if err != nil {
		cancel(nil)
		return nil, describe(hr.URL, err, c.cfg)
	}
	rc := resp.Body
	if resp.Uncompressed {
		rc = &decodedLimit{rc: rc, left: c.cfg.MaxDecompressed, max: c.cfg.MaxDecompressed}
	}
	body := &idleBody{rc: rc, cancel: cancel, idle: c.cfg.IdleTimeout}
	if body.idle > 0 {
		body.timer = time.AfterFunc(body.idle, func() { cancel(ErrIdleTimeout) })
	}
	body.ctx = ctx
	return &Response{
		URL:    hr.URL.String(),
		Status: resp.StatusCode,
		Header: resp.Header,
		Body:   body,
		TTFB:   time.Since(start),
	}, nil
}

// decodedLimit fails a transparently decompressed body that grows past
// max bytes: the wire size says nothing about what a gzip stream becomes.
type decodedLimit struct {
	rc        io.ReadCloser
	left, max int64
}

func (d *decodedLimit) Read(p []byte) (int, error) {
	if d.left <= 0 {
		return 0, &stream.Error{Code: "too_large", Message: "the answer exceeded " + units.Bytes(d.max) + " once decompressed",
			Hint: "The provider compressed far more than an answer holds; the partial output is kept. The operator can raise --decompressed-limit."}
	}
	if int64(len(p)) > d.left {
		p = p[:d.left]
	}
	n, err := d.rc.Read(p)
	d.left -= int64(n)
	return n, err
}

func (d *decodedLimit) Close() error { return d.rc.Close() }

// ErrIdleTimeout is the cause when a stream sent nothing for IdleTimeout.
var ErrIdleTimeout = errors.New("the provider sent nothing for too long")

// idleBody cancels the request when no read succeeds for idle.
type idleBody struct {
	rc     io.ReadCloser
	ctx    context.Context
	cancel context.CancelCauseFunc
	idle   time.Duration
	mu     sync.Mutex
	timer  *time.Timer
	// drain gets what Close reads of the rest of the body (io.Discard
	// unless DrainTo says otherwise).
	drain io.Writer
}

// DrainTo makes Close write what it reads of the rest of the body to w: a
// run's transcript keeps the bytes that follow the terminal event.
func (b *idleBody) DrainTo(w io.Writer) { b.drain = w }

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 && b.timer != nil {
		b.timer.Reset(b.idle)
	}
	if err != nil && err != io.EOF {
		cause := context.Cause(b.ctx)
		var aborted *stream.Error
		switch {
		case errors.Is(cause, ErrIdleTimeout):
			return n, &stream.Error{Message: fmt.Sprintf("the provider sent nothing for %s", b.idle),
				Code: "idle_timeout", Hint: "The stream stalled; the partial output is kept. Try again, or raise --idle-timeout."}
		case errors.As(cause, &aborted):
			return n, aborted
		}
	}
	return n, err
}

// Abort ends the request of b now: reads fail with why (the run's own
// idle rule, which counts only events, not keep-alives).
func (b *idleBody) Abort(why *stream.Error) { b.cancel(why) }

// Close reads what is left of the body, up to maxDrain bytes and for at
// most drainWait, before closing it: a stream's last chunk usually follows
// its end event at once, and a body read to its end leaves the connection
// (and its TLS session) to the next run instead of closing it.
func (b *idleBody) Close() error {
	if b.timer != nil {
		b.timer.Stop()
	}
	if b.ctx.Err() == nil {
		stop := time.AfterFunc(drainWait, func() { b.cancel(nil) })
		w := b.drain
		if w == nil {
			w = io.Discard
		}
		buf := drainBufs.Get().(*[]byte)
		_, _ = io.CopyBuffer(w, io.LimitReader(b.rc, maxDrain), *buf)
		drainBufs.Put(buf)
		stop.Stop()
	}
	err := b.rc.Close()
	b.cancel(nil)
	return err
}

const (
	maxDrain  = 64 << 10
	drainWait = 50 * time.Millisecond
)

// drainBufs are the buffers a close drains a body's rest through: what
// follows the last event is a few bytes, and io.Copy would make 32 KB for
// each run.
var drainBufs = sync.Pool{New: func() any { b := make([]byte, 2<<10); return &b }}

// describe turns a transport error into a clear message. It names the
// host that failed: after a redirect, the target, not the first host.
func describe(u *url.URL, err error, cfg Config) error {
	host := u.Host
	var ue *url.Error
	if errors.As(err, &ue) {
		if hop, perr := url.Parse(ue.URL); perr == nil && hop.Host != "" {
			host = hop.Host
		}
	}
	var ne net.Error
	var dnsErr *net.DNSError
	var forbidden *netguard.Error
	var redirect *RedirectError
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case errors.As(err, &redirect):
		return &stream.Error{Code: "redirect_refused", Message: redirect.Error(),
			Hint: "If that address is the provider's real one, use it as the base URL (for the server's own providers, the operator sets it)."}
	case errors.As(err, &forbidden):
		return &stream.Error{Code: "forbidden_address", Message: "refused to connect to " + host + ": " + forbidden.Error(),
			Hint: "Providers you add may not reach loopback, private, link-local or cloud metadata addresses. The operator can allow them with --allow-private-upstreams."}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &stream.Error{Code: "connection_refused", Message: "could not connect to " + host + ": connection refused",
			Hint: "Is the provider's server running at that address? Check the base URL."}
	case errors.As(err, &dnsErr):
		return &stream.Error{Code: "dns", Message: "could not resolve " + dnsErr.Name,
			Hint: "Check the base URL and the server's network."}
	case strings.Contains(err.Error(), "server response headers exceeded"):
		return &stream.Error{Code: "too_large", Message: fmt.Sprintf("the answer's headers from %s exceeded %s", host, units.Bytes(MaxResponseHeader)),
			Hint: "The provider sent far more headers than an API answer has. Check the base URL."}
	case strings.Contains(err.Error(), "timeout awaiting response headers"):
		return &stream.Error{Code: "first_byte_timeout", Message: fmt.Sprintf("%s did not answer within %s", host, cfg.FirstByteTimeout),
			Hint: "Slow models may need a longer --first-byte-timeout."}
	case errors.As(err, &ne) && ne.Timeout():
		return &stream.Error{Code: "connect_timeout", Message: fmt.Sprintf("could not connect to %s within %s", host, cfg.ConnectTimeout),
			Hint: "Check the base URL and the server's network."}
	}
	var se *stream.Error
	if errors.As(err, &se) {
		return se
	}
	return &stream.Error{Code: "network", Message: "could not reach " + host + ": " + unwrapURLError(err)}
}

func unwrapURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// NewHTTPRequest turns r into an *http.Request for baseURL with the key in
// the Authorization header.
func NewHTTPRequest(ctx context.Context, r *request.Request, baseURL, key string) (*http.Request, error) {
	if baseURL == "" {
		return nil, &stream.Error{Message: "no base URL is configured", Hint: "Set " + r.BaseURLEnv + " in the server's environment."}
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, baseURL+r.Path, bytes.NewReader(r.Body))
	if err != nil {
		return nil, fmt.Errorf("upstream: %w", err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for _, h := range r.Header {
		if v := r.HeaderValue(h); v != "" || !h.Secret {
			req.Header.Set(h.Name, v)
		}
	}
	return req, nil
}

// MaxErrorBody bounds how much of an error body is read.
const MaxErrorBody = 64 << 10

// ErrorFromResponse reads a non-200 answer into an Error with a hint for
// the person: what the status means and what to do. keyHint (a sentence)
// says where the key comes from and how to change it.
func ErrorFromResponse(resp *Response, keyHint, model string) *stream.Error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBody))
	e := parseErrorBody(body)
	e.Status = resp.Status
	if e.Message == "" {
		e.Message = strings.TrimSpace(string(body))
		if len(e.Message) > 300 {
			e.Message = e.Message[:300] + "…"
		}
	}
	switch resp.Status {
	case 400, 422:
		e.Hint = "The provider rejected the request."
		if e.Param != "" {
			e.Hint += " Check the field " + e.Param + "."
		}
	case 401:
		e.Hint = "The API key is missing or wrong. " + keyHint
	case 402:
		e.Hint = "Out of credits: top up your balance with the provider."
	case 403:
		e.Hint = "The provider refused this request (region, permissions or moderation)."
	case 404:
		e.Hint = "Model not found: the provider does not know " + strconv.Quote(model) + ", or the base URL is wrong."
	case 408, 504:
		e.Hint = "The provider timed out. Try again."
	case 429:
		if e.Code == "insufficient_quota" || e.Type == "insufficient_quota" {
			e.Hint = "Quota exhausted: check your plan and billing; retrying will not help."
		} else {
			e.Hint = "Rate limited: wait before running again."
		}
		setRetryAfter(e, resp.Header)
	case 503:
		e.Hint = "The provider is overloaded or has no capacity. Try again shortly."
		setRetryAfter(e, resp.Header)
	default:
		if resp.Status >= 500 {
			e.Hint = "The provider failed. Try again; if it persists, check the provider's status."
		}
	}
	return e
}

func parseErrorBody(body []byte) *stream.Error {
	var e *stream.Error
	res := stream.NewResult()
	if err := stream.DecodeJSON("", body, res.Apply); err == nil && res.Err != nil {
		e = res.Err
	}
	if e == nil {
		e = &stream.Error{}
	}
	return e
}

// MaxRetryAfter is the longest wait a Retry-After header is shown as;
// past it the person reads that the provider asks for more than an hour.
const MaxRetryAfter = time.Hour

// retryAfter reads retry-after-ms, then Retry-After (seconds or an HTTP
// date). A value that is garbage, negative, in the past or not finite is
// no advice (0); one past MaxRetryAfter gives tooLong instead of a wait.
func retryAfter(h http.Header) (d time.Duration, tooLong bool) {
	if ms, err := strconv.ParseFloat(strings.TrimSpace(h.Get("Retry-After-Ms")), 64); err == nil && ms > 0 && !math.IsInf(ms, 0) {
		if ms > float64(MaxRetryAfter/time.Millisecond) {
			return 0, true
		}
		return time.Duration(ms * float64(time.Millisecond)), false
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		switch {
		case s <= 0:
			return 0, false
		case s > int64(MaxRetryAfter/time.Second):
			return 0, true
		}
		return time.Duration(s) * time.Second, false
	}
	if t, err := http.ParseTime(v); err == nil {
		d := time.Until(t)
		switch {
		case d <= 0:
			return 0, false
		case d > MaxRetryAfter:
			return 0, true
		}
		return d.Round(time.Second), false
	}
	return 0, false
}

// setRetryAfter puts the provider's advice on e: a wait the page counts
// down, or a sentence when the wait is too long to count.
func setRetryAfter(e *stream.Error, h http.Header) {
	d, tooLong := retryAfter(h)
	e.RetryAfter = d
	if tooLong {
		e.Hint += " The provider asks to wait more than an hour."
	}
}
