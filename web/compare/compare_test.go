package compare

import (
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/tokens"
)

func service(tb testing.TB) *draft.Service {
	tb.Helper()
	c, err := catalog.Default()
	if err != nil {
		tb.Fatal(err)
	}
	return &draft.Service{Catalog: c, Getenv: func(string) string { return "" }, Tokens: &tokens.Counter{}}
}

const (
	chatModel = "seed002.gpt-5.4"
	respModel = "seed003.gpt-5.4-pro"
)

func TestResolveInheritsAndOverrides(t *testing.T) {
	svc := service(t)
	base := Base{Provider: "sim", Model: chatModel, Form: form.Decode(url.Values{
		"messages.role": {"user"}, "messages.content": {"Say hi"}, "temperature": {"0.5"}, "stream": {"true"},
	})}
	l := Layout{Panes: []Pane{
		{Provider: "sim", Model: chatModel},
		{Provider: "sim", Model: chatModel, Overrides: texts(map[string]string{"temperature": "1.4", "top_p": ""})},
		{Provider: "sim", Model: respModel, Overrides: texts(map[string]string{"reasoning_effort": "high", "temperature": "1"})},
		{Provider: "nope", Model: "gone"},
	}}
	rs := Resolve(svc, base, l)
	if len(rs) != 4 {
		t.Fatalf("%d panes", len(rs))
	}
	param := func(r Resolved, name string) Param {
		for _, p := range r.Params {
			if p.Field.Name == name {
				return p
			}
		}
		t.Fatalf("pane %d has no %s", r.Index, name)
		return Param{}
	}
	if p := param(rs[0], "temperature"); p.Value != "0.5" || p.Override {
		t.Errorf("pane 0 inherits temperature: %+v", p)
	}
	if p := param(rs[1], "temperature"); p.Value != "1.4" || p.Inherited != "0.5" || !p.Override {
		t.Errorf("pane 1 overrides temperature: %+v", p)
	}
	if p := param(rs[1], "top_p"); p.Override {
		t.Errorf("an override equal to the inherited value is none: %+v", p)
	}
	if !strings.Contains(string(rs[1].Draft.Request.Body), `"temperature": 1.4`) || !strings.Contains(string(rs[1].Draft.Request.Body), "Say hi") {
		t.Errorf("pane 1 request:\n%s", rs[1].Draft.Request.Body)
	}
	// A Responses model takes the prompt as input, and a field it lacks is
	// no override.
	if rs[2].Draft.Request == nil || !strings.Contains(string(rs[2].Draft.Request.Body), "Say hi") || !strings.Contains(string(rs[2].Draft.Request.Body), `"effort": "high"`) {
		t.Errorf("pane 2 request: %v\n%v", rs[2].Draft.Errors, rs[2].Draft.Request)
	}
	if _, ok := rs[2].Pane.Overrides["temperature"]; ok {
		t.Error("an override of a field the model lacks was kept")
	}
	if rs[3].Pane.Provider == "nope" || rs[3].Draft.Request == nil {
		t.Errorf("an unknown model falls back: %+v", rs[3].Pane)
	}
	norm := LayoutOf(l, rs)
	if len(norm.Panes[1].Overrides) != 1 || norm.Panes[1].Overrides["temperature"].String() != "1.4" {
		t.Errorf("normalized overrides %v", norm.Panes[1].Overrides)
	}
}

func TestResolveShowsErrorsPerPane(t *testing.T) {
	svc := service(t)
	base := Base{Provider: "sim", Model: chatModel}
	rs := Resolve(svc, base, Layout{Panes: []Pane{{Provider: "sim", Model: chatModel, Overrides: texts(map[string]string{"temperature": "9"})}}})
	for _, p := range rs[0].Params {
		if p.Field.Name == "temperature" && p.Error == "" {
			t.Fatal("temperature 9 has no error")
		}
	}
	if rs[0].Draft.Request != nil {
		t.Fatal("a pane with an error has a request")
	}
}

