package tokens

import (
	"encoding/json"
	"testing"
)

func TestCountO200k(t *testing.T) {
	var c Counter
	tests := map[string]int{"": 0, "hello": 1, "Hello, world!": 4}
	for s, want := range tests {
		if got := c.Count(s); got != want {
			t.Errorf("Count(%q) = %d, want %d", s, got, want)
		}
	}
	ids := c.Encode("The theory of relativity")
	if c.Decode(ids) != "The theory of relativity" || len(ids) != c.Count("The theory of relativity") {
		t.Errorf("encode/decode round trip failed: %v", ids)
	}
}

func TestImage(t *testing.T) {
	if Image("low") != 85 || Image("high") != 765 || Image("") != 765 {
		t.Error("image token estimates changed")
	}
}

// TestDefinitions: a tool counts the same in Chat's shape and Responses'
// flat one, whatever the key order; a format counts its schema's name and
// JSON in any of its three shapes, and nothing without a schema.
func TestDefinitions(t *testing.T) {
	c := &Counter{}
	dec := func(s string) any {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	chat := c.Tools(dec(`[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]`))
	flat := c.Tools(dec(`[{"type":"function","parameters":{"properties":{"city":{"type":"string"}},"type":"object"},"name":"get_weather","description":"Weather","strict":false}]`))
	want := PerTool + c.Count("get_weather") + c.Count("Weather") + c.Count(`{"properties":{"city":{"type":"string"}},"type":"object"}`)
	if chat != want || flat != want {
		t.Errorf("tools: chat %d, flat %d, want %d", chat, flat, want)
	}
	if n := c.Tools(nil); n != 0 {
		t.Errorf("no tools: %d", n)
	}
	schema := `{"type":"object","properties":{"a":{"type":"string"}}}`
	wantF := c.Count("r") + c.Count(`{"properties":{"a":{"type":"string"}},"type":"object"}`)
	for _, f := range []string{
		`{"type":"json_schema","json_schema":{"name":"r","schema":` + schema + `,"strict":true}}`,
		`{"type":"json_schema","name":"r","schema":` + schema + `}`,
		`{"name":"r","schema":` + schema + `}`,
	} {
		if n := c.Format(dec(f)); n != wantF {
			t.Errorf("format %s: %d, want %d", f, n, wantF)
		}
	}
	if n := c.Format(dec(`{"type":"json_object"}`)); n != 0 {
		t.Errorf("json_object: %d", n)
	}
}
