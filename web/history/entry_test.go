package history

import (
	"testing"
	"time"
)

func TestComparisonPane(t *testing.T) {
	c := Comparison{Runs: []Entry{{ID: "a", Pane: 1}, {ID: "b", Pane: 0}}}
	for i, want := range map[int]string{0: "b", 1: "a", 2: ""} {
		if e, ok := c.Pane(i); e.ID != want || ok != (want != "") {
			t.Errorf("pane %d: %q %v, want %q", i, e.ID, ok, want)
		}
	}
}

func TestEntryScript(t *testing.T) {
	e := Entry{ProviderName: "Simulator", ModelLabel: "Echo", Created: time.Date(2026, 12, 2, 17, 0, 0, 0, time.UTC),
		Request: Request{KeyEnv: "SIMULATOR_API_KEY"}, Curl: "curl -sS 'https://x.example/v1'"}
	want := "#!/bin/sh\n# Simulator · Echo, 2026-12-02T17:00:00Z\n# The key comes from your shell: set $SIMULATOR_API_KEY first.\ncurl -sS 'https://x.example/v1'\n"
	if got := e.Script(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
