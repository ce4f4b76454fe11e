package handlers

import (
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/draft"
	formpkg "github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/sim"
	"github.com/playground-dev/playground/web/sse"
	"github.com/playground-dev/playground/web/tokens"
)

// simulatorApp is the playground in front of a simulator of the default
// catalog, and the draft service that gives each model's estimate.
func simulatorApp(t *testing.T) (*catalog.Catalog, *testApp, *draft.Service) {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	tok := &tokens.Counter{}
	simSrv := httptest.NewServer(sim.New(sim.Config{ZeroDelay: true}, sim.ModelsFromCatalog(cat), tok))
	t.Cleanup(simSrv.Close)
	env := map[string]string{"PLAYGROUND_SIM_URL": simSrv.URL}
	app := newTestApp(t, env)
	return cat, app, &draft.Service{Catalog: cat, Getenv: func(k string) string { return env[k] }, Tokens: tok}
}

// TestEverySeedModelRunsOnTheSimulator runs each simulated model with its
// fresh form, through the playground, and checks the run completes with
// exact usage whose prompt tokens equal the pre-send estimate, and a cost.
func TestEverySeedModelRunsOnTheSimulator(t *testing.T) {
	cat, app, drafts := simulatorApp(t)
	n := 0
	for _, m := range cat.ModelsOf("sim") {
		n++
		t.Run(m.ID, func(t *testing.T) {
			fresh := drafts.Prepare(draft.Input{Provider: "sim", Model: m.ID})
			form := url.Values{"_provider": {"sim"}, "_model": {m.ID}}
			for k, v := range fresh.Form.Values() {
				form[k] = v
			}
			done, texts := runOnSim(t, app, form)
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
			if total, _ := cost["total"].(string); cost["known"] != true || total == "" {
				t.Errorf("cost %v", cost)
			}
			// The outcome is exact ("0.14004" in CNY); the panel's metrics
			// write it in yuan.
			if metrics, _ := done["metrics_html"].(string); m.ID == "seed000.gpt-5.4-pro" &&
				(cost["currency"] != "CNY" || !strings.Contains(metrics, "¥") || cost["credits"] == nil) {
				t.Errorf("seed 000 cost %v, metrics %s", cost, metrics)
			}
		})
	}
	if n != 10 {
		t.Errorf("%d simulated models, want 10", n)
	}
}

// runOnSim starts a run of form and reads its events to the end: the done
// event and how many text events came. A failure event fails the test.
func runOnSim(t *testing.T, app *testApp, form url.Values) (map[string]any, int) {
	t.Helper()
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
		case "delta", "md", "tool":
			texts++
		case "failure":
			t.Fatalf("run failed: %s", ev.Data)
		}
	}
	return done, texts
}

// TestSimulatorCountsDefinitionsAsTheEstimate: tool definitions and
// response-format schemas are prompt tokens; the simulator reports the
// same prompt_tokens as the pre-send estimate for a run that has them.
func TestSimulatorCountsDefinitionsAsTheEstimate(t *testing.T) {
	_, app, drafts := simulatorApp(t)
	params := `{"type":"object","properties":{"city":{"type":"string","description":"The city, e.g. Paris"},"days":{"type":"integer","minimum":1}},"required":["city"]}`
	schema := `{"type":"object","properties":{"answer":{"type":"string"},"score":{"type":"number"}},"required":["answer","score"],"additionalProperties":false}`
	msg := url.Values{"messages.role": {"user"}, "messages.content": {"Weather in Paris?"}, "stream": {"false", "true"}}
	with := func(kv url.Values) url.Values {
		out := url.Values{}
		for k, v := range msg {
			out[k] = v
		}
		for k, v := range kv {
			out[k] = v
		}
		return out
	}
	// A turn that answers a tool call: the assistant's call, then its result.
	turn := with(url.Values{"tools.name": {"get_weather"}, "tools.parameters": {params},
		"messages.role": {"user", "assistant", "tool"}, "messages.content": {"Weather in Paris?", "", `{"temp": 21}`},
		"messages.tool_calls":   {"", `[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"},"extra_content":{"google":{"thought_signature":"` + simSignature("call_1") + `"}}}]`, ""},
		"messages.tool_call_id": {"", "", "call_1"}, "messages.reasoning": {"", "", ""}})
	tools := url.Values{"tools.name": {"get_weather", "now"}, "tools.description": {"Current weather of a city", ""}, "tools.parameters": {params, ""}}
	for _, tc := range []struct {
		name, model string
		form        url.Values
	}{
		{"chat tools", "seed002.gpt-5.4", with(tools)},
		{"chat response_format schema", "openai.gpt-4o-mini", with(url.Values{"response_format": {`{"type":"json_schema","json_schema":{"name":"reply","schema":` + schema + `,"strict":true}}`}})},
		{"responses tools", "openai.gpt-5-mini", with(tools)},
		{"responses json_schema", "openai.gpt-5-mini", with(url.Values{"response_format": {"json_schema"}, "json_schema": {`{"name":"reply","schema":` + schema + `}`}})},
		{"chat tool result turn", "seed002.gemini-3.1-pro-preview", turn},
		{"responses tool result turn", "openai.gpt-5-mini", turn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fresh := drafts.Prepare(draft.Input{Provider: "sim", Model: tc.model, Form: formpkg.Decode(tc.form)})
			if len(fresh.Errors) > 0 {
				t.Fatal(fresh.Errors)
			}
			bare := drafts.Prepare(draft.Input{Provider: "sim", Model: tc.model, Form: formpkg.Decode(msg)})
			if fresh.Estimate.PromptTokens <= bare.Estimate.PromptTokens+10 {
				t.Errorf("the estimate does not count the definitions: %d with, %d without", fresh.Estimate.PromptTokens, bare.Estimate.PromptTokens)
			}
			form := url.Values{"_provider": {"sim"}, "_model": {tc.model}}
			for k, v := range fresh.Form.Values() {
				form[k] = v
			}
			done, _ := runOnSim(t, app, form)
			if done == nil || done["state"] != "completed" {
				t.Fatalf("done %v", done)
			}
			usage := done["usage"].(map[string]any)
			if usage["estimated"] != false || int(usage["input"].(float64)) != fresh.Estimate.PromptTokens {
				t.Errorf("prompt tokens: simulator %v, estimate %d", usage["input"], fresh.Estimate.PromptTokens)
			}
		})
	}
}

// simSignature is the thought_signature the simulator gives a call.
func simSignature(id string) string {
	return base64.StdEncoding.EncodeToString([]byte("sim-thought:" + id))
}
