package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/experiment"
)

// promptfooUsage is the interface of "playground experiment promptfoo".
const promptfooUsage = `Usage: playground experiment promptfoo FILE [-o PATH] [playground flags]

Writes the experiment FILE (YAML or JSON) as a promptfoo config: the draft's
prompt, each pane as a provider (its base URL and the name of its key's
environment variable, never a key), a test for each case, the checks as
assertions, and the repeats. Checks promptfoo cannot make are listed in a
comment at the top. See docs/promptfoo.md.

  -o PATH    write the config to PATH instead of the standard output

The playground's --catalog flag (and PLAYGROUND_CATALOG) names the catalog
the providers and models are read from.

Exit status: 0 when the config was written, 2 for a bad file or bad arguments.
`

// runPromptfoo is "playground experiment promptfoo …" (args after
// "promptfoo").
func runPromptfoo(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var file, out string
	var config []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		switch {
		case !strings.HasPrefix(arg, "-") || arg == "-":
			if file != "" {
				return &exitError{2, fmt.Errorf("unexpected argument %q: one experiment file at a time", arg)}
			}
			file = arg
		case name == "h" || name == "help":
			fmt.Fprint(stdout, promptfooUsage)
			return errHelp
		case name == "o" || name == "out":
			if !hasValue {
				if i+1 >= len(args) {
					return &exitError{2, errors.New("-o needs a path")}
				}
				i++
				value = args[i]
			}
			out = value
		default:
			config = append(config, arg)
			if !hasValue && !isBool[name] && i+1 < len(args) {
				i++
				config = append(config, args[i])
			}
		}
	}
	if file == "" {
		return &exitError{2, errors.New("no experiment file: playground experiment promptfoo FILE [-o PATH]")}
	}
	cfg, err := LoadConfig(config, getenv, stderr)
	if err != nil {
		return &exitError{2, err}
	}
	cat, err := catalog.Load(cfg.Catalog)
	if err != nil {
		return &exitError{2, err}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return &exitError{2, err}
	}
	f, err := experiment.ParseFile(file, data)
	if err != nil {
		return &exitError{2, err}
	}
	dir := filepath.Dir(file)
	plan, err := experiment.Load(f, cat, func(path string) ([]experiment.Case, error) {
		return experiment.ReadCasesFile(filepath.Join(dir, path))
	})
	if err != nil {
		return &exitError{2, err}
	}
	yml, err := experiment.PromptfooConfig(plan, cat)
	if err != nil {
		return &exitError{2, err}
	}
	if out == "" {
		_, err = stdout.Write(yml)
		return err
	}
	return os.WriteFile(out, yml, 0o644)
}
