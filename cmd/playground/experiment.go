package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/playground-dev/playground/web/experiment"
)

// exitError ends the command with a status of its own: 1 when the
// experiment's checks fail, 2 for a bad file or bad arguments.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// experimentUsage is the command's interface, which scripts rely on.
const experimentUsage = `Usage: playground experiment run FILE [-json PATH] [-junit PATH] [-min-pass-rate R] [playground flags]

Runs the experiment FILE (YAML or JSON) against the configured providers
(the built-in simulator with no configuration), prints its progress, and
writes its results as JSON (-json) and JUnit XML (-junit).

  -json PATH          write every cell's answer, checks, latency and cost as JSON
  -junit PATH         write the results as JUnit XML (a test suite per pane)
  -min-pass-rate R    the share of cells (0 to 1) that must pass; overrides the file's

The playground's flags (--catalog, --data-dir, --database-url, …, see
playground --help) and their environment variables configure the providers
and where the runs are kept: pointed at a playground's data directory or
database, the runs go into its history.

Exit status: 0 when every check passed or the pass rate reached the
threshold, 1 when not, 2 for a bad file or bad arguments.
`

// experimentArgs are the command's own arguments; the rest are the
// playground's flags.
type experimentArgs struct {
	file, jsonPath, junitPath string
	minPassRate               *float64
	config                    []string
}

// parseExperimentArgs splits args (after "experiment") into the command's
// and the playground's. Flags may come before or after FILE.
func parseExperimentArgs(args []string) (experimentArgs, error) {
	var a experimentArgs
	if len(args) == 0 || args[0] != "run" {
		return a, errors.New("the experiment command is: playground experiment run FILE (see playground experiment run -h)")
	}
	args = args[1:]
	for i := 0; i < len(args); i++ {
		arg := args[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			if a.file != "" {
				return a, fmt.Errorf("unexpected argument %q: one experiment file at a time", arg)
			}
			a.file = arg
			continue
		}
		switch name {
		case "h", "help":
			return a, errHelp
		case "json", "junit", "min-pass-rate":
			if !hasValue {
				if i+1 >= len(args) {
					return a, fmt.Errorf("-%s needs a value", name)
				}
				i++
				value = args[i]
			}
			switch name {
			case "json":
				a.jsonPath = value
			case "junit":
				a.junitPath = value
			default:
				r, err := strconv.ParseFloat(value, 64)
				if err != nil || !(r >= 0 && r <= 1) { // NaN too
					return a, fmt.Errorf("-min-pass-rate %q: a share from 0 to 1", value)
				}
				a.minPassRate = &r
			}
		default:
			// An unknown flag is said as such (taken as a playground flag,
			// it would take FILE for its value).
			if !slices.ContainsFunc(settings, func(s setting) bool { return s.flag == name }) {
				return a, fmt.Errorf("unknown flag %s (the command's are -json, -junit and -min-pass-rate; the playground's are in playground --help)", arg)
			}
			a.config = append(a.config, arg)
			// A playground flag's value may be the next argument.
			if !hasValue && !isBool[name] && i+1 < len(args) {
				i++
				a.config = append(a.config, args[i])
			}
		}
	}
	if a.file == "" {
		return a, errors.New("no experiment file: playground experiment run FILE")
	}
	return a, nil
}

// runExperiment is "playground experiment …": run, or promptfoo (the
// experiment as a promptfoo config).
func runExperiment(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "promptfoo" {
		return runPromptfoo(args[1:], getenv, stdout, stderr) // promptfoo_cmd.go
	}
	a, err := parseExperimentArgs(args)
	if errors.Is(err, errHelp) {
		fmt.Fprint(stdout, experimentUsage)
		return errHelp
	}
	if err != nil {
		return &exitError{2, err}
	}
	cfg, err := LoadConfig(a.config, getenv, stderr)
	if err != nil {
		return &exitError{2, err}
	}
	// The command line is the operator: the limits a server keeps per
	// session do not hold back its own experiment, whose runs at once
	// are the file's concurrency per provider.
	cfg.RunsAtOnce, cfg.RunsPerMinute, cfg.ClientRunsAtOnce, cfg.ClientRunsPerMinute, cfg.OperatorRunsAtOnce = 0, 0, 0, 0, 0
	data, err := os.ReadFile(a.file)
	if err != nil {
		return &exitError{2, err}
	}
	f, err := experiment.ParseFile(a.file, data)
	if err != nil {
		return &exitError{2, err}
	}
	// The command logs warnings only: its output is the progress.
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: max(cfg.LogLevel, slog.LevelWarn)}))
	sys, err := start(ctx, cfg, getenv, log)
	if err != nil {
		return err
	}
	defer sys.Close()
	dir := filepath.Dir(a.file)
	plan, err := experiment.Load(f, sys.cat, func(path string) ([]experiment.Case, error) {
		return experiment.ReadCasesFile(filepath.Join(dir, path))
	})
	if err != nil {
		return &exitError{2, err}
	}
	runner := &experiment.Runner{Drafts: sys.app.Deps.Drafts, Runs: sys.app.Deps.Runs, Owner: experiment.CommandLineOwner,
		Group: "experiment-" + strconv.FormatInt(time.Now().UnixNano(), 36), Judge: experiment.RunJudge(sys.app.Deps.Drafts, sys.app.Deps.Runs, experiment.CommandLineOwner)}
	cells := plan.Cells()
	prog := newProgress(stdout, len(cells))
	results := experiment.NewResults(plan)
	var mu sync.Mutex
	started := time.Now()
	unrun := runner.Run(ctx, plan, cells, func(r experiment.CellResult) {
		mu.Lock()
		defer mu.Unlock()
		results.Add(r)
		prog.add(r)
	})
	prog.finish()
	rep := results.Report(time.Since(started))
	if a.minPassRate != nil {
		rep.MinPassRate = *a.minPassRate
	}
	rep.Decide()
	fmt.Fprint(stdout, rep.Table())
	if len(unrun) > 0 {
		fmt.Fprintf(stdout, "stopped: %d of %d cells did not run\n", len(unrun), len(cells))
	}
	if a.jsonPath != "" {
		if err := writeFile(a.jsonPath, rep.JSON); err != nil {
			return err
		}
	}
	if a.junitPath != "" {
		if err := writeFile(a.junitPath, rep.JUnit); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !rep.OK {
		return &exitError{1, errors.New(rep.Verdict)}
	}
	fmt.Fprintln(stdout, rep.Verdict)
	return nil
}

// writeFile writes what write gives to path.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// progress prints a progress bar: redrawn in place on a terminal, a line
// for every twentieth of the cells (and the last) elsewhere (a CI log).
type progress struct {
	w           io.Writer
	tty         bool
	total, done int
	failed      int
	cost        experiment.Costs
	lastLine    int
}

func newProgress(w io.Writer, total int) *progress {
	p := &progress{w: w, total: total, cost: experiment.Costs{}}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) add(r experiment.CellResult) {
	p.done++
	if !r.Pass {
		p.failed++
	}
	p.cost.AddCell(r)
	step := max(p.total/20, 1)
	if p.tty || p.done == p.total || p.done-p.lastLine >= step {
		p.lastLine = p.done
		p.print()
	}
}

func (p *progress) print() {
	const width = 30
	filled := 0
	if p.total > 0 {
		filled = p.done * width / p.total
	}
	line := fmt.Sprintf("[%s%s] %d/%d done · %d failed · %s", strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.done, p.total, p.failed, p.cost)
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		return
	}
	fmt.Fprintln(p.w, line)
}

func (p *progress) finish() {
	if p.tty {
		fmt.Fprintln(p.w)
	}
}
