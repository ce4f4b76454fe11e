package draft

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/form"
)

// TestPrepareWithVars: with Vars the draft is a template, filled before
// it is checked and built: the request and curl carry the values, the
// form and the template keep the variables; a missing value or an
// unclosed {{ is an error and nothing is built; without Vars the draft is
// sent as written.
func TestPrepareWithVars(t *testing.T) {
	s := newService(t, nil)
	d := form.Draft{"messages": form.Messages(
		form.MessageRow{Role: "system", Content: "Speak of {{city}}."},
		form.MessageRow{Role: "user", Content: "What about {{day}}?"},
	)}
	in := Input{Provider: "sim", Model: "seed002.gpt-5.4", Form: d}
	cases := map[string]struct {
		vars            map[string]string
		wantErr         string // key of the error, "" for none
		inCurl, notCurl string
	}{
		"filled":           {map[string]string{"city": "Oslo", "day": "Monday", "other": "x"}, "", "What about Monday?", "{{"},
		"empty is a value": {map[string]string{"city": "", "day": ""}, "", "Speak of .", "{{"},
		"missing":          {map[string]string{"city": "Oslo"}, VarsKey, "", ""},
		"as written":       {nil, "", "What about {{day}}?", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := in
			in.Vars = tc.vars
			r := s.Prepare(in)
			if tc.wantErr != "" {
				if r.Request != nil || r.Errors[tc.wantErr] == "" {
					t.Fatalf("errors %v, request %v", r.Errors, r.Request != nil)
				}
				if !strings.Contains(r.Errors[tc.wantErr], "{{day}}") {
					t.Errorf("error %q does not name {{day}}", r.Errors[tc.wantErr])
				}
				return
			}
			if r.Request == nil || !strings.Contains(r.Curl, tc.inCurl) || (tc.notCurl != "" && strings.Contains(r.Curl, tc.notCurl)) {
				t.Fatalf("curl (errors %v):\n%s", r.Errors, r.Curl)
			}
			if got := r.Form.Values().Get("messages.content"); got != "Speak of {{city}}." {
				t.Errorf("the form shows %q, not the template", got)
			}
			if tc.vars == nil {
				if r.VarNames != nil || r.Template != nil {
					t.Errorf("a draft sent as written has variables %q", r.VarNames)
				}
				return
			}
			if !slices.Equal(r.VarNames, []string{"city", "day"}) || !r.VarsReadable {
				t.Errorf("VarNames = %q", r.VarNames)
			}
			if !strings.Contains(r.TemplateCurl, "What about {{day}}?") {
				t.Errorf("template:\n%s", r.TemplateCurl)
			}
			spec, err := s.Spec(r, "owner")
			if err != nil {
				t.Fatal(err)
			}
			if len(spec.Origin.Vars) != 2 || spec.Origin.Vars["other"] != "" {
				t.Errorf("the run keeps %v, want only the draft's variables", spec.Origin.Vars)
			}
		})
	}

	in.Vars = map[string]string{}
	in.Form = form.Draft{"messages": form.Messages(form.MessageRow{Role: "user", Content: "Hi {{city"})}
	r := s.Prepare(in)
	if r.Request != nil || !strings.Contains(r.Errors["messages"], "unclosed {{") || r.VarsReadable {
		t.Errorf("an unclosed {{: errors %v", r.Errors)
	}
	if r.Form.Values().Get("messages.content") != "Hi {{city" {
		t.Errorf("the typed text is not kept")
	}
}

// TestPostedVars: the value boxes' inputs are read by their prefix;
// other inputs, names that are no variable's and empty boxes are not.
func TestPostedVars(t *testing.T) {
	got := PostedVars(url.Values{VarInput("city"): {"Oslo"}, VarInput("role"): {"x"}, VarInput("day"): {""}, "_var.bad name": {"y"}, "city": {"no"}, VarsShown: {"city"}})
	if len(got) != 2 || got["city"] != "Oslo" || got["role"] != "x" {
		t.Errorf("PostedVars = %v", got)
	}
	if PostedVars(nil) == nil {
		t.Error("PostedVars(nil) is nil: the playground's draft would be sent as written")
	}
}
