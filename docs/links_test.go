// Package docs holds the project's documentation; this test checks that
// every relative link in README.md and docs/*.md names a file or folder in
// the repository (the project links nothing outside itself but public
// web addresses).
package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// inline [text](target) and reference-style [label]: target links.
var linkRE = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)|(?m)^\[[^\]]+\]:\s*(\S+)`)

// inline code that is a relative path upwards, such as `../x/y.md`: a link
// in all but name, so it must resolve inside the repository too.
var upRE = regexp.MustCompile("`(\\.\\./[^`\\s]+)`")

var codeRE = regexp.MustCompile("`[^`]*`")

func TestRelativeLinksResolve(t *testing.T) {
	files, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "README.md"))
	checked := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var targets []string
		for _, m := range linkRE.FindAllStringSubmatch(stripCode(string(b)), -1) {
			targets = append(targets, m[1]+m[2])
		}
		for _, m := range upRE.FindAllStringSubmatch(string(b), -1) {
			targets = append(targets, m[1])
		}
		for _, target := range targets {
			link := target
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") || strings.HasPrefix(target, "#") {
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			path := filepath.Join(filepath.Dir(f), target)
			checked++
			abs, _ := filepath.Abs(path)
			root, _ := filepath.Abs("..")
			if !strings.HasPrefix(abs, root+string(filepath.Separator)) {
				t.Errorf("%s links %q, outside the repository", f, link)
				continue
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s links %q, which does not exist", f, link)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d relative links found: the pattern no longer matches the docs", checked)
	}
}

// stripCode drops fenced code blocks and inline code, where brackets are
// not links.
func stripCode(s string) string {
	var out strings.Builder
	in := false
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			in = !in
			continue
		}
		if !in {
			out.WriteString(codeRE.ReplaceAllString(line, ""))
			out.WriteByte('\n')
		}
	}
	return out.String()
}
