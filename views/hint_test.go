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
		{"temperature", "0 – 2 · e.g. 0.7", "e.g. 0.7", "0"},
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
