// Command screenshots takes the pictures in docs/screenshots from the
// playground itself, running on its built-in simulator (no network, no
// key): the playground mid-run, a finished comparison with its chart, a
// conversation with a tool call, a phone-width page and the dark theme.
//
//	go run ./cmd/screenshots            # writes docs/screenshots/*.png
//	go run ./cmd/screenshots -out /tmp  # elsewhere
//
// It builds ./cmd/playground, starts it on a free loopback port with a
// throwaway data directory, and drives Debian's Chromium (-chromium, or
// $CHROMIUM) with chromedp. Run it from the repository's root.
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
	"os/exec"
	"path/filepath"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("screenshots", flag.ContinueOnError)
	out := fs.String("out", filepath.Join("docs", "screenshots"), "directory to write the PNGs to")
	chromium := fs.String("chromium", envOr("CHROMIUM", "/usr/bin/chromium"), "the Chromium binary")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "playground-shots-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	base, stop, err := startPlayground(ctx, tmp, stderr)
	if err != nil {
		return err
	}
	defer stop()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(*chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(filepath.Join(tmp, "profile")), chromedp.WindowSize(1440, 900))
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	bctx, cancelT := context.WithTimeout(bctx, 3*time.Minute)
	defer cancelT()

	for _, s := range shots(base) {
		var png []byte
		tasks := chromedp.Tasks{
			chromedp.EmulateViewport(s.width, s.height),
			emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: s.scheme()}}),
		}
		tasks = append(tasks, s.steps...)
		tasks = append(tasks, chromedp.Sleep(300*time.Millisecond), chromedp.CaptureScreenshot(&png))
		if err := chromedp.Run(bctx, tasks); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		file := filepath.Join(*out, s.name+".png")
		if err := os.WriteFile(file, png, 0o644); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "wrote", file)
	}
	return nil
}

// shot is one picture: a viewport, a theme and what to do before it.
type shot struct {
	name          string
	width, height int64
	dark          bool
	steps         []chromedp.Action
}

func (s shot) scheme() string {
	if s.dark {
		return "dark"
	}
	return "light"
}

func shots(base string) []shot {
	// A run on the gateway's reasoning model, caught while it answers.
	midRun := []chromedp.Action{
		chromedp.Navigate(base + "/?provider=sim&model=seed002.deepseek-v4-pro"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		setValue(`select[name="reasoning_effort"]`, "low"),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		chromedp.Poll(`document.querySelector('[data-testid="run-progress"]') && document.querySelector('[data-testid="run-progress"]').getAttribute('data-phase') === 'answering'`,
			nil, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Sleep(1500 * time.Millisecond),
	}
	done := []chromedp.Action{
		chromedp.Navigate(base + "/?provider=sim&model=openai.gpt-4o-mini"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="run"] [data-testid="timeline"]`, chromedp.ByQuery),
		chromedp.Evaluate(`window.scrollTo(0, 0)`, nil),
	}
	compare := []chromedp.Action{
		chromedp.Navigate(base + "/compare"),
		chromedp.WaitVisible(`[data-testid="run-all"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="run-all"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="compare-chart"] [data-testid="timeline"]`, chromedp.ByQuery),
		chromedp.ScrollIntoView(`[data-testid="compare-runs"]`, chromedp.ByQuery),
	}
	tool := []chromedp.Action{
		chromedp.Navigate(base + "/?provider=sim&model=seed002.gpt-5.4"),
		chromedp.WaitVisible(`[data-testid="run-button"]`, chromedp.ByQuery),
		setValue(`textarea[name="messages.content"]`, "What is the weather in Paris? Use the tool."),
		chromedp.Evaluate(`document.querySelector('[data-testid="advanced"]').open = true`, nil),
		chromedp.Click(`[data-testid="add-tools"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`input[name="tools.name"]`, chromedp.ByQuery),
		setValue(`input[name="tools.name"]`, "get_weather"),
		setValue(`input[name="tools.description"]`, "The weather in a city"),
		setValue(`textarea[name="tools.parameters"]`, `{"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}`),
		chromedp.Sleep(600 * time.Millisecond),
		chromedp.Click(`[data-testid="run-button"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="tool-call"]`, chromedp.ByQuery),
		chromedp.Poll(`document.querySelector('[data-testid="run-state"]').textContent === 'completed'`, nil, chromedp.WithPollingTimeout(30*time.Second)),
		// The result goes back: the transcript holds the call, its result
		// and the answer that follows.
		setValue(`[data-testid="tool-result"]`, `{"temp_c": 18, "sky": "clear"}`),
		chromedp.Click(`[data-testid="send-results"]`, chromedp.ByQuery),
		chromedp.Poll(`(() => { const s = document.querySelector('[data-testid="run-state"]'); return s && s.textContent === 'completed' &&
			document.querySelectorAll('[data-testid="tool-call"]').length === 0; })()`, nil, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Evaluate(`window.scrollTo(0, 0)`, nil),
	}
	return []shot{
		{name: "playground-mid-run", width: 1440, height: 900, steps: midRun},
		{name: "compare-done", width: 1440, height: 900, steps: compare},
		{name: "conversation-tool-call", width: 1440, height: 900, steps: tool},
		{name: "phone", width: 390, height: 844, steps: done},
		{name: "dark", width: 1440, height: 900, dark: true, steps: done},
	}
}

// setValue sets a field's value as typing would (an input event, so the
// form's preview follows).
func setValue(sel, v string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q;
		e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); })()`, sel, v), nil)
}

// startPlayground builds and starts the playground on a free loopback
// port, on the simulator at a readable pace, and waits until it answers.
func startPlayground(ctx context.Context, dir string, stderr io.Writer) (string, func(), error) {
	bin := filepath.Join(dir, "playground")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/playground")
	build.Stdout, build.Stderr = stderr, stderr
	if err := build.Run(); err != nil {
		return "", nil, fmt.Errorf("building the playground: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.CommandContext(ctx, bin, "--addr", addr, "--data-dir", filepath.Join(dir, "data"), "--sim-ttft", "500ms", "--sim-tps", "25")
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	base := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base, stop, nil
			}
		}
	}
	stop()
	return "", nil, errors.New("the playground did not start within 30 s")
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
