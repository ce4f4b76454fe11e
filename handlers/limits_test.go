package handlers

import (
	"fmt"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// schemaBombFormat is the red-team's response_format: a $defs chain of
// anyOf of two $refs, depth 24 (about 2.2 KB). Checking the simulator's
// answer against it ran out of memory and killed the server.
func schemaBombFormat() string {
	var defs []string
	for i := range 24 {
		defs = append(defs, fmt.Sprintf(`"d%d":{"anyOf":[{"$ref":"#/$defs/d%d"},{"$ref":"#/$defs/d%d"}]}`, i, i+1, i+1))
	}
	defs = append(defs, `"d24":{"type":"string"}`)
	return `{"type":"json_schema","json_schema":{"name":"bomb","schema":{"$ref":"#/$defs/d0","$defs":{` + strings.Join(defs, ",") + `}}}}`
}

// TestSchemaBombOnTheSimulator: the bomb through the real form and run
// path on the simulator model (no key) is refused next to the field, with
// bounded allocation, and the server goes on serving.
func TestSchemaBombOnTheSimulator(t *testing.T) {
	app := simApp(t)
	form := chatForm("Answer in JSON.")
	form.Set("response_format", schemaBombFormat())
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, body := do(t, app, post("/runs", form))
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
		t.Errorf("the refused run allocated %d MB", n>>20)
	}
	if runIDRE.MatchString(body) || !strings.Contains(body, "Not sent") || !strings.Contains(body, "json_schema.schema is too complex") || !strings.Contains(body, "10,000 subschemas") {
		t.Fatalf("answer:\n%.3000s", body)
	}
	if st, _ := get(t, app, "/healthz"); st != 200 {
		t.Errorf("healthz %d after the bomb", st)
	}
}

// TestHugeMinItemsOnTheSimulator: minItems 50000000 in the response
// format runs to the end on the simulator with a bounded answer, and the
// check of that answer says what it misses.
func TestHugeMinItemsOnTheSimulator(t *testing.T) {
	app := simApp(t)
	form := chatForm("Answer in JSON.")
	form.Set("response_format", `{"type":"json_schema","json_schema":{"name":"a","schema":{"type":"object","properties":{"a":{"type":"array","minItems":50000000,"items":{"type":"string"}}}}}}`)
	_, body := do(t, app, post("/runs", form))
	id := runIDRE.FindStringSubmatch(body)
	if id == nil {
		t.Fatalf("no run:\n%.2000s", body)
	}
	_, events := do(t, app, httptest.NewRequest("GET", "/runs/"+id[1]+"/events", nil))
	if len(events) > 8<<20 || !strings.Contains(events, `"state":"completed"`) || !strings.Contains(events, "minItems") {
		t.Fatalf("%d bytes of events:\n%.2000s", len(events), events[max(0, len(events)-2000):])
	}
}
