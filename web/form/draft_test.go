package form

import (
	"encoding/json"
	"net/url"
	"reflect"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
)

// TestEveryFieldTypeHasAKind: the kinds table has an entry for every
// field type the catalog accepts (adding a type adds its kind here).
func TestEveryFieldTypeHasAKind(t *testing.T) {
	for _, ty := range catalog.FieldTypes {
		k, ok := kinds[ty]
		if !ok || k.shape == nil || k.check == nil {
			t.Errorf("no kind for %s", ty)
		}
	}
	if len(kinds) != len(catalog.FieldTypes) {
		t.Errorf("%d kinds for %d field types", len(kinds), len(catalog.FieldTypes))
	}
}

// TestDecodeAndValues: a posted form decodes by the row grammar alone
// (texts, lists, rows; inputs that name no field come along), and its
// Values post it again.
func TestDecodeAndValues(t *testing.T) {
	posted := url.Values{
		"_provider": {"sim"}, "pane.0.f.name": {"x"},
		"temperature": {"0.70"}, "stream": {"false", "true"}, "stop": {"a", "b"},
		"messages.role": {"system", "user"}, "messages.content": {"Be brief.", "Hi"},
		"messages.tool_calls": {"", ""}, "messages.tool_call_id": {"", ""}, "messages.reasoning": {"", ""},
		"image_urls.url": {"https://a.test/x.png"}, "image_urls.detail": {"low"},
		"tools.name": {"f"}, "tools.description": {"d"}, "tools.parameters": {"{}"},
		"image_urls_only.detail": {"low"}, // no URLs: no rows
	}
	d := Decode(posted)
	want := Draft{
		"_provider": Text("sim"), "pane.0.f.name": Text("x"),
		"temperature": Text("0.70"), "stream": List("false", "true"), "stop": List("a", "b"),
		"messages":   Messages(MessageRow{Role: "system", Content: "Be brief."}, MessageRow{Role: "user", Content: "Hi"}),
		"image_urls": {Shape: ShapeImages, Images: []ImageRow{{URL: "https://a.test/x.png", Detail: "low"}}},
		"tools":      {Shape: ShapeFunctions, Functions: []FunctionRow{{Name: "f", Description: "d", Parameters: "{}"}}},
	}
	if !d.Equal(want) {
		t.Fatalf("decoded %+v", d)
	}
	back := posted
	delete(back, "image_urls_only.detail")
	if got := d.Values(); !reflect.DeepEqual(got, back) {
		t.Errorf("posted again as %v", got)
	}
	// A row without a role is the person's.
	if rows := Decode(url.Values{"m.content": {"hi"}}).MessageRows("m"); len(rows) != 1 || rows[0].Role != "user" {
		t.Errorf("rows %+v", rows)
	}
}

// TestRead: each kind reads an input as it holds it: a one-value field
// the first value (a checkbox the last), a list all its values (one value
// is a list of one), a row field only its own rows.
func TestRead(t *testing.T) {
	d := Draft{"n": List("0.5", "0.9"), "b": List("false", "true"), "p": Text("one"), "m": Text("not rows"), "e": List()}
	for _, c := range []struct {
		f    catalog.Field
		want Input
		ok   bool
	}{
		{catalog.Field{Name: "n", Type: catalog.TypeNumber}, Text("0.5"), true},
		{catalog.Field{Name: "b", Type: catalog.TypeBoolean}, Text("true"), true},
		{catalog.Field{Name: "p", Type: catalog.TypeText, MaxItems: 4}, List("one"), true},
		{catalog.Field{Name: "p", Type: catalog.TypeStringList}, List("one"), true},
		{catalog.Field{Name: "e", Type: catalog.TypeStringList}, List(), true},
		{catalog.Field{Name: "e", Type: catalog.TypeNumber}, Text(""), true},
		{catalog.Field{Name: "m", Type: catalog.TypeMessages}, Input{}, false},
		{catalog.Field{Name: "absent", Type: catalog.TypeNumber}, Input{}, false},
	} {
		got, ok := Read(c.f, d)
		if ok != c.ok || (ok && !got.equal(c.want)) {
			t.Errorf("%s as %s: %+v %v", c.f.Name, c.f.Type, got, ok)
		}
	}
}

