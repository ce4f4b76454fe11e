package vars

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/problem"
)

func TestParse(t *testing.T) {
	tests := map[string]struct {
		text  string
		names []string
		err   string
	}{
		"no variables":           {text: "Hello.", names: nil},
		"empty":                  {text: "", names: nil},
		"one":                    {text: "Weather in {{city}}?", names: []string{"city"}},
		"spaces trimmed":         {text: "{{ city }} and {{\tdate\t}}", names: []string{"city", "date"}},
		"order of first use":     {text: "{{b}} {{a}} {{b}} {{c}} {{a}}", names: []string{"b", "a", "c"}},
		"name characters":        {text: "{{user.name}} {{item-2}} {{_x}} {{A9}}", names: []string{"user.name", "item-2", "_x", "A9"}},
		"case-sensitive":         {text: "{{City}} {{city}}", names: []string{"City", "city"}},
		"adjacent":               {text: "{{a}}{{b}}", names: []string{"a", "b"}},
		"escape":                 {text: `{{"{{"}}city}}`, names: nil},
		"escape with spaces":     {text: `{{ "{{" }}`, names: nil},
		"lone closing":           {text: "a }} b }", names: nil},
		"single brace":           {text: "{a} {", names: nil},
		"json braces":            {text: `{"a": {"b": {{n}}}}`, names: []string{"n"}},
		"unclosed":               {text: "Tell me about {{city", err: "unclosed {{ at 14"},
		"unclosed after another": {text: "{{a}} {{", err: "unclosed {{ at 6"},
		"empty name":             {text: "x {{}}", err: `bad variable name "" at 2`},
		"blank name":             {text: "{{   }}", err: `bad variable name "" at 0`},
		"space inside name":      {text: "{{first name}}", err: `bad variable name "first name" at 0`},
		"triple braces":          {text: "{{{x}}}", err: `bad variable name "{x" at 0`},
		"nested":                 {text: "{{ {{x}} }}", err: `bad variable name "{{x" at 0`},
		"unicode name refused":   {text: "ok {{città}}", err: `bad variable name "città" at 3`},
		"newline inside":         {text: "{{a\n}}", err: `bad variable name "a\n" at 0`},
		"single-quoted escape":   {text: "{{'{{'}}", err: `bad variable name "'{{'" at 0`},
		"offset is in bytes":     {text: "é {{", err: "unclosed {{ at 3"},
		"escape then bad":        {text: `{{"{{"}} {{x y}}`, err: `bad variable name "x y" at 9`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tpl, err := Parse(tc.text)
			if tc.err != "" {
				var se *SyntaxError
				if !errors.As(err, &se) || err.Error() != tc.err {
					t.Fatalf("Parse(%q) error = %v, want %q", tc.text, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.text, err)
			}
			if got := tpl.Names(); !slices.Equal(got, tc.names) {
				t.Fatalf("Names() = %q, want %q", got, tc.names)
			}
		})
	}
}

