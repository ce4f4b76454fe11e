// Package archtest checks the direction of imports: the domain under web/
// never imports the HTTP framework, templ, handlers or views; views never
// import handlers.
package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}: {{join .Imports \" \"}}", "../../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/playground-dev/playground/"
	rules := map[string][]string{
		mod + "web/":  {"github.com/gofiber/", "github.com/a-h/templ", "github.com/valyala/fasthttp", mod + "handlers", mod + "views"},
		mod + "views": {mod + "handlers", "github.com/gofiber/"},
	}
	checked := 0
	for _, line := range strings.Split(string(out), "\n") {
		pkg, imports, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		for prefix, banned := range rules {
			if !strings.HasPrefix(pkg, prefix) {
				continue
			}
			checked++
			for _, imp := range strings.Fields(imports) {
				for _, b := range banned {
					if strings.HasPrefix(imp, b) {
						t.Errorf("%s imports %s", pkg, imp)
					}
				}
			}
		}
	}
	if checked < 5 {
		t.Fatalf("only %d packages checked; is the pattern right?", checked)
	}
}
