package checks

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

// Every kind has a template, and every template is a valid check of its
// kind.
func TestTemplates(t *testing.T) {
	for _, k := range Kinds {
		var cs []Check
		if err := yaml.Unmarshal([]byte(Template(k)), &cs); err != nil || len(cs) != 1 {
			t.Fatalf("%s: %v %v", k, cs, err)
		}
		if cs[0].Type != k {
			t.Errorf("%s: template of %s", k, cs[0].Type)
		}
		if err := Validate(cs); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
}
