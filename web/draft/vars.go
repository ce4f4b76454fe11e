package draft

import (
	"net/url"
	"strings"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/vars"
)

// The page's names for the values of the draft's variables ({{name}},
// web/vars): the one place they are spelled.
const (
	// VarPrefix starts the name of a variable's value box: "_var.city".
	VarPrefix = "_var."
	// VarsKey is the form error of variables with no value.
	VarsKey = "_vars"
)

// VarInput is the name of the value box of variable name.
func VarInput(name string) string { return VarPrefix + name }

// PostedVars are the values of the variables in a posted form (its
// VarPrefix inputs), never nil: a form from the playground page is a
// template even before its first variable. A box left empty is no value
// (the person has not filled it yet), so Run says so.
func PostedVars(posted url.Values) map[string]string {
	out := map[string]string{}
	for k, vs := range posted {
		if name, ok := strings.CutPrefix(k, VarPrefix); ok && len(vs) > 0 && vs[0] != "" && vars.ValidName(name) {
			out[name] = vs[0]
		}
	}
	return out
}

// fillVars is d filled from values (vars.FillDraft) with the draft's
// variables, when values is non-nil; d as it is otherwise. readable says
// the texts parse (names are then all the draft's variables). A text that
// does not parse is an error of its field, variables with no value one of
// VarsKey; d is then what is checked, unfilled, so its other errors show
// too.
func fillVars(fields []catalog.Field, d form.Draft, values map[string]string) (filled form.Draft, names []string, readable bool, errs form.Errors) {
	if values == nil {
		return d, nil, false, nil
	}
	names, err := vars.OfDraft(fields, d)
	if err == nil {
		readable = true
		if filled, err = vars.FillDraft(fields, d, values); err == nil {
			return filled, names, true, nil
		}
	}
	p := problem.Of(err)
	key := p.Field
	if key == "" {
		key = VarsKey
	}
	return d, names, readable, form.Errors{key: p.Message}
}

// usedVars are the values of names only (what a run keeps), nil for none.
func usedVars(values map[string]string, names []string) map[string]string {
	var out map[string]string
	for _, n := range names {
		if v, ok := values[n]; ok {
			if out == nil {
				out = map[string]string{}
			}
			out[n] = v
		}
	}
	return out
}

// TemplateVars is a copy of values as Input.Vars for the playground's
// draft, a template: never nil, so a draft saved or run with no values
// (or from before drafts had variables) is read as a template too.
func TemplateVars(values map[string]string) map[string]string {
	out := make(map[string]string, len(values))
	for k, v := range values {
		out[k] = v
	}
	return out
}

// VarsShown is the page's input naming the value boxes it shows (their
// names, comma-separated), so a preview redraws them only when the
// draft's variables change.
const VarsShown = "_vars_shown"
