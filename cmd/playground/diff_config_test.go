package main

import (
	"io"
	"testing"
	"time"
)

func TestDiffSettings(t *testing.T) {
	none := func(string) string { return "" }
	cfg, err := LoadConfig(nil, none, io.Discard)
	if err != nil || cfg.DiffsAtOnce != 2 || cfg.DiffTimeout != time.Second {
		t.Fatalf("defaults: %d %v %v", cfg.DiffsAtOnce, cfg.DiffTimeout, err)
	}
	env := map[string]string{"PLAYGROUND_DIFFS_AT_ONCE": "4", "PLAYGROUND_DIFF_TIMEOUT": "3s"}
	cfg, err = LoadConfig(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil || cfg.DiffsAtOnce != 4 || cfg.DiffTimeout != 3*time.Second {
		t.Fatalf("from env: %d %v %v", cfg.DiffsAtOnce, cfg.DiffTimeout, err)
	}
	for _, bad := range [][]string{{"--diffs-at-once", "0"}, {"--diffs-at-once", "x"}, {"--diff-timeout", "0s"}, {"--diff-timeout", "soon"}} {
		if _, err := LoadConfig(bad, none, io.Discard); err == nil {
			t.Errorf("%v: want an error", bad)
		}
	}
}