func TestApplyForm(t *testing.T) {
	svc := service(t)
	m, _ := svc.Catalog.Model("sim", chatModel)
	base := Base{Provider: "sim", Model: chatModel, Form: form.Decode(url.Values{"messages.role": {"user"}, "messages.content": {"old"}, "temperature": {"0.2"}})}
	nb, l := ApplyForm(base, m, form.Decode(url.Values{
		"messages.role": {"system", "user"}, "messages.content": {"be brief", "new prompt"},
		"temperature":     {"1.9"}, // not a prompt field: the base keeps its own
		"pane.0.provider": {"sim"}, "pane.0.model": {chatModel}, "pane.0.f.temperature": {"0"},
		"pane.2.provider": {"sim"}, "pane.2.model": {respModel},
		"sweep_field": {"temperature"},
	}))
	if nb.Form.Values().Get("temperature") != "0.2" || strings.Join(nb.Form.Values()["messages.content"], "|") != "be brief|new prompt" {
		t.Errorf("base %v", nb.Form)
	}
	if base.Form.Values().Get("messages.content") != "old" {
		t.Error("ApplyForm changed its input")
	}
	if len(l.Panes) != 2 || l.Panes[0].Overrides["temperature"].String() != "0" || l.Panes[1].Model != respModel || l.SweepField != "temperature" {
		t.Errorf("layout %+v", l)
	}
}

func TestLayoutEdits(t *testing.T) {
	l := Fresh(Base{Provider: "sim", Model: chatModel})
	l.Panes[1].Overrides = texts(map[string]string{"temperature": "1"})
	for range 10 {
		l = l.Add()
	}
	if len(l.Panes) != MaxPanes || l.Panes[5].Overrides["temperature"].String() != "1" {
		t.Fatalf("add: %d panes", len(l.Panes))
	}
	l.Panes[5].Overrides["temperature"] = form.Text("2")
	if l.Panes[4].Overrides["temperature"].String() != "1" {
		t.Fatal("an added pane shares its overrides with the one it copied")
	}
	for range 10 {
		l = l.Remove(0)
	}
	if len(l.Panes) != MinPanes {
		t.Fatalf("remove: %d panes", len(l.Panes))
	}
	l = l.SetModel(0, "openai", chatModel)
	if l.Panes[0].Model != "" {
		t.Fatal("a new provider keeps the old model id")
	}
	if l2 := l.Remove(7).SetModel(9, "x", "y"); len(l2.Panes) != len(l.Panes) {
		t.Fatal("out-of-range edits changed the layout")
	}
}

func TestSweep(t *testing.T) {
	svc := service(t)
	m, _ := svc.Catalog.Model("sim", chatModel)
	base := Base{Provider: "sim", Model: chatModel}
	for _, tc := range []struct {
		field, values string
		panes         int
		errField      string
		errHas        string
	}{
		{"temperature", "0, 0.7, 1.4", 3, "", ""},
		{"temperature", "0,1,,", 2, "", ""},
		{"reasoning_effort", "low, high", 2, "", ""},
		{"temperature", "0.5", 0, "sweep_values", "2 to 6 values"},
		{"temperature", "0,1,2,0.1,0.2,0.3,0.4", 0, "sweep_values", "gave 7"},
		{"temperature", "0, hot", 0, "sweep_values", "“hot”"},
		{"temperature", "0, 5", 0, "sweep_values", "“5”"},
		{"reasoning_effort", "low, extreme", 0, "sweep_values", "“extreme”"},
		{"messages", "a, b", 0, "sweep_field", "Pick a parameter"},
		{"nope", "1, 2", 0, "sweep_field", "Pick a parameter"},
	} {
		l, errs := Sweep(base, m, tc.field, tc.values)
		if tc.errField == "" {
			if len(errs) > 0 || len(l.Panes) != tc.panes {
				t.Errorf("%s=%q: %v, %d panes", tc.field, tc.values, errs, len(l.Panes))
			}
			continue
		}
		if !strings.Contains(errs[tc.errField], tc.errHas) {
			t.Errorf("%s=%q: errors %v, want %s containing %q", tc.field, tc.values, errs, tc.errField, tc.errHas)
		}
	}
	l, _ := Sweep(base, m, "temperature", "0, 0.7, 1.4")
	rs := Resolve(svc, base, l)
	for i, want := range []string{"0", "0.7", "1.4"} {
		if !strings.Contains(string(rs[i].Draft.Request.Body), `"temperature": `+want) {
			t.Errorf("pane %d body lacks temperature %s:\n%s", i, want, rs[i].Draft.Request.Body)
		}
	}
	if fs := SweepFields(m); len(fs) == 0 {
		t.Fatal("no sweepable fields")
	}
}

