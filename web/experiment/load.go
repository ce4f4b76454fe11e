package experiment

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/checks"
	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/vars"
)

// Plan is an experiment ready to run: each pane's draft read from the
// file's request against its model's form, the cases read, the variables
// every case has a value for.
type Plan struct {
	File *File
	// Panes are the settings, in order (one when the file names none).
	Panes []PanePlan
	// Cases are the rows, in order.
	Cases []Case
	// Vars are the draft's variables, in order of first appearance.
	Vars []string
	// Repeats is how many times each cell runs (at least 1).
	Repeats int
}

// PanePlan is one pane: its model and its draft (with the variables
// still in).
type PanePlan struct {
	// Label names the pane for a person: its name, or its model and what
	// it sets ("gpt-5.4 · temperature=0").
	Label    string
	Provider string
	Model    string
	Form     form.Draft
}

// Cells are every cell of p in the order they run: case by case, each
// case's panes side by side, the repeats last.
func (p *Plan) Cells() []Cell {
	var out []Cell
	for r := range p.Repeats {
		for c := range p.Cases {
			for pn := range p.Panes {
				out = append(out, Cell{Case: c, Pane: pn, Repeat: r})
			}
		}
	}
	return out
}

// ChecksOf are the checks of case c: the file's, then the case's own,
// with the case's values put in for their {{variables}}.
func (p *Plan) ChecksOf(c int) []checks.Check {
	all := append(slices.Clone(p.File.Checks), p.Cases[c].Checks...)
	for i := range all {
		all[i] = all[i].Bind(p.Cases[c].Vars)
	}
	return all
}

// CaseReader reads a cases file the experiment file names (relative to
// the experiment file); nil refuses every path.
type CaseReader func(path string) ([]Case, error)

// Load checks f against the catalog and reads its cases: every pane's
// provider, model and parameters, the request body read into each pane's
// form (nothing the form does not have is dropped: it is an error), the
// variables, and a value for each in every case.
func Load(f *File, cat *catalog.Catalog, readCases CaseReader) (*Plan, error) {
	n := f.src
	m, ok := cat.Model(f.Provider, f.Model)
	if !ok {
		if _, pok := cat.Provider(f.Provider); !pok {
			return nil, n.errAt("provider", "no provider %q in the catalog", f.Provider)
		}
		return nil, n.errAt("model", "provider %s has no model %q", f.Provider, f.Model)
	}
	p := &Plan{File: f, Repeats: max(f.Repeats, 1)}
	panes := f.Panes
	if len(panes) == 0 {
		panes = []Pane{{}}
	}
	seen := map[string]bool{}
	for i, pane := range panes {
		where := fmt.Sprintf("panes[%d]", i)
		pm := m
		if pane.Provider != "" || pane.Model != "" {
			prov, model := cmp.Or(pane.Provider, f.Provider), cmp.Or(pane.Model, f.Model)
			if pm, ok = cat.Model(prov, model); !ok {
				return nil, n.errAt(where+".model", "provider %s has no model %q", prov, model)
			}
		}
		body := maps.Clone(f.Request)
		for k, v := range pane.Params {
			body[k] = v
		}
		d, err := draftOf(pm, body, func(field string) string {
			if _, ok := pane.Params[field]; ok {
				return where + ".params." + field
			}
			return "request." + field
		}, n)
		if err != nil {
			return nil, err
		}
		names, verr := vars.OfDraft(pm.Fields(), d)
		if verr != nil {
			return nil, n.errAt("request", "%s", verr.Error())
		}
		for _, v := range names {
			if !seen[v] {
				seen[v] = true
				p.Vars = append(p.Vars, v)
			}
		}
		p.Panes = append(p.Panes, PanePlan{Label: paneLabel(pane, pm), Provider: pm.Provider, Model: pm.ID, Form: d})
	}
	p.Cases = f.Cases.Rows
	if f.Cases.Path != "" {
		if readCases == nil {
			return nil, n.errAt("cases", "cases are read from files only by the command line; write them inline")
		}
		cs, err := readCases(f.Cases.Path)
		if err != nil {
			return nil, n.errAt("cases", "%s", err.Error())
		}
		p.Cases = cs
	}
	if len(p.Cases) == 0 {
		if len(p.Vars) > 0 {
			return nil, n.errAt("cases", "no cases: the draft has variables (%s), each case gives their values", strings.Join(p.Vars, ", "))
		}
		p.Cases = []Case{{Vars: map[string]string{}}}
	}
	for i, c := range p.Cases {
		var miss []string
		for _, v := range p.Vars {
			if _, ok := c.Vars[v]; !ok {
				miss = append(miss, v)
			}
		}
		if len(miss) > 0 {
			return nil, n.errAt(fmt.Sprintf("cases[%d]", i), "no value for %s", strings.Join(miss, ", "))
		}
	}
	return p, nil
}

// draftOf reads body into m's form; at names the file's field a body
// parameter came from, for the errors.
func draftOf(m *catalog.Model, body map[string]any, at func(field string) string, n fileNode) (form.Draft, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, n.errAt("request", "not a JSON object: %v", err)
	}
	d, unread, errs, err := form.FromBody(m.Fields(), m.Style, raw)
	if err != nil {
		return nil, n.errAt("request", "%v", err)
	}
	if len(unread) > 0 {
		u := unread[0]
		top, _, _ := strings.Cut(u.Path, ".")
		top, _, _ = strings.Cut(top, "[")
		return nil, n.errAt(at(top), "%s is not in the form of %s (%s)", u.Path, m.Label(), m.Key())
	}
	for _, f := range m.Fields() {
		if msg := errs[f.Name]; msg != "" {
			return nil, n.errAt(at(f.Name), "%s", msg)
		}
	}
	return d, nil
}

// paneLabel is the pane's name, or its model and the parameters it sets
// in their written order of names.
func paneLabel(p Pane, m *catalog.Model) string {
	if p.Name != "" {
		return p.Name
	}
	label := m.Label()
	keys := slices.Sorted(maps.Keys(p.Params))
	var sets []string
	for _, k := range keys {
		v, _ := json.Marshal(p.Params[k])
		sets = append(sets, k+"="+strings.Trim(string(v), `"`))
	}
	if len(sets) > 0 {
		label += " · " + strings.Join(sets, ", ")
	}
	return label
}
