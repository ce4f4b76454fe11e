package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestPromptfooCommand(t *testing.T) {
	noEnv := func(string) string { return "" }
	example := filepath.Join("..", "..", "docs", "examples", "experiment.yaml")
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("provider: sim\nmodel: nope\nrequest: {messages: []}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	outPath := filepath.Join(t.TempDir(), "promptfooconfig.yaml")
	for _, tc := range []struct {
		name   string
		args   []string
		code   int    // the exit status; 0 for success
		stdout string // a part of the standard output
	}{
		{name: "stdout", args: []string{example}, stdout: "evaluateOptions:\n  repeat: 2"},
		{name: "out file", args: []string{example, "-o", outPath}},
		{name: "help", args: []string{"-h"}, stdout: "Usage: playground experiment promptfoo FILE"},
		{name: "no file", args: nil, code: 2},
		{name: "missing file", args: []string{filepath.Join(t.TempDir(), "none.yaml")}, code: 2},
		{name: "bad file", args: []string{bad}, code: 2},
		{name: "two files", args: []string{example, example}, code: 2},
		{name: "-o without path", args: []string{example, "-o"}, code: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"experiment", "promptfoo"}, tc.args...), noEnv, &stdout, &stderr)
			var ee *exitError
			switch {
			case tc.code != 0:
				if !errors.As(err, &ee) || ee.code != tc.code {
					t.Fatalf("err = %v, want exit status %d", err, tc.code)
				}
				return
			case err != nil && !errors.Is(err, errHelp):
				t.Fatalf("err = %v (stderr %s)", err, stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.stdout, stdout.String())
			}
		})
	}
	data, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("-o wrote no YAML: %v", err)
	}
	for _, key := range []string{"description", "prompts", "providers", "defaultTest", "tests", "evaluateOptions"} {
		if _, ok := doc[key]; !ok {
			t.Errorf("-o wrote no %s", key)
		}
	}
}
