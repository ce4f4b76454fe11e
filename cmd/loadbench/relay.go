package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// The Go relay is the floor for a relay built on the playground's stack: a
// Fiber (fasthttp) server in front and, behind it, net/http's client as in
// the playground (or, with -go-relay-client fasthttp, fasthttp's client,
// which reads in the caller's goroutine). It forwards the simulator's
// stream byte for byte, each upstream read written to the client at once
// (as nginx does with proxy_buffering off), and does nothing else: no
// session, form, run, decoding, rendering or history. What it adds over
// direct is what the stack costs; what the playground adds over it is the
// playground's own work. loadbench starts itself with -go-relay to serve
// it.

// relayHeaders are the request headers the relay passes on.
var relayHeaders = []string{fiber.HeaderAuthorization, fiber.HeaderContentType, fiber.HeaderAccept}

// goRelay serves on addr, relaying every request to upstream with the
// named client ("net/http" or "fasthttp"), until ctx ends. It prints
// "listening on URL" as the other servers do.
func goRelay(ctx context.Context, addr, upstream, clientName string) error {
	app, err := relayApp(upstream, clientName)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Println("listening on http://" + ln.Addr().String())
	go func() {
		<-ctx.Done()
		_ = app.ShutdownWithTimeout(time.Second)
	}()
	return app.Listener(ln)
}

// relayApp is the Go relay's server, relaying to upstream with the named
// client.
func relayApp(upstream, clientName string) (*fiber.App, error) {
	var h fiber.Handler
	switch clientName {
	case "net/http":
		h = netHTTPRelay(upstream)
	case "fasthttp":
		h = fasthttpRelay(upstream)
	default:
		return nil, fmt.Errorf("-go-relay-client: %q is neither net/http nor fasthttp", clientName)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.All("/*", h)
	return app, nil
}

func netHTTPRelay(upstream string) fiber.Handler {
	client := &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 8192,
		IdleConnTimeout:     90 * time.Second,
	}}
	return func(c *fiber.Ctx) error {
		req, err := http.NewRequestWithContext(context.Background(), c.Method(), upstream+c.OriginalURL(), bytes.NewReader(c.Body()))
		if err != nil {
			return err
		}
		for _, name := range relayHeaders {
			if v := c.Get(name); v != "" {
				req.Header.Set(name, v)
			}
		}
		resp, err := client.Do(req)
		if err != nil {
			return fiber.NewError(http.StatusBadGateway, err.Error())
		}
		c.Status(resp.StatusCode)
		c.Set(fiber.HeaderContentType, resp.Header.Get(fiber.HeaderContentType))
		// fasthttp pulls the body: each Read is written and flushed as one
		// chunk, and the body is closed at the end.
		c.Context().SetBodyStream(resp.Body, -1)
		return nil
	}
}

func fasthttpRelay(upstream string) fiber.Handler {
	client := &fasthttp.Client{StreamResponseBody: true, MaxConnsPerHost: 8192, MaxIdleConnDuration: 90 * time.Second}
	return func(c *fiber.Ctx) error {
		req := fasthttp.AcquireRequest()
		defer fasthttp.ReleaseRequest(req)
		req.SetRequestURI(upstream + c.OriginalURL())
		req.Header.SetMethod(c.Method())
		req.SetBody(c.Body())
		for _, name := range relayHeaders {
			if v := c.Get(name); v != "" {
				req.Header.Set(name, v)
			}
		}
		resp := fasthttp.AcquireResponse()
		if err := client.Do(req, resp); err != nil {
			fasthttp.ReleaseResponse(resp)
			return fiber.NewError(http.StatusBadGateway, err.Error())
		}
		c.Status(resp.StatusCode())
		c.Set(fiber.HeaderContentType, string(resp.Header.ContentType()))
		c.Context().SetBodyStream(&streamedBody{resp: resp, r: resp.BodyStream()}, -1)
		return nil
	}
}

// streamedBody hands fasthttp's client response body to the server and
// releases the response (and its connection) when the server closes it.
// The simulator's streams are always read to their end here, so the
// connection goes back to the pool clean.
type streamedBody struct {
	resp *fasthttp.Response
	r    io.Reader
}

func (b *streamedBody) Read(p []byte) (int, error) { return b.r.Read(p) }

func (b *streamedBody) Close() error {
	err := b.resp.CloseBodyStream()
	fasthttp.ReleaseResponse(b.resp)
	return err
}

// startGoRelay starts the Go relay in front of sim.
func (b *bench) startGoRelay(ctx context.Context, sim string) (*proc, error) {
	return start(ctx, b.bins["loadbench"], []string{"-go-relay", "127.0.0.1:0", "-upstream", sim, "-go-relay-client", b.relayClient}, nil)
}