func TestWords(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"the quick brown fox", "the quick brown fox", "the quick brown fox"},
		{"the quick brown fox", "the slow brown fox", "the [-quick-]{+slow+} brown fox"},
		{"Hello, world.", "Hello world!", "Hello[-,-] world[-.-]{+!+}"},
		{"", "new text", "{+new text+}"},
		{"old text", "", "[-old text-]"},
		{"naïve café", "naïve cafe", "naïve [-café-]{+cafe+}"},
		{"a b c d", "a c d e", "a [-b -]c d{+ e+}"},
		// Changes parted only by a short equality (a space, a short word)
		// read as one removed and one added run; a longer shared stretch
		// stays shared.
		{"Gravity is not a force", "Gravity holds the planets", "Gravity [-is not a force-]{+holds the planets+}"},
		{"A cat sat on the mat", "A dog sat on the rug", "A [-cat-]{+dog+} sat on the [-mat-]{+rug+}"},
		{"one two three", "uno dos tres", "[-one two three-]{+uno dos tres+}"},
		{"keep this\n\nand this", "keep that\n\nand this", "keep [-this-]{+that+}\n\nand this"},
	} {
		if got := marked(Words(tc.a, tc.b)); got != tc.want {
			t.Errorf("Words(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
	if Changed(Words("same", "same")) || !Changed(Words("a", "b")) {
		t.Error("Changed")
	}
	// Many distinct words (more than fit below the surrogate range) map to
	// valid runes and back.
	var a, b strings.Builder
	for i := range 56000 {
		a.WriteString("w")
		a.WriteString(strings.Repeat("x", i%7))
		a.WriteString(string(rune('a'+i%26)) + string(rune('a'+(i/26)%26)) + string(rune('a'+(i/676)%26)) + " ")
	}
	b.WriteString(a.String() + "tail")
	segs := Diff(a.String(), b.String(), DiffLimits{MaxTokens: 200_000}).Segments
	if !Changed(segs) {
		t.Fatal("a long text's change was missed")
	}
}

func TestOnlyDifferences(t *testing.T) {
	long := strings.Repeat("same words here ", 20)
	segs := Words(long+"old ending", long+"new ending")
	short := OnlyDifferences(segs, 3)
	var shown, all strings.Builder
	folded := 0
	for _, s := range short {
		all.WriteString(s.Text)
		if s.Folded {
			folded += s.Words
			continue
		}
		shown.WriteString(s.Text)
	}
	// What is not folded is short and holds the change; the folded words
	// are counted, and nothing is lost.
	if folded == 0 || len(shown.String()) > 120 || !strings.Contains(shown.String(), "old") {
		t.Fatalf("only differences: %q, %d folded", shown.String(), folded)
	}
	rebuilds(t, short, long+"old ending", long+"new ending")
	if folded != 60-3 {
		t.Errorf("%d words folded, want 57 (60 before the change, 3 kept)", folded)
	}
}

func TestDifferingParams(t *testing.T) {
	a := Side{Provider: "sim", Model: "m1", Form: form.Decode(url.Values{"temperature": {"0"}, "messages.content": {"p"}, "_provider": {"sim"}, "top_p": {""}})}
	b := Side{Provider: "sim", Model: "m2", Form: form.Decode(url.Values{"temperature": {"1.4"}, "messages.content": {"p"}, "_provider": {"x"}, "seed": {"7"}})}
	rows := DifferingParams(a, b)
	var names []string
	for _, r := range rows {
		names = append(names, r.Name+"="+r.A+"/"+r.B)
	}
	if got := strings.Join(names, " "); got != "model=m1/m2 seed=/7 temperature=0/1.4" {
		t.Fatalf("rows %s", got)
	}
}

func TestOnePromptFeedsEveryStyle(t *testing.T) {
	svc := service(t)
	base := Base{Provider: "sim", Model: chatModel, Form: form.Decode(url.Values{
		"messages.role": {"system", "user"}, "messages.content": {"Answer in French.", "What is the sea?"},
	})}
	rs := Resolve(svc, base, Layout{Panes: []Pane{
		{Provider: "sim", Model: chatModel},
		{Provider: "sim", Model: respModel},
		{Provider: "sim", Model: "seed000.gpt-5.4-pro"},
	}})
	if got := rs[0].Draft.Form.Values(); strings.Join(got["messages.role"], ",") != "system,user" || got["messages.content"][1] != "What is the sea?" {
		t.Errorf("chat pane: %v", got)
	}
	if f := rs[1].Draft.Form.Values(); f.Get("system_prompt") != "Answer in French." || strings.Join(f["messages.content"], "|") != "What is the sea?" {
		t.Errorf("responses pane: %v", f)
	}
	if f := rs[2].Draft.Form.Values(); f.Get("prompt") != "Answer in French.\n\nWhat is the sea?" {
		t.Errorf("completions pane: %q", f["prompt"])
	}
	// And back: a Responses base feeds a chat pane.
	base = Base{Provider: "sim", Model: respModel, Form: form.Decode(url.Values{"system_prompt": {"Be terse."}, "messages.role": {"user"}, "messages.content": {"Name a colour."}})}
	rs = Resolve(svc, base, Layout{Panes: []Pane{{Provider: "sim", Model: chatModel}}})
	if f := rs[0].Draft.Form.Values(); strings.Join(f["messages.content"], "|") != "Be terse.|Name a colour." || f["messages.role"][0] != "system" {
		t.Errorf("chat pane from a Responses base: %v", f)
	}
}

// FuzzWords checks the diff's invariant on any two texts: the equal and
// removed parts spell the first text, the equal and added parts the second.
func FuzzWords(f *testing.F) {
	f.Add("the quick brown fox", "the slow brown fox")
	f.Add("", "x")
	f.Add("a\u2028b c", "naïve — café")
	f.Fuzz(func(t *testing.T, a, b string) {
		// The default limits, and a tiny token limit that cuts most texts.
		for _, segs := range [][]Segment{Words(a, b), Diff(a, b, DiffLimits{MaxTokens: 5}).Segments} {
			rebuilds(t, segs, a, b)
		}
	})
}

// texts are overrides as a layout holds them, from their written values.
func texts(vs map[string]string) map[string]form.Input {
	out := map[string]form.Input{}
	for k, v := range vs {
		out[k] = form.Text(v)
	}
	return out
}

// TestOverridesCompareAsValues: an override that writes the inherited
// value another way (0.70 for 0.7) overrides nothing.
func TestOverridesCompareAsValues(t *testing.T) {
	svc := service(t)
	base := Base{Provider: "sim", Model: chatModel, Form: form.Decode(url.Values{"messages.content": {"Say hi"}, "temperature": {"0.7"}})}
	rs := Resolve(svc, base, Layout{Panes: []Pane{
		{Provider: "sim", Model: chatModel, Overrides: texts(map[string]string{"temperature": "0.70"})},
		{Provider: "sim", Model: chatModel, Overrides: texts(map[string]string{"temperature": "0.75"})},
	}})
	for _, p := range rs[0].Params {
		if p.Field.Name == "temperature" && p.Override {
			t.Errorf("0.70 overrides an inherited 0.7: %+v", p)
		}
	}
	if _, ok := rs[0].Pane.Overrides["temperature"]; ok {
		t.Error("the equal override was kept")
	}
	if got := rs[1].Pane.Overrides["temperature"]; got.String() != "0.75" {
		t.Errorf("a different value: %+v", rs[1].Pane.Overrides)
	}
}

// TestStoredLayoutsBeforeTypedDrafts: a session's base form and panes as
// they were kept before drafts were typed (the posted form, overrides as
// strings) load, and are kept again typed.
func TestStoredLayoutsBeforeTypedDrafts(t *testing.T) {
	dir := t.TempDir()
	saved, err := draft.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	layouts, err := draft.OpenNamed(dir, "layouts")
	if err != nil {
		t.Fatal(err)
	}
	oldBase := `{"provider":"sim","model":"` + chatModel + `","form":{"messages.role":["user"],"messages.content":["Say hi"],"temperature":["0.5"]}}`
	oldLayout := `{"panes":[{"provider":"sim","model":"` + chatModel + `"},{"provider":"sim","model":"` + chatModel + `","overrides":{"temperature":"1.4"}}]}`
	if saved.Put("o", json.RawMessage(oldBase)) != nil || layouts.Put("o", json.RawMessage(oldLayout)) != nil {
		t.Fatal("could not write the old files")
	}
	s := &Service{Saved: saved, Layouts: layouts, Log: slog.New(slog.DiscardHandler)}
	st := s.Preview("o", service(t), form.Draft{})
	if rows := st.Base.Form.MessageRows("messages"); len(rows) != 1 || rows[0].Content != "Say hi" || st.Base.Form.Text("temperature") != "0.5" {
		t.Fatalf("base %+v", st.Base.Form)
	}
	if len(st.Resolved) != 2 || !strings.Contains(string(st.Resolved[1].Draft.Request.Body), `"temperature": 1.4`) ||
		!strings.Contains(string(st.Resolved[0].Draft.Request.Body), `"temperature": 0.5`) {
		t.Fatalf("panes %+v", st.Layout)
	}
	var again Layout
	if !layouts.Get("o", &again) || again.Panes[1].Overrides["temperature"].Shape != form.ShapeText || again.Panes[1].Overrides["temperature"].Text != "1.4" {
		t.Errorf("kept again as %+v", again)
	}
	var b Base
	if !saved.Get("o", &b) || b.Form.Text("temperature") != "0.5" {
		t.Errorf("base kept again as %+v", b)
	}
}