func TestFill(t *testing.T) {
	tests := map[string]struct {
		text   string
		values map[string]string
		want   string
		err    string
	}{
		"filled":             {"Weather in {{ city }} on {{date}}.", map[string]string{"city": "Oslo", "date": "Monday"}, "Weather in Oslo on Monday.", ""},
		"repeated":           {"{{a}}-{{a}}", map[string]string{"a": "x"}, "x-x", ""},
		"empty value":        {"[{{a}}]", map[string]string{"a": ""}, "[]", ""},
		"extra values":       {"{{a}}", map[string]string{"a": "1", "b": "2"}, "1", ""},
		"value not expanded": {"{{a}}", map[string]string{"a": "{{b}}", "b": "no"}, "{{b}}", ""},
		"value with escape":  {"{{a}}", map[string]string{"a": Literal}, Literal, ""},
		"escape filled":      {`{{"{{"}}a}} = {{a}}`, map[string]string{"a": "1"}, "{{a}} = 1", ""},
		"no variables":       {"plain }} {", nil, "plain }} {", ""},
		"one missing":        {"{{a}} {{b}}", map[string]string{"a": "1"}, "", "no value for {{b}}"},
		"all missing named":  {"{{b}} {{a}} {{b}}", nil, "", "no value for {{b}}, {{a}}"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tpl, err := Parse(tc.text)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := tpl.Fill(tc.values)
			if tc.err != "" {
				var me *MissingError
				if !errors.As(err, &me) || err.Error() != tc.err {
					t.Fatalf("Fill error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Fill = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	got, err := Names("{{a}} {{b}}", "", "{{c}} {{a}}")
	if err != nil || !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("Names = %q, %v", got, err)
	}
	if _, err := Names("{{a}}", "{{b"); err == nil || err.Error() != "unclosed {{ at 0" {
		t.Fatalf("Names with a bad text: %v", err)
	}
}

func TestEscape(t *testing.T) {
	for _, s := range []string{"", "plain", "{{", "{{{", "{{{{", "{{x}}", `{{"{{"}}`, "}}{{", "a{{b}}c{{", "{{ city }}", "é{{😀}}"} {
		esc := Escape(s)
		tpl, err := Parse(esc)
		if err != nil {
			t.Fatalf("Parse(Escape(%q)) = %v", s, err)
		}
		if n := tpl.Names(); n != nil {
			t.Fatalf("Escape(%q) has variables %q", s, n)
		}
		if got, err := tpl.Fill(nil); err != nil || got != s {
			t.Fatalf("Fill(Escape(%q)) = %q, %v", s, got, err)
		}
	}
}

func TestProblems(t *testing.T) {
	_, err := Parse("{{x")
	p := problem.Of(err)
	if p.Kind != problem.KindInvalid || p.Message != "unclosed {{ at 0." || !strings.Contains(p.Hint, Literal) {
		t.Fatalf("syntax problem = %+v", p)
	}
	tpl, _ := Parse("{{x}}")
	_, err = tpl.Fill(nil)
	if p := problem.Of(err); p.Kind != problem.KindInvalid || p.Message != "No value for {{x}}." {
		t.Fatalf("missing problem = %+v", p)
	}
}

func TestHostileTexts(t *testing.T) {
	mb := strings.Repeat("Lorem ipsum {{word}} dolor }} { ", 1<<20/32)
	tpl, err := Parse(mb)
	if err != nil {
		t.Fatalf("1 MB text: %v", err)
	}
	got, err := tpl.Fill(map[string]string{"word": "{{word}}"})
	if err != nil || got != mb {
		t.Fatalf("1 MB fill with the variable as its own value changed the text (%d bytes, %v)", len(got), err)
	}
	// An unclosed {{ at the end of a megabyte is found at its offset.
	long := strings.Repeat("a", 1<<20) + "{{"
	if _, err := Parse(long); err == nil || err.Error() != "unclosed {{ at 1048576" {
		t.Fatalf("unclosed at the end of 1 MB: %v", err)
	}
	// Many opening braces: each is an error or an escape, never a panic.
	if _, err := Parse(strings.Repeat("{", 1<<16)); err == nil {
		t.Fatal("65536 opening braces parsed")
	}
	esc := Escape(strings.Repeat("{", 1<<16))
	if tpl, err := Parse(esc); err != nil || len(tpl.Names()) != 0 {
		t.Fatalf("escaped braces: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "{{a}}", "{{ a }} {{b}}", `{{"{{"}}`, "{{{x}}}", "{{", "}}", "{{a", "{{ {{x}} }}", "é{{città}}", "{{a.b-c_d}}{{a.b-c_d}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Escape is the inverse of filling.
		tpl, err := Parse(Escape(s))
		if err != nil {
			t.Fatalf("Parse(Escape(%q)): %v", s, err)
		}
		if got, err := tpl.Fill(nil); err != nil || got != s {
			t.Fatalf("Fill(Escape(%q)) = %q, %v", s, got, err)
		}
		tpl, err = Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(s)-2 || s[se.Offset:se.Offset+2] != "{{" {
				t.Fatalf("Parse(%q) error %v is not at a {{", s, err)
			}
			return
		}
		// Names round-trip: each is valid, and filling each variable with
		// its own {{name}} gives back a text with the same names.
		names := tpl.Names()
		values := map[string]string{}
		for _, n := range names {
			if !ValidName(n) {
				t.Fatalf("Parse(%q) gave the name %q", s, n)
			}
			values[n] = "{{" + n + "}}"
		}
		filled, err := tpl.Fill(values)
		if err != nil {
			t.Fatalf("Fill with every name: %v", err)
		}
		if strings.Contains(s, `"{{"`) {
			return // an escape's literal {{ may join the text beside it
		}
		again, err := Parse(filled)
		if err != nil {
			t.Fatalf("Parse(%q) (filled from %q): %v", filled, s, err)
		}
		if got := again.Names(); !slices.Equal(got, names) {
			t.Fatalf("names of %q = %q, refilled %q = %q", s, names, filled, got)
		}
		// Filling with values that hold braces inserts them as they are.
		for _, n := range names {
			values[n] = "{{" + n
		}
		if _, err := tpl.Fill(values); err != nil {
			t.Fatalf("Fill with brace values: %v", err)
		}
	})
}
