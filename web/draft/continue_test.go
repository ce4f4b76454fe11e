package draft

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
	formpkg "github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/run"
)

// continuePosted and continueStoredPosted continue a posted form and read
// the draft they make back as the page's inputs, which the tests assert.
func continuePosted(m *catalog.Model, in url.Values, out run.Output, results map[string]string) (url.Values, error) {
	next, err := Continue(m, formpkg.Decode(in), out, results)
	return next.Values(), err
}

func continueStoredPosted(m *catalog.Model, in url.Values, out run.Output, results map[string]string, id string) (url.Values, error) {
	next, err := ContinueStored(m, formpkg.Decode(in), out, results, id)
	return next.Values(), err
}

func TestContinue(t *testing.T) {
	s := newService(t, nil)
	chat, _ := s.Catalog.Model("sim", "seed002.deepseek-v4-pro")
	form := url.Values{"messages.role": {"system", "user"}, "messages.content": {"Be brief.", "Weather in Paris?"}, "temperature": {"0.3"}}

	// A tool call: the assistant turn, then a tool row per call.
	out := run.Output{Choices: []run.ChoiceOutput{{Reasoning: "Call the tool.", Tools: []run.ToolOutput{
		{ID: "call_1", Name: "get_weather", Args: `{"city":"Paris"}`}, {ID: "call_2", Name: "get_time", Args: `{}`}}}}}
	next, err := continuePosted(chat, form, out, map[string]string{"call_1": "18 C"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(next["messages.role"], ","); got != "system,user,assistant,tool,tool" {
		t.Fatalf("roles %s", got)
	}
	if next["messages.tool_call_id"][3] != "call_1" || next["messages.content"][3] != "18 C" || next["messages.content"][4] != "" {
		t.Errorf("tool rows %v %v", next["messages.tool_call_id"], next["messages.content"])
	}
	if !strings.Contains(next["messages.tool_calls"][2], `"name":"get_weather"`) || next["messages.reasoning"][2] != "Call the tool." {
		t.Errorf("assistant row: %q %q", next["messages.tool_calls"][2], next["messages.reasoning"][2])
	}
	if next.Get("temperature") != "0.3" || form.Get("messages.content") != "Be brief." || len(form["messages.role"]) != 2 {
		t.Error("the other values changed, or the input form did")
	}
	// The filled-in conversation is a valid request: the results are sent.
	next["messages.content"][4] = "12:00"
	r := s.Prepare(Input{Provider: "sim", Model: "seed002.deepseek-v4-pro", Form: formpkg.Decode(next)})
	if len(r.Errors) > 0 {
		t.Fatalf("errors %v", r.Errors)
	}
	for _, want := range []string{`"tool_call_id": "call_2"`, `"content": "12:00"`, `"reasoning_content": "Call the tool."`} {
		if !strings.Contains(string(r.Request.Body), want) {
			t.Errorf("body lacks %s:\n%s", want, r.Request.Body)
		}
	}
	// An empty result stops the run with a message on the field.
	next["messages.content"][4] = ""
	if r := s.Prepare(Input{Provider: "sim", Model: "seed002.deepseek-v4-pro", Form: formpkg.Decode(next)}); !strings.Contains(r.Errors["messages"], "write the result of call call_2") {
		t.Errorf("an empty result: %v", r.Errors)
	}

	// A text answer: the assistant turn and an empty user turn.
	next, err = continuePosted(chat, form, run.Output{Choices: []run.ChoiceOutput{{Text: "Sunny.", Reasoning: "hmm"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(next["messages.role"], ","); got != "system,user,assistant,user" || next["messages.content"][2] != "Sunny." || next["messages.tool_calls"][2] != "" {
		t.Errorf("text answer: %v", next)
	}
	// A model that does not need its reasoning back does not get it.
	gpt, _ := s.Catalog.Model("sim", "seed002.gpt-5.4")
	next, _ = continuePosted(gpt, form, out, nil)
	if next["messages.reasoning"][2] != "" {
		t.Error("reasoning kept for a model that does not carry it")
	}

	// A model that takes a prompt text continues from its answer: the
	// answer is appended to the prompt.
	completions, _ := s.Catalog.Model("sim", "seed000.gpt-5.4-pro")
	next, err = continuePosted(completions, url.Values{"prompt": {"Once upon a time"}, "temperature": {"0.3"}}, run.Output{Choices: []run.ChoiceOutput{{Text: " there was a sea."}}}, nil)
	if err != nil || strings.Join(next["prompt"], "|") != "Once upon a time there was a sea." || next.Get("temperature") != "0.3" {
		t.Errorf("completions continue: %v %v", next, err)
	}
	next, _ = continuePosted(completions, url.Values{"prompt": {"A", "B"}}, run.Output{Choices: []run.ChoiceOutput{{Text: "1"}, {Text: "2"}}}, nil)
	if got := strings.Join(next["prompt"], "|"); got != "A1|B2" {
		t.Errorf("two prompts, two choices: %s", got)
	}
	if _, err := continuePosted(completions, url.Values{"prompt": {"A"}}, out, nil); !errors.Is(err, ErrNoAnswer) {
		t.Errorf("a completion without text: %v", err)
	}
	if _, err := continueStoredPosted(completions, url.Values{"prompt": {"A"}}, run.Output{Choices: []run.ChoiceOutput{{Text: "1"}}}, nil, "resp_1"); err == nil {
		t.Error("a completion continued by id")
	}
	var none catalog.Model
	if _, err := continuePosted(&none, url.Values{}, out, nil); !errors.Is(err, ErrNoConversation) {
		t.Errorf("a model without messages or a prompt: %v", err)
	}
	if _, err := continuePosted(chat, form, run.Output{}, nil); !errors.Is(err, ErrNoAnswer) {
		t.Errorf("no answer: %v", err)
	}
}

// TestContinueEchoesThoughtSignature: Gemini's extra_content on a tool call
// goes back with the call on the next turn, or Gemini answers 4xx.
func TestContinueEchoesThoughtSignature(t *testing.T) {
	s := newService(t, nil)
	m, _ := s.Catalog.Model("sim", "seed002.gemini-3.1-pro-preview")
	extra := `{"google":{"thought_signature":"c2lnbmF0dXJl"}}`
	out := run.Output{Choices: []run.ChoiceOutput{{Tools: []run.ToolOutput{{ID: "call_1", Name: "get_weather", Args: `{}`, Extra: extra}}}}}
	next, err := continuePosted(m, url.Values{"messages.role": {"user"}, "messages.content": {"Weather?"}}, out, map[string]string{"call_1": "sunny"})
	if err != nil {
		t.Fatal(err)
	}
	r := s.Prepare(Input{Provider: "sim", Model: m.ID, Form: formpkg.Decode(next)})
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	if !strings.Contains(string(r.Request.Body), `"thought_signature": "c2lnbmF0dXJl"`) {
		t.Errorf("the signature is not sent back:\n%s", r.Request.Body)
	}
}

func TestContinueStored(t *testing.T) {
	s := newService(t, nil)
	m, _ := s.Catalog.Model("sim", "openai.gpt-5-mini")
	form := url.Values{"system_prompt": {"Be brief."}, "messages.role": {"user"}, "messages.content": {"Weather in Rome?"}, "store": {"true"}}
	out := run.Output{Choices: []run.ChoiceOutput{{Tools: []run.ToolOutput{{ID: "call_7", Name: "get_weather", Args: `{"city":"Rome"}`}}}}}
	next, err := continueStoredPosted(m, form, out, map[string]string{"call_7": "22 C"}, "resp_123")
	if err != nil {
		t.Fatal(err)
	}
	body := bodyOf(t, s, m.ID, next)
	for _, want := range []string{`"previous_response_id": "resp_123"`, `"type": "function_call_output"`, `"call_id": "call_7"`, `"instructions": "Be brief."`} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "Weather in Rome?") || strings.Contains(body, `"type": "function_call",`) {
		t.Errorf("the earlier turns are sent again:\n%s", body)
	}
	// A text answer: only a new user message follows.
	next, _ = continueStoredPosted(m, form, run.Output{Choices: []run.ChoiceOutput{{Text: "Sunny."}}}, nil, "resp_9")
	if strings.Join(next["messages.role"], ",") != "user" || next.Get("messages.content") != "" || next.Get("previous_response_id") != "resp_9" {
		t.Errorf("text answer: %v", next)
	}
	chat, _ := s.Catalog.Model("sim", "seed002.gpt-5.4")
	if _, err := continueStoredPosted(chat, form, out, nil, "resp_1"); !errors.Is(err, ErrNotStored) {
		t.Errorf("a model without previous_response_id: %v", err)
	}
	if _, err := continueStoredPosted(m, form, out, nil, ""); !errors.Is(err, ErrNotStored) {
		t.Errorf("no response id: %v", err)
	}
}

// TestContinueSendsResponsesReasoningItems: a Responses answer's reasoning
// items go back before the tool calls they led to.
func TestContinueSendsResponsesReasoningItems(t *testing.T) {
	s := newService(t, nil)
	m, _ := s.Catalog.Model("sim", "openai.gpt-5-mini")
	item := `{"id":"rs_42","type":"reasoning","summary":[{"type":"summary_text","text":"Need the weather."}],"encrypted_content":"gAAA"}`
	out := run.Output{Choices: []run.ChoiceOutput{{Tools: []run.ToolOutput{{ID: "call_1", Name: "get_weather", Args: `{}`}}, ReasoningItems: []string{item}}}}
	next, err := continuePosted(m, url.Values{"messages.role": {"user"}, "messages.content": {"Weather?"}}, out, map[string]string{"call_1": "sunny"})
	if err != nil {
		t.Fatal(err)
	}
	body := bodyOf(t, s, m.ID, next)
	i, j := strings.Index(body, `"id": "rs_42"`), strings.Index(body, `"type": "function_call"`)
	if i < 0 || j < 0 || i > j || !strings.Contains(body, `"encrypted_content": "gAAA"`) {
		t.Errorf("the reasoning item is not sent before the call:\n%s", body)
	}
}

// bodyOf prepares a simulator model's form, which must be valid, and
// returns its request body.
func bodyOf(t *testing.T, s *Service, model string, form url.Values) string {
	t.Helper()
	r := s.Prepare(Input{Provider: "sim", Model: model, Form: formpkg.Decode(form)})
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	return string(r.Request.Body)
}

// TestNext: the next turn is sent by reference only when asked and the
// provider kept the response; the posted results are read by call id.
func TestNext(t *testing.T) {
	s := newService(t, nil)
	m, _ := s.Catalog.Model("sim", "openai.gpt-5-mini")
	form := formpkg.Decode(url.Values{"messages.role": {"user"}, "messages.content": {"Weather in Rome?"}, "store": {"true"}})
	out := run.Output{Choices: []run.ChoiceOutput{{Text: "Sunny."}}}
	kept := &run.Outcome{ResponseID: "resp_9", Stored: true}
	next, err := Next(m, form, out, kept, nil, true)
	if err != nil || next.Values().Get("previous_response_id") != "resp_9" {
		t.Fatalf("stored: %v %v", err, next.Values())
	}
	for name, o := range map[string]*run.Outcome{"not stored": {ResponseID: "resp_9"}, "no outcome": nil} {
		if _, err := Next(m, form, out, o, nil, true); !errors.Is(err, ErrNotStored) {
			t.Errorf("%s: %v", name, err)
		}
	}
	next, err = Next(m, form, out, kept, nil, false)
	if err != nil || next.Values().Get("previous_response_id") != "" || len(next.Values()["messages.role"]) != 3 {
		t.Fatalf("the whole conversation: %v %v", err, next.Values())
	}
	got := Results(url.Values{"result.call_1": {"a", "b"}, "result.call_2": {}, "other": {"x"}})
	if len(got) != 1 || got["call_1"] != "b" {
		t.Errorf("results %v", got)
	}
}
