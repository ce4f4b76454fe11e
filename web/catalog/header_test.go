package catalog

import (
	"strings"
	"testing"
)

func TestHeaderTemplates(t *testing.T) {
	tests := []struct {
		value    string
		parts    []string
		expanded string
		missing  []string
		badVars  bool
	}{
		{"openai", []string{"openai"}, "openai", nil, false},
		{"${A_KEY}", []string{"", "A_KEY", ""}, "va", nil, false},
		{"Bearer ${A_KEY} and ${B}", []string{"Bearer ", "A_KEY", " and ", "B", ""}, "Bearer va and ", []string{"B"}, false},
		{"$A_KEY {x} $", []string{"$A_KEY {x} $"}, "$A_KEY {x} $", nil, false},
		{"${lower}", []string{"", "lower", ""}, "", []string{"lower"}, true},
		{"${}", []string{"", "", ""}, "", []string{""}, true},
	}
	env := map[string]string{"A_KEY": "va"}
	for _, tc := range tests {
		if got := HeaderParts(tc.value); strings.Join(got, "|") != strings.Join(tc.parts, "|") {
			t.Errorf("HeaderParts(%q) = %q, want %q", tc.value, got, tc.parts)
		}
		got, missing := ExpandHeader(tc.value, func(k string) string { return env[k] })
		if got != tc.expanded || strings.Join(missing, ",") != strings.Join(tc.missing, ",") {
			t.Errorf("ExpandHeader(%q) = %q, %q; want %q, %q", tc.value, got, missing, tc.expanded, tc.missing)
		}
		if _, err := HeaderVars(tc.value); (err != nil) != tc.badVars {
			t.Errorf("HeaderVars(%q) error %v", tc.value, err)
		}
	}
}

// FuzzHeaderTemplate: the parts of a value put back together are the
// value, and expanding with a lookup that spells each reference back
// gives the value again.
func FuzzHeaderTemplate(f *testing.F) {
	for _, s := range []string{"", "a", "${A}", "x${A}y${B_2}z", "${", "}${}", "$${A}}", "${a b}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		parts := HeaderParts(value)
		if len(parts)%2 != 1 {
			t.Fatalf("%d parts", len(parts))
		}
		var b strings.Builder
		for i, p := range parts {
			if i%2 == 1 {
				b.WriteString("${" + p + "}")
			} else {
				b.WriteString(p)
			}
		}
		if b.String() != value {
			t.Fatalf("parts %q rebuild %q, not %q", parts, b.String(), value)
		}
		back, missing := ExpandHeader(value, func(k string) string { return "${" + k + "}" })
		if back != value || len(missing) > 0 && !strings.Contains(value, "${}") {
			t.Fatalf("expanded %q to %q (missing %q)", value, back, missing)
		}
	})
}
