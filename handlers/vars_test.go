package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// varsForm is a chat form whose message has two variables, with values
// for those given.
func varsForm(values map[string]string) url.Values {
	f := chatForm("Weather in {{city}} on {{day}}?")
	for k, v := range values {
		f.Set("_var."+k, v)
	}
	return f
}

// TestVariablesPanel: a preview lists the draft's variables in the
// Variables panel, one box each, redrawn only when they change; a
// variable with no value is the panel's error and POST /runs starts
// nothing; filled, the curl shows the values and the template toggle the
// variables as written.
func TestVariablesPanel(t *testing.T) {
	app := simApp(t)
	_, body := do(t, app, post("/draft/preview", varsForm(nil)))
	for _, want := range []string{`id="vars-panel"`, `hx-swap-oob="true" data-testid="vars-panel" data-count="2"`, `name="_var.city"`, `name="_var.day"`, `value="city,day"`} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %s:\n%.3000s", want, body)
		}
	}
	if !strings.Contains(body, `data-testid="error-_vars">No value for {{city}}, {{day}}.`) {
		t.Errorf("no error for the missing values:\n%.3000s", body)
	}
	// The form showing these boxes: the panel is left alone, its error
	// slot is not.
	shown := varsForm(map[string]string{"city": "Oslo"})
	shown.Set("_vars_shown", "city,day")
	_, body = do(t, app, post("/draft/preview", shown))
	if strings.Contains(body, `id="vars-panel"`) || !strings.Contains(body, `No value for {{day}}.`) {
		t.Errorf("a preview of the same variables:\n%.3000s", body)
	}

	resp, body := do(t, app, post("/runs", shown))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="run-rejected"`) || runIDRE.MatchString(body) {
		t.Fatalf("a run with a variable without value: %d\n%.3000s", resp.StatusCode, body)
	}
	if !strings.Contains(body, `data-testid="error-_vars">No value for {{day}}.`) || !strings.Contains(body, "Variables") {
		t.Errorf("the refusal does not say which variable:\n%.3000s", body)
	}

	filled := varsForm(map[string]string{"city": "Oslo", "day": "Monday"})
	_, body = do(t, app, post("/draft/preview", filled))
	curlShown := between(body, `data-testid="curl">`, "</code>")
	if !strings.Contains(curlShown, "Weather in Oslo on Monday?") || strings.Contains(curlShown, "{{") {
		t.Errorf("the curl is not filled in: %s", curlShown)
	}
	tmpl := between(body, `data-testid="curl-template">`, "</code>")
	if !strings.Contains(tmpl, "Weather in {{city}} on {{day}}?") || !strings.Contains(body, "Template, not what is sent") {
		t.Errorf("the template: %s", tmpl)
	}
	if !strings.Contains(body, `data-testid="show-template"`) {
		t.Errorf("no Show template toggle")
	}
	// The snippets of the session's draft are filled in too.
	_, code := get(t, app, "/draft/snippet/python")
	if !strings.Contains(code, "Weather in Oslo on Monday?") || strings.Contains(code, "{{") {
		t.Errorf("the snippet is not filled in:\n%s", code)
	}
	_, code = get(t, app, "/draft/snippet/curl?template=1")
	if !strings.Contains(code, "Weather in {{city}} on {{day}}?") {
		t.Errorf("the template snippet:\n%s", code)
	}
	// The page opens with the values kept.
	_, page := get(t, app, "/")
	if !strings.Contains(page, `name="_var.city" value="Oslo"`) {
		t.Errorf("the reloaded page lost the values:\n%.4000s", between(page, `id="vars-panel"`, "</fieldset>"))
	}
}

// TestVariablesSyntaxError: an unclosed {{ is the error of its field, the
// text kept as typed, nothing sent.
func TestVariablesSyntaxError(t *testing.T) {
	app := simApp(t)
	f := chatForm("Weather in {{city")
	_, body := do(t, app, post("/runs", f))
	if runIDRE.MatchString(body) || !strings.Contains(body, "Messages, row 1: unclosed {{ at 11.") {
		t.Fatalf("a run with an unclosed {{:\n%.3000s", body)
	}
	_, page := get(t, app, "/")
	if !strings.Contains(page, "Weather in {{city") {
		t.Errorf("the typed text is lost")
	}
}

// TestVariablesReplay: the history keeps a run's values with its
// template; replay brings both back to the playground.
func TestVariablesReplay(t *testing.T) {
	app := simApp(t)
	id := runToEnd(t, app, varsForm(map[string]string{"city": "Lima", "day": "Friday"}))
	do(t, app, post("/draft/preview", chatForm("Something else")))
	resp, _ := do(t, app, form(app, "/history/runs/"+id+"/replay", url.Values{}))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("replay: %d", resp.StatusCode)
	}
	_, page := get(t, app, resp.Header.Get("Location"))
	if !strings.Contains(page, "Weather in {{city}} on {{day}}?") || !strings.Contains(page, `name="_var.city" value="Lima"`) || !strings.Contains(page, `name="_var.day" value="Friday"`) {
		t.Fatalf("the replayed form:\n%.4000s", between(page, `id="vars-panel"`, "</fieldset>"))
	}
	// The history lists the prompt as sent, and a search finds its values.
	_, list := get(t, app, "/history?q=Lima")
	if !strings.Contains(list, "/history/runs/"+id) || !strings.Contains(list, "Weather in Lima on Friday?") {
		t.Errorf("the history search for a value:\n%.4000s", list)
	}
	_, export := do(t, app, httptest.NewRequest("GET", "/history/runs/"+id+"/export.json", nil))
	if !strings.Contains(export, `"vars":{"city":"Lima","day":"Friday"}`) && !strings.Contains(export, `"vars": {`) {
		t.Errorf("the export lacks the values:\n%.2000s", export)
	}
}

// between is the text of s after from up to the next to ("" without from).
func between(s, from, to string) string {
	_, after, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	before, _, _ := strings.Cut(after, to)
	return before
}
