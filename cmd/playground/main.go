// Command playground serves the browser playground for OpenAI-compatible
// APIs. Run it with no configuration: go run ./cmd/playground
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/handlers"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/draft"
	runmgr "github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/session"
	"github.com/playground-dev/playground/web/tokens"
	"github.com/playground-dev/playground/web/upstream"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, errHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "playground:", err)
		os.Exit(1)
	}
}

// run wires the playground and serves until ctx is done. It prints
// "playground listening on http://ADDR" once the server accepts requests.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := LoadConfig(args, getenv, stdout)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))

	cat, err := catalog.Load(cfg.Catalog)
	if err != nil {
		return err
	}
	tok := &tokens.Counter{}
	keys, err := session.LoadKeys(cfg.SessionKeys, cfg.DataDir)
	if err != nil {
		return err
	}
	runs := runmgr.NewManager(runmgr.DefaultConfig(), upstream.New(upstream.Config{
		ConnectTimeout: cfg.ConnectTimeout, FirstByteTimeout: cfg.FirstByteTimeout, IdleTimeout: cfg.IdleTimeout,
	}), tok)
	defer runs.Close()
	deps := handlers.Deps{
		Log:      log,
		Catalog:  cat,
		Drafts:   &draft.Service{Catalog: cat, Getenv: getenv, Tokens: tok},
		Runs:     runs,
		Sessions: session.NewStore(keys, session.Options{Secure: cfg.SecureCookie}),
	}
	app := fiber.New(fiber.Config{
		AppName:               "playground",
		DisableStartupMessage: true,
		ErrorHandler:          handlers.ErrorHandler(log),
		BodyLimit:             cfg.BodyLimit,
		ReadTimeout:           cfg.ReadTimeout,
		IdleTimeout:           2 * time.Minute,
	})
	handlers.Register(app, deps)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	fmt.Fprintf(stdout, "playground listening on http://%s\n", ln.Addr())
	log.Info("started", "addr", ln.Addr().String(), "providers", len(cat.Providers), "models", len(cat.Models), "data_dir", cfg.DataDir)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	runs.Close() // ends the runs and the browsers' event streams
	if err := app.ShutdownWithTimeout(10 * time.Second); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
