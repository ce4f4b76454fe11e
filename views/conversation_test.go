package views

import (
	"net/url"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/draft"
	formpkg "github.com/playground-dev/playground/web/form"
)

// TestTranscriptStructure: a chat model's messages are drawn as the
// transcript, one turn per row with its actions; an assistant turn shows
// its tool calls and the tool turn names the call it answers, its text the
// result box; a previous response id is cleared by New conversation.
func TestTranscriptStructure(t *testing.T) {
	svc := drafts(t)
	p, m := chatModel(t, svc)
	form := url.Values{
		"messages.role":         {"system", "user", "assistant", "tool"},
		"messages.content":      {"Be brief.", "Weather in Paris?", "", "18 C"},
		"messages.tool_calls":   {"", "", `[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]`, ""},
		"messages.tool_call_id": {"", "", "", "call_1"},
	}
	r := svc.Prepare(draft.Input{Provider: p.ID, Model: m.ID, Form: formpkg.Decode(form)})
	d := render(t, PlaygroundPage(Page{Title: "Playground", Workspace: NewWorkspace(svc.Catalog, r, svc.KeySource)}))

	count(t, d, tid("field-messages", "transcript"), 1)
	count(t, d, tid("transcript", "new-conversation"), 1)
	count(t, d, tid("transcript", "message-row"), 4)
	for _, id := range []string{"edit-turn", "regenerate", "delete-turn", "copy-text", "copy-markdown"} {
		count(t, d, tid("transcript", id), 4)
	}
	count(t, d, tid("transcript", "turn-tool-call"), 1)
	if got := text(d, tid("turn-tool-call")); !strings.Contains(got, "get_weather") || !strings.Contains(got, "call_1") || !strings.Contains(got, `"city": "Paris"`) {
		t.Errorf("the tool call: %q", got)
	}
	if got := text(d, tid("turn-result-of")); !strings.Contains(got, "Result of get_weather") {
		t.Errorf("the tool turn: %q", got)
	}
	tool := d.Find(tid("message-row")).Eq(3)
	if tool.AttrOr("data-role", "") != "tool" || strings.TrimSpace(tool.Find(tid("message-content")).Text()) != "18 C" {
		t.Errorf("the result box is not the tool turn's text")
	}
	// The transcript's inputs are the rows the form posts.
	if n := d.Find(`#draft [data-transcript] textarea[name="messages.content"]`).Length(); n != 4 {
		t.Errorf("%d content inputs in the transcript", n)
	}
}

func TestNewConversationClearsThePreviousResponse(t *testing.T) {
	svc := drafts(t)
	r := svc.Prepare(draft.Input{Provider: "openai", Model: "gpt-5-mini", Form: formpkg.Decode(url.Values{"previous_response_id": {"resp_1"}})})
	d := render(t, PlaygroundPage(Page{Title: "Playground", Workspace: NewWorkspace(svc.Catalog, r, svc.KeySource)}))
	if n := d.Find(`[data-conversation-reset]`).Length(); n != 1 {
		t.Errorf("%d inputs cleared by New conversation, want the previous response id's", n)
	}
}
