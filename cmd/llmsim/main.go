// Command llmsim serves the playground's provider simulator on its own, for
// benchmarks and curl:
//
//	go run ./cmd/llmsim --addr 127.0.0.1:8081 --tps 0
//	curl -N http://127.0.0.1:8081/chatgw/v1/chat/completions -H 'Authorization: Bearer x' \
//	  -d '{"model":"gpt-5.4","stream":true,"messages":[{"role":"user","content":"Tell me about the sea"}]}'
//
// It serves every simulated model of the default catalog under its seed's
// path layout (see README).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/sim"
	"github.com/playground-dev/playground/web/tokens"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "llmsim:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("llmsim", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:8081", "listen address")
	ttft := fs.Duration("ttft", 400*time.Millisecond, "time to first token")
	tps := fs.Float64("tps", 50, "tokens per second (0: no delay at all)")
	catPath := fs.String("catalog", "", "extra catalog file, as for the playground")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cat, err := catalog.Load(*catPath)
	if err != nil {
		return err
	}
	cfg := sim.Config{TTFT: *ttft, TokensPerSec: *tps, ZeroDelay: *tps == 0}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sim.New(cfg, sim.ModelsFromCatalog(cat), &tokens.Counter{}), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "llmsim listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
