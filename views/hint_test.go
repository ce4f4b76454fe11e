package views

import (
	"testing"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/draft"
)

// Seed 001 states top_p "Default: 1.0", top_k "Default: unlimited" and no
// default for temperature; 0.7, 0.9 and 40 are the page's examples.
func TestHintsTellDefaultsFromExamples(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	m, _ := cat.Model("evolink", "gpt-5.4")
	tests := []struct {
		field, hint, placeholder, slider string
	}{
		// No default: an unset slider rests at the example, not at the
		// minimum (which would read as "0 is sent").
		{"temperature", "0 – 2 · e.g. 0.7", "e.g. 0.7", "0.7"},
		{"top_p", "0 – 1 · default 1 · e.g. 0.9", "1", "1"},
		{"top_k", "≥ 1 · default unlimited · e.g. 40", "unlimited", ""},
	}
	for _, tc := range tests {
		f, ok := m.Field(tc.field)
		if !ok {
			t.Fatalf("no field %s", tc.field)
		}
		v := newField(f, draft.Result{Model: m})
		if v.Hint != tc.hint || v.Placeholder != tc.placeholder {
			t.Errorf("%s: hint %q placeholder %q; want %q, %q", tc.field, v.Hint, v.Placeholder, tc.hint, tc.placeholder)
		}
		if v.Slider && v.SliderValue0() != tc.slider {
			t.Errorf("%s: an empty field's slider sits at %q, want %q", tc.field, v.SliderValue0(), tc.slider)
		}
	}
}

// TestUnsetSliderRestsInTheMiddle: with neither a default nor an example
// (seed 002's penalties, −2 to 2) an unset slider rests in the middle of
// its range, marked unset, and moves nothing into the request.
func TestUnsetSliderRestsInTheMiddle(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	m, _ := cat.Model("chatgw", "gpt-5.4")
	f, ok := m.Field("presence_penalty")
	if !ok {
		t.Fatal("no presence_penalty")
	}
	v := newField(f, draft.Result{Model: m})
	if !v.Slider || v.SliderValue0() != "0" || !v.SliderUnset() {
		t.Fatalf("slider %v rests at %q, unset %v; want the middle, 0, unset", v.Slider, v.SliderValue0(), v.SliderUnset())
	}
	v.Value = "-1.5"
	if v.SliderUnset() || v.SliderValue() != "-1.5" {
		t.Errorf("a set value: unset %v, at %q", v.SliderUnset(), v.SliderValue())
	}
}
