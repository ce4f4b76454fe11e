// Package compare is the compare view's domain: panes that run one prompt
// under their own provider, model and parameter values (inherited from the
// base form unless overridden), the sweep helper that makes one pane per
// value of a parameter, and the differences between two panes (a
// word-level diff of the outputs and the parameters that differ).
package compare

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/form"
)

// How many panes a comparison has.
const (
	MinPanes = 2
	MaxPanes = 6
)

// Pane is one column: its provider and model, and the parameter values it
// sets itself (the others come from the base form), typed as the form's
// inputs are (a layout stored before, with plain strings, still reads).
type Pane struct {
	Provider  string                `json:"provider"`
	Model     string                `json:"model"`
	Overrides map[string]form.Input `json:"overrides,omitempty"`
}

// Layout is the compare view's panes, and the last sweep asked for.
type Layout struct {
	Panes       []Pane `json:"panes"`
	SweepField  string `json:"sweep_field,omitempty"`
	SweepValues string `json:"sweep_values,omitempty"`
}

// Base is the base form: the playground's provider, model and values. Its
// prompt feeds every pane.
type Base = draft.Saved

// Overridable reports whether a pane may set f itself: one-value
// parameters (numbers, switches, choices, short strings).
func Overridable(f catalog.Field) bool {
	if form.IsPrompt(f) {
		return false
	}
	switch f.Type {
	case catalog.TypeNumber, catalog.TypeInteger, catalog.TypeBoolean, catalog.TypeEnum, catalog.TypeString:
		return true
	}
	return false
}

// Param is one parameter of a pane as shown: its value, what it would be
// without the pane's override, and whether the pane overrides it (the two
// differ as values: 0.70 overrides nothing of an inherited 0.7).
type Param struct {
	Field     catalog.Field
	Value     string
	Inherited string
	Override  bool
	Error     string
}

// Resolved is a pane with its effective draft.
type Resolved struct {
	Index int
	Pane  Pane
	// Draft is the pane's checked draft (its request and curl when valid).
	Draft  draft.Result
	Params []Param
}

// Resolve computes each pane's values: the base form carried over to the
// pane's model, then the pane's overrides. Overrides equal to the inherited
// value, or for fields the model lacks, are dropped from the returned
// panes; unknown providers or models fall back as the playground does.
func Resolve(svc *draft.Service, base Base, l Layout) []Resolved {
	out := make([]Resolved, 0, len(l.Panes))
	var conv []form.Turn
	if bm, ok := svc.Catalog.Model(base.Provider, base.Model); ok && base.Form != nil {
		conv = form.Conversation(bm, base.Form)
	}
	for i, p := range l.Panes {
		inh := svc.Prepare(draft.Input{Provider: p.Provider, Model: p.Model, PrevProvider: base.Provider, PrevModel: base.Model, Form: base.Form, Vars: base.Vars})
		values := inh.Form.Clone()
		if len(conv) > 0 {
			form.SetConversation(inh.Model, values, conv)
		}
		for name, v := range p.Overrides {
			if f, ok := inh.Model.Field(name); ok && Overridable(f) {
				values[name] = v
			}
		}
		r := svc.Prepare(draft.Input{Provider: inh.Provider.ID, Model: inh.Model.ID, Form: values, Vars: base.Vars})
		res := Resolved{Index: i, Pane: Pane{Provider: r.Provider.ID, Model: r.Model.ID}, Draft: r}
		for _, f := range r.Model.Fields() {
			if !Overridable(f) {
				continue
			}
			value, inherited := r.Form[f.Name], inh.Form[f.Name]
			pr := Param{Field: f, Value: value.String(), Inherited: inherited.String(), Error: r.Errors[f.Name]}
			pr.Override = !form.Same(f, value, inherited)
			if pr.Override {
				if res.Pane.Overrides == nil {
					res.Pane.Overrides = map[string]form.Input{}
				}
				res.Pane.Overrides[f.Name] = value
			}
			res.Params = append(res.Params, pr)
		}
		out = append(out, res)
	}
	return out
}

// LayoutOf is the layout the resolved panes stand for (overrides
// normalized), keeping l's sweep.
func LayoutOf(l Layout, rs []Resolved) Layout {
	n := Layout{SweepField: l.SweepField, SweepValues: l.SweepValues}
	for _, r := range rs {
		n.Panes = append(n.Panes, r.Pane)
	}
	return n
}

// Fresh is the starting layout: two panes of the base model.
func Fresh(base Base) Layout {
	return Layout{Panes: []Pane{{Provider: base.Provider, Model: base.Model}, {Provider: base.Provider, Model: base.Model}}}
}

