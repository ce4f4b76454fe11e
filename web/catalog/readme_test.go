package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeExampleLoads: the annotated catalog example in docs/catalog.md is a
// file an operator may copy: it loads with --catalog as it stands.
func TestReadmeExampleLoads(t *testing.T) {
	readme, err := os.ReadFile("../../docs/catalog.md")
	if err != nil {
		t.Fatal(err)
	}
	const intro = "A complete annotated example"
	_, rest, ok := strings.Cut(string(readme), intro)
	if !ok {
		t.Fatalf("docs/catalog.md has no %q", intro)
	}
	_, rest, ok = strings.Cut(rest, "```yaml\n")
	if !ok {
		t.Fatal("no yaml block after the example's introduction")
	}
	example, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("the yaml block does not end")
	}
	path := filepath.Join(t.TempDir(), "ops.yaml")
	if err := os.WriteFile(path, []byte(example), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatalf("the example in docs/catalog.md does not load: %v", err)
	}
	if _, ok := c.Provider("local"); !ok {
		t.Error("the example's provider is not in the catalog")
	}
}

// TestReadmeShortExampleLoads: the short catalog example in the README
// loads with --catalog as it stands, too.
func TestReadmeShortExampleLoads(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```yaml\n")
	if !ok {
		t.Fatal("the README has no yaml block")
	}
	example, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("the yaml block does not end")
	}
	path := filepath.Join(t.TempDir(), "ops.yaml")
	if err := os.WriteFile(path, []byte(example), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatalf("the README's example does not load: %v", err)
	}
	if _, ok := c.Provider("local"); !ok {
		t.Error("the example's provider is not in the catalog")
	}
}
