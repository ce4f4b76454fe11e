package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocumentedExamplesLoad: the catalog examples the documentation
// shows are files an operator may copy: each loads with --catalog as it
// stands.
func TestDocumentedExamplesLoad(t *testing.T) {
	for _, tc := range []struct {
		file  string
		after string // the text the example's yaml block follows ("" for the first)
	}{
		{"docs/catalog.md", "A complete annotated example"},
		{"README.md", ""},
	} {
		doc, err := os.ReadFile("../../" + tc.file)
		if err != nil {
			t.Fatal(err)
		}
		_, rest, ok := strings.Cut(string(doc), tc.after)
		if !ok {
			t.Fatalf("%s has no %q", tc.file, tc.after)
		}
		_, rest, ok = strings.Cut(rest, "```yaml\n")
		if !ok {
			t.Fatalf("%s: no yaml block after %q", tc.file, tc.after)
		}
		example, _, ok := strings.Cut(rest, "```")
		if !ok {
			t.Fatalf("%s: the yaml block does not end", tc.file)
		}
		path := filepath.Join(t.TempDir(), "ops.yaml")
		if err := os.WriteFile(path, []byte(example), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(path)
		if err != nil {
			t.Fatalf("the example in %s does not load: %v", tc.file, err)
		}
		if _, ok := c.Provider("local"); !ok {
			t.Errorf("%s: the example's provider is not in the catalog", tc.file)
		}
	}
}
