package handlers

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/sim"
	"github.com/playground-dev/playground/web/sse"
	"github.com/playground-dev/playground/web/tokens"
)

// TestEverySeedModelRunsOnTheSimulator runs each simulated model with its
// fresh form, through the playground, and checks the run completes with
// exact usage whose prompt tokens equal the pre-send estimate, and a cost.
func TestEverySeedModelRunsOnTheSimulator(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	tok := &tokens.Counter{}
	simSrv := httptest.NewServer(sim.New(sim.Config{ZeroDelay: true}, sim.ModelsFromCatalog(cat), tok))
	defer simSrv.Close()
	env := map[string]string{"PLAYGROUND_SIM_URL": simSrv.URL}
	app := newTestApp(t, env)
	drafts := &draft.Service{Catalog: cat, Getenv: func(k string) string { return env[k] }, Tokens: tok}
	n := 0
	for _, m := range cat.ModelsOf("sim") {
		n++
		t.Run(m.ID, func(t *testing.T) {
			fresh := drafts.Prepare(draft.Input{Provider: "sim", Model: m.ID})
			form := url.Values{"_provider": {"sim"}, "_model": {m.ID}}
			for k, v := range fresh.Form {
				form[k] = v
			}
			resp, body := do(t, app, post("/runs", form))
			id := runIDRE.FindStringSubmatch(body)
			if id == nil {
				t.Fatalf("no run: %s", body)
			}
			req := httptest.NewRequest("GET", "/runs/"+id[1]+"/events", nil)
			req.Header.Set("Cookie", strings.Split(resp.Header.Get("Set-Cookie"), ";")[0])
			_, events := do(t, app, req)
			var done map[string]any
			d := sse.NewDecoder(strings.NewReader(events), 0)
			texts := 0
			for {
				ev, err := d.Next()
				if err != nil {
					break
				}
				switch string(ev.Type) {
				case "done":
					json.Unmarshal(ev.Data, &done)
				case "delta", "md":
					texts++
				case "failure":
					t.Fatalf("run failed: %s", ev.Data)
				}
			}
			if done == nil || done["state"] != "completed" || texts == 0 {
				t.Fatalf("done %v, %d text events", done, texts)
			}
			usage := done["usage"].(map[string]any)
			if usage["estimated"] != false {
				t.Errorf("usage is an estimate: %v", usage)
			}
			if int(usage["input"].(float64)) != fresh.Estimate.PromptTokens {
				t.Errorf("prompt tokens: simulator %v, estimate %d", usage["input"], fresh.Estimate.PromptTokens)
			}
			cost := done["cost"].(map[string]any)
			if cost["known"] != true || cost["total"] == "" {
				t.Errorf("cost %v", cost)
			}
			if m.ID == "seed000.gpt-5.4-pro" && (!strings.HasPrefix(cost["total"].(string), "¥") || cost["credits"] == nil) {
				t.Errorf("seed 000 cost %v", cost)
			}
		})
	}
	if n != 10 {
		t.Errorf("%d simulated models, want 10", n)
	}
}