// ApplyForm reads the posted compare form (form.Decode of its inputs):
// the base's prompt fields (named as in the playground form) and each
// pane's provider, model and parameters ("pane.N.provider",
// "pane.N.model", "pane.N.f.NAME").
func ApplyForm(base Base, baseModel *catalog.Model, posted form.Draft) (Base, Layout) {
	nb := Base{Provider: base.Provider, Model: base.Model, Form: base.Form.Clone(), Vars: base.Vars}
	if nb.Form == nil {
		nb.Form = form.Draft{}
	}
	for _, f := range baseModel.Fields() {
		if !form.IsPrompt(f) || !posted.Has(f.Name) {
			continue
		}
		if in, ok := form.Read(f, posted); ok {
			nb.Form[f.Name] = in
		} else {
			delete(nb.Form, f.Name)
		}
	}
	var l Layout
	for i := range MaxPanes {
		pre := PanePrefix(i)
		if !posted.Has(pre + "provider") {
			continue
		}
		p := Pane{Provider: posted.Text(pre + "provider"), Model: posted.Text(pre + "model"), Overrides: map[string]form.Input{}}
		for k, in := range posted {
			if name, ok := strings.CutPrefix(k, pre+"f."); ok {
				if vs := in.Strings(); len(vs) > 0 {
					p.Overrides[name] = form.Text(vs[len(vs)-1])
				}
			}
		}
		l.Panes = append(l.Panes, p)
	}
	l.SweepField, l.SweepValues = posted.Text("sweep_field"), posted.Text("sweep_values")
	return nb, l
}

// Add appends a copy of the last pane (up to MaxPanes).
func (l Layout) Add() Layout {
	if len(l.Panes) >= MaxPanes || len(l.Panes) == 0 {
		return l
	}
	last := l.Panes[len(l.Panes)-1]
	l.Panes = append(slices.Clone(l.Panes), Pane{Provider: last.Provider, Model: last.Model, Overrides: maps.Clone(last.Overrides)})
	return l
}

// Remove drops pane i, keeping at least MinPanes.
func (l Layout) Remove(i int) Layout {
	if len(l.Panes) <= MinPanes || i < 0 || i >= len(l.Panes) {
		return l
	}
	l.Panes = slices.Delete(slices.Clone(l.Panes), i, i+1)
	return l
}

// SetModel points pane i at another provider and model (model "" picks
// the provider's first).
func (l Layout) SetModel(i int, provider, model string) Layout {
	if i < 0 || i >= len(l.Panes) {
		return l
	}
	l.Panes = slices.Clone(l.Panes)
	if l.Panes[i].Provider != provider {
		model = ""
	}
	l.Panes[i].Provider, l.Panes[i].Model = provider, model
	return l
}

// SweepErrors are the sweep form's errors by field ("sweep_field",
// "sweep_values").
type SweepErrors map[string]string

// Sweep makes one pane of the base model per value of the base model's
// field: values are separated by commas, 2 to MaxPanes of them, each
// checked as the field checks it.
func Sweep(base Base, baseModel *catalog.Model, field, values string) (Layout, SweepErrors) {
	errs := SweepErrors{}
	l := Layout{SweepField: field, SweepValues: values}
	f, ok := baseModel.Field(field)
	if !ok || !Overridable(f) {
		errs["sweep_field"] = "Pick a parameter of " + baseModel.Label() + " to sweep."
		return l, errs
	}
	var vals []string
	for _, v := range strings.Split(values, ",") {
		if v = strings.TrimSpace(v); v != "" {
			vals = append(vals, v)
		}
	}
	if len(vals) < MinPanes || len(vals) > MaxPanes {
		errs["sweep_values"] = "Give " + strconv.Itoa(MinPanes) + " to " + strconv.Itoa(MaxPanes) + " values, separated by commas (you gave " + strconv.Itoa(len(vals)) + ")."
		return l, errs
	}
	var bad []string
	for _, v := range vals {
		if _, e := form.Check([]catalog.Field{f}, form.Draft{f.Name: form.Text(v)}); e[f.Name] != "" {
			bad = append(bad, "“"+v+"”: "+e[f.Name])
		}
	}
	if len(bad) > 0 {
		errs["sweep_values"] = strings.Join(bad, " ")
		return l, errs
	}
	for _, v := range vals {
		l.Panes = append(l.Panes, Pane{Provider: base.Provider, Model: base.Model, Overrides: map[string]form.Input{f.Name: form.Text(v)}})
	}
	return l, nil
}

// SweepFields lists the base model's fields a sweep can vary.
func SweepFields(m *catalog.Model) []catalog.Field {
	var out []catalog.Field
	for _, f := range m.Fields() {
		if Overridable(f) && f.Type != catalog.TypeString {
			out = append(out, f)
		}
	}
	return out
}

// PanePrefix starts the names of pane i's inputs in the compare form:
// PREFIX+"provider", PREFIX+"model" and PREFIX+"f."+NAME for an override.
func PanePrefix(i int) string { return "pane." + strconv.Itoa(i) + "." }
