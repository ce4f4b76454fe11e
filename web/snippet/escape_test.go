package snippet_test

import (
	"encoding/hex"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/playground-dev/playground/web/snippet"
)

// hostileStrings break a careless quoter of one language or another.
var hostileStrings = []string{
	"", "plain", "it's", `say "hi"`, `back\slash`, `\`, `\\`, "ends with \\", "'''", `"""`, "`", "``", "${x}", "$HOME", "$", "#{x}",
	"a\nb", "a\r\nb", "\r", "\t", "\x01\x1b[31m\x7f", "\u0085\u00a0\u2028\u2029\ufeff\u200b", "héllo 世界", "🙂 𝄞 \U0010ffff",
	"</script><script>", "<!-- */ //", "\\u0041", `\x41`, "\\\n", "%s %d", "{{.}}", "\u00e9\u0301",
}

// FuzzGoString: the Go literal parses as one string literal whose value
// (strconv.Unquote) is the input, and is a raw string when it can be.
func FuzzGoString(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lit := snippet.GoString(s)
		e, err := parser.ParseExpr(lit)
		if err != nil {
			t.Fatalf("GoString(%q) = %s does not parse: %v", s, lit, err)
		}
		bl, ok := e.(*ast.BasicLit)
		if !ok || bl.Kind != token.STRING {
			t.Fatalf("GoString(%q) = %s is not one string literal", s, lit)
		}
		got, err := strconv.Unquote(bl.Value)
		if err != nil || got != s {
			t.Fatalf("GoString(%q) = %s reads back as %q (%v)", s, lit, got, err)
		}
		if strings.Contains(s, "\n") && !strings.ContainsAny(s, "`\r") && utf8.ValidString(s) && strings.HasPrefix(lit, `"`) && isPrintable(s) {
			t.Errorf("GoString(%q) is not a raw string though it could be: %s", s, lit)
		}
	})
}

func isPrintable(s string) bool {
	for _, c := range s {
		if c != '\n' && c != '\t' && !strconv.IsPrint(c) || c == '\ufeff' {
			return false
		}
	}
	return true
}

// FuzzQuoters: the Python and JavaScript literals are single lines (but
// for a template literal's newlines), never hold the closing quote
// unescaped, keep "</" out of JavaScript, and escape what is not
// printable. TestQuotersReadBack runs them through the languages.
func FuzzQuoters(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // the quoters take text; bodies that are not use bytes
		}
		for name, lit := range map[string]string{"PyString": snippet.PyString(s), "JSString": snippet.JSString(s), "JSTemplate": snippet.JSTemplate(s)} {
			q := lit[:1]
			inner := lit[1 : len(lit)-1]
			if !strings.HasSuffix(lit, q) || unescaped(inner, q[0]) {
				t.Fatalf("%s(%q) = %s: an unescaped quote inside", name, s, lit)
			}
			if strings.ContainsAny(inner, "\r\x00") || (name != "JSTemplate" && strings.Contains(inner, "\n")) {
				t.Fatalf("%s(%q) = %s holds a raw line break or NUL", name, s, lit)
			}
			if name != "PyString" && strings.Contains(inner, "</") {
				t.Fatalf("%s(%q) = %s holds </", name, s, lit)
			}
			if name == "JSTemplate" && unescaped(inner, '$') {
				t.Fatalf("%s(%q) = %s holds a substitution", name, s, lit)
			}
		}
	})
}

// unescaped reports whether inner holds q not preceded by an odd run of
// backslashes.
func unescaped(inner string, q byte) bool {
	bs := 0
	for i := 0; i < len(inner); i++ {
		switch inner[i] {
		case '\\':
			bs++
			continue
		case q:
			if bs%2 == 0 {
				return true
			}
		}
		bs = 0
	}
	return false
}

// TestQuotersReadBack has python3 and node read every hostile string's
// literal and print its UTF-8 bytes in hex: they must be the input's.
// PyBytes is read back too, with bytes that are not UTF-8.
func TestQuotersReadBack(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	var py, js strings.Builder
	py.WriteString("import sys\nfor s in [\n")
	js.WriteString("const all = [\n")
	for _, s := range hostileStrings {
		py.WriteString("    " + snippet.PyString(s) + ".encode(),\n    " + snippet.PyBytes(s) + ",\n")
		js.WriteString("  " + snippet.JSString(s) + ",\n  " + snippet.JSTemplate(s) + ",\n")
	}
	py.WriteString("    " + snippet.PyBytes("\xff\xfe\x00\xc3'\\") + ",\n]:\n    print(s.hex())\n")
	js.WriteString("];\nfor (const s of all) console.log(Buffer.from(s, \"utf8\").toString(\"hex\"));\n")
	var want []string
	for _, s := range hostileStrings {
		want = append(want, hex.EncodeToString([]byte(s)), hex.EncodeToString([]byte(s)))
	}
	for _, tc := range []struct{ bin, file, code, extra string }{
		{"python3", "q.py", py.String(), hex.EncodeToString([]byte("\xff\xfe\x00\xc3'\\"))},
		{"node", "q.mjs", js.String(), ""},
	} {
		path := filepath.Join(dir, tc.file)
		must(t, os.WriteFile(path, []byte(tc.code), 0o644))
		out, err := exec.Command(tc.bin, path).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s\n%s", tc.bin, err, out, tc.code)
		}
		w := want
		if tc.extra != "" {
			w = append(w, tc.extra)
		}
		got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		if len(got) != len(w) {
			t.Fatalf("%s printed %d lines, want %d:\n%s", tc.bin, len(got), len(w), out)
		}
		for i := range w {
			if got[i] != w[i] {
				t.Errorf("%s read %q back as %s, want %s", tc.bin, hostileStrings[i/2], got[i], w[i])
			}
		}
	}
}
