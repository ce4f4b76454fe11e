package histbench

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/history"
)

// TestSmoke runs the benchmark at a small size on SQLite, so that it
// cannot rot: every measure runs and finds what it should.
func TestSmoke(t *testing.T) {
	ctx := context.Background()
	s, err := history.Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetLimits(history.Limits{})
	g, err := Generate(ctx, s, 300, 1)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Measure(ctx, s, g, 3)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int{}
	for _, tm := range rep.Timings {
		rows[tm.Name] = tm.Rows
		if tm.P50 <= 0 || tm.P99 < tm.P50 {
			t.Errorf("%s: p50 %s p99 %s", tm.Name, tm.P50, tm.P99)
		}
	}
	for _, name := range []string{"list: first page", "list: a page half way back (cursor)", "search: common word (the)", "search: prefix as typed (expl)"} {
		if rows[name] != history.PerPage {
			t.Errorf("%s: %d rows", name, rows[name])
		}
	}
	if rows["search: no match"] != 0 || rows["Get: one run's page"] != 1 {
		t.Errorf("rows %v", rows)
	}
	if rep.ExportBytes < g.Bytes || rep.ExportMBps <= 0 {
		t.Errorf("export %d bytes of %d written, %.1f MB/s", rep.ExportBytes, g.Bytes, rep.ExportMBps)
	}
	var out bytes.Buffer
	rep.Print(&out)
	if !strings.Contains(out.String(), "| search: rare word |") {
		t.Errorf("the table:\n%s", out.String())
	}
}
