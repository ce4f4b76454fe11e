// Command histbench measures the history store at 100,000 runs (issue
// #22): it writes the runs through the store's API into a fresh SQLite
// database and, when a PostgreSQL URL is given (PLAYGROUND_TEST_DATABASE_URL
// by default), into a fresh schema there, then times the list, the search,
// one run's page and the export, and prints a Markdown table:
//
//	go run ./cmd/histbench                  # 100,000 runs (minutes)
//	go run ./cmd/histbench -runs 2000       # a quick look
//	go run ./cmd/histbench -explain         # with the query plans
//
// The SQLite database is in a temporary directory (or -dir), removed at the
// end unless -keep; so is the PostgreSQL schema.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/history/histbench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "histbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	fs := flag.NewFlagSet("histbench", flag.ContinueOnError)
	runs := fs.Int("runs", 100_000, "runs to write")
	reps := fs.Int("reps", 50, "calls per measure")
	dir := fs.String("dir", "", "SQLite data directory (default: a temporary one)")
	pg := fs.String("postgres", getenv("PLAYGROUND_TEST_DATABASE_URL"), `PostgreSQL URL ("" or "off": SQLite only)`)
	explain := fs.Bool("explain", false, "print the query plan of each list and search")
	keep := fs.Bool("keep", false, "keep the database (SQLite directory, PostgreSQL schema)")
	noSQLite := fs.Bool("no-sqlite", false, "measure PostgreSQL only")
	reuse := fs.Bool("reuse", false, "measure the runs already in -dir (SQLite only; from a -keep run) instead of writing them")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runs < 1 || *reps < 1 {
		return errors.New("-runs and -reps must be at least 1")
	}
	fmt.Fprintf(out, "history benchmark: %d runs, %d calls a measure, %s\n\n", *runs, *reps, time.Now().UTC().Format(time.RFC3339))
	d := *dir
	if d == "" {
		tmp, err := os.MkdirTemp("", "histbench-")
		if err != nil {
			return err
		}
		d = tmp
		if !*keep {
			defer os.RemoveAll(tmp)
		}
	}
	if !*noSQLite {
		if err := bench(ctx, "", d, *runs, *reps, *explain, *reuse, out); err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
	}
	if *pg == "" || *pg == "off" || *reuse {
		fmt.Fprintln(out, "PostgreSQL: not measured (no -postgres URL, PLAYGROUND_TEST_DATABASE_URL unset)")
		return nil
	}
	schemaURL, drop, err := freshSchema(*pg)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if !*keep {
		defer drop()
	}
	if err := bench(ctx, schemaURL, "", *runs, *reps, *explain, false, out); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

// bench writes the runs into the store at dbURL (or SQLite in dir) and
// prints the measures.
func bench(ctx context.Context, dbURL, dir string, runs, reps int, explain, reuse bool, out io.Writer) error {
	s, err := history.Open(ctx, dbURL, dir)
	if err != nil {
		return err
	}
	defer s.Close()
	// One owner far past the default quota: the benchmark keeps them all.
	s.SetLimits(history.Limits{RunBytes: history.DefaultLimits().RunBytes})
	var g histbench.Generated
	if reuse {
		g, err = histbench.Existing(ctx, s, runs)
	} else {
		g, err = histbench.Generate(ctx, s, runs, 22)
	}
	if err != nil {
		return err
	}
	if err := s.Analyze(ctx); err != nil {
		return err
	}
	rep, err := histbench.Measure(ctx, s, g, reps)
	if err != nil {
		return err
	}
	rep.Print(out)
	if explain {
		for _, q := range []history.Filter{{}, {Provider: "deepseek"}, {Query: "the"}, {Query: histbench.Rare}, {Query: "expl"}} {
			plan, err := s.ExplainList(ctx, histbench.Owner, q)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%s plan of %+v:\n\n    %s\n\n", s.Dialect(), q, strings.ReplaceAll(strings.TrimSpace(plan), "\n", "\n    "))
		}
	}
	return nil
}

// freshSchema makes an empty schema on the server at base, and returns its
// URL and what drops it.
func freshSchema(base string) (string, func(), error) {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	defer admin.Close()
	schema := fmt.Sprintf("histbench_%d", time.Now().UnixNano())
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		return "", nil, err
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() {
		if db, err := sql.Open("pgx", base); err == nil {
			db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			db.Close()
		}
	}
	return u.String(), drop, nil
}
