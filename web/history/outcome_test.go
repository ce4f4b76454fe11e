package history

import (
	"context"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/run"
)

// TestOldOutcomeRowsReadExactly: a run finished before the outcome was
// exact has the older shape in its summary column (formatted figures,
// "exact" rationals and float64 amounts, milliseconds). It reads back as
// the exact outcome, and its JSON export carries that outcome, amounts as
// exact strings.
func TestOldOutcomeRowsReadExactly(t *testing.T) {
	const old = `{"state":"completed","finish":["stop"],"truncated":false,` +
		`"usage":{"input":12,"cached":0,"output":40,"reasoning":0,"estimated":false},` +
		`"cost":{"known":true,"total":"$0.000001","estimated":false,"demo":false,"exact":"1/1000000","amount":0.000001,"currency":"USD"},` +
		`"metrics":{"ttfb_ms":12,"total_ms":1000,"tokens_per_sec":50}}`
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		e := entry("old1", time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), "openai", "gpt-x", "Hello")
		if err := s.Insert(ctx, "alice", e); err != nil {
			t.Fatal(err)
		}
		if _, err := s.db.ExecContext(ctx, s.q(`UPDATE runs SET status = ?, summary = ? WHERE id = ?`), string(run.Completed), old, "old1"); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "alice", "old1")
		if err != nil || got.Outcome == nil {
			t.Fatalf("%+v %v", got, err)
		}
		if r, ok := got.Outcome.TotalRat(); !ok || r.Cmp(big.NewRat(1, 1_000_000)) != 0 {
			t.Errorf("total %v %v, want exactly 1/1000000", r, ok)
		}
		if d := got.Outcome.Durations; d.TTFB != 12*time.Millisecond || d.Total != time.Second || d.Generation != 800*time.Millisecond {
			t.Errorf("durations %+v", d)
		}
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		if exp := string(b); !strings.Contains(exp, `"outcome":{`) || !strings.Contains(exp, `"total":"0.000001"`) ||
			strings.Contains(exp, `"amount"`) || strings.Contains(exp, `"$`) {
			t.Errorf("the export is not the exact outcome: %s", exp)
		}
	})
}
