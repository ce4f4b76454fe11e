package form

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
)

func defaultModel(t *testing.T, provider, model string) *catalog.Model {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	m, ok := cat.Model(provider, model)
	if !ok {
		t.Fatalf("no model %s/%s", provider, model)
	}
	return m
}

// TestRows: each row field's rows read from its inputs (a row without a
// role is the user's; a missing part reads empty), and written back read
// the same.
func TestRows(t *testing.T) {
	msgs := catalog.Field{Name: "messages", Type: catalog.TypeMessages}
	in := url.Values{"messages.role": {"system"}, "messages.content": {"Be brief.", "Hi"}, "messages.tool_call_id": {"", "call_1"}}
	want := []MessageRow{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi", ToolCallID: "call_1"}}
	if got := MessageRows(msgs, in); !reflect.DeepEqual(got, want) {
		t.Errorf("messages: %+v", got)
	}
	out := Draft{"messages": Messages(want...)}.Values()
	if got := MessageRows(msgs, out); got[0].Role != "system" || got[1].Role != "user" || got[1].Content != "Hi" || len(got) != 2 {
		t.Errorf("written back: %+v", got)
	}
	imgs := catalog.Field{Name: "images", Type: catalog.TypeImageURLs}
	if got := ImageRows(imgs, url.Values{"images.url": {"https://a", "https://b"}, "images.detail": {"low"}}); !reflect.DeepEqual(got, []ImageRow{{"https://a", "low"}, {"https://b", ""}}) {
		t.Errorf("images: %+v", got)
	}
	fns := catalog.Field{Name: "tools", Type: catalog.TypeFunctions}
	if got := FunctionRows(fns, url.Values{"tools.name": {"f"}, "tools.parameters": {"{}"}}); !reflect.DeepEqual(got, []FunctionRow{{Name: "f", Parameters: "{}"}}) {
		t.Errorf("functions: %+v", got)
	}
	for _, c := range []struct {
		f    catalog.Field
		want []string
	}{
		{msgs, []string{"messages.role", "messages.content", "messages.tool_calls", "messages.tool_call_id", "messages.reasoning"}},
		{imgs, []string{"images.url", "images.detail"}},
		{catalog.Field{Name: "temperature", Type: catalog.TypeNumber}, []string{"temperature"}},
	} {
		if got := InputNames(c.f); !reflect.DeepEqual(got, c.want) {
			t.Errorf("InputNames(%s) = %v", c.f.Name, got)
		}
	}
	if !Present(imgs, url.Values{"images.url": {""}}) || Present(imgs, url.Values{"images.detail": {"low"}}) {
		t.Error("Present reads an image field by its URLs")
	}
}

func TestPromptText(t *testing.T) {
	resp := defaultModel(t, "sim", "seed003.gpt-5.4-pro")
	got := PromptText(resp, Decode(url.Values{"system_prompt": {"Be terse."}, "messages.role": {"user", "user"}, "messages.content": {"Name a colour.", " "}}))
	if got != "Be terse.\nName a colour." {
		t.Errorf("responses: %q (instructions are part of the prompt)", got)
	}
	comp := defaultModel(t, "sim", "seed000.gpt-5.4-pro")
	if got := PromptText(comp, Decode(url.Values{"prompt": {"A", "B"}})); got != "A\nB" {
		t.Errorf("completions: %q", got)
	}
}