// TestDraftJSON: a draft is stored as one shape per input and reads back
// equal; a draft stored before drafts were typed (the posted form) reads
// through Decode, and a bare string (an old compare override) as a text.
func TestDraftJSON(t *testing.T) {
	d := Draft{"temperature": Text("0.7"), "stop": List(), "prompt": List("a", "b"),
		"messages":   Messages(MessageRow{Role: "assistant", Content: "", ToolCalls: `[{"id":"c"}]`}),
		"image_urls": {Shape: ShapeImages, Images: []ImageRow{{URL: "https://a.test/x.png"}}}}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"image_urls":{"images":[{"url":"https://a.test/x.png"}]},"messages":{"messages":[{"role":"assistant","content":"","tool_calls":"[{\"id\":\"c\"}]"}]},` +
		`"prompt":{"list":["a","b"]},"stop":{"list":[]},"temperature":{"text":"0.7"}}`
	if string(b) != want {
		t.Errorf("stored as\n%s\nwant\n%s", b, want)
	}
	var back Draft
	if err := json.Unmarshal(b, &back); err != nil || !back.Equal(d) {
		t.Errorf("read back %+v, %v", back, err)
	}
	var old Draft
	if err := json.Unmarshal([]byte(`{"temperature":["0.7"],"messages.role":["user"],"messages.content":["Hi"],"stream":["false","true"]}`), &old); err != nil {
		t.Fatal(err)
	}
	if !old.Equal(Draft{"temperature": Text("0.7"), "messages": Messages(MessageRow{Role: "user", Content: "Hi"}), "stream": List("false", "true")}) {
		t.Errorf("old shape read as %+v", old)
	}
	var overrides map[string]Input
	if err := json.Unmarshal([]byte(`{"temperature":"1.4"}`), &overrides); err != nil || !overrides["temperature"].equal(Text("1.4")) {
		t.Errorf("a bare string: %+v, %v", overrides, err)
	}
	for _, bad := range []string{`{"t":{"text":"a","list":[]}}`, `{"t":{"shape":"x"}}`, `{"t":3}`} {
		if err := json.Unmarshal([]byte(bad), &old); err == nil {
			t.Errorf("%s read without an error", bad)
		}
	}
}

// TestSame: two inputs of a field are the same when their values are
// (0.70 is 0.7); inputs that do not check compare as written.
func TestSame(t *testing.T) {
	num := catalog.Field{Name: "t", Type: catalog.TypeNumber}
	flag := catalog.Field{Name: "s", Type: catalog.TypeBoolean, Initial: true}
	for _, c := range []struct {
		f    catalog.Field
		a, b Input
		same bool
	}{
		{num, Text("0.70"), Text("0.7"), true},
		{num, Text(" 1"), Text("1.0"), true},
		{num, Text("0.7"), Text("0.8"), false},
		{num, Text(""), Input{}, true},
		{num, Text(""), Text("0.7"), false},
		{num, Text("warm"), Text("warm"), true},
		{num, Text("warm"), Text("0.7"), false},
		{flag, Text("on"), Text("true"), true},
		{flag, Text("false"), Text("true"), false},
	} {
		if got := Same(c.f, c.a, c.b); got != c.same {
			t.Errorf("%s: Same(%q, %q) = %v", c.f.Type, c.a.Text, c.b.Text, got)
		}
	}
}

// TestIsPromptReadsTheRole: the prompt is the fields with the role, not a
// type or a transform.
func TestIsPromptReadsTheRole(t *testing.T) {
	if IsPrompt(catalog.Field{Name: "messages", Type: catalog.TypeMessages}) {
		t.Error("a field without the role is prompt")
	}
	if !IsPrompt(catalog.Field{Name: "context", Type: catalog.TypeText, Role: catalog.RolePrompt}) {
		t.Error("a field with the role is not prompt")
	}
}
