package experiment

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/playground-dev/playground/web/cases"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/checks"
	"github.com/playground-dev/playground/web/compare"
	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/request"
)

// Setup is what the experiment page adds to the compare view's prompt and
// panes: the case table as typed or pasted, the checks as YAML, the
// repeats and the threshold. It is kept per session as written, so a
// mistake is shown next to its field and nothing typed is lost.
type Setup struct {
	Name        string `json:"name,omitempty"`
	Cases       string `json:"cases,omitempty"`
	Checks      string `json:"checks,omitempty"`
	Repeats     string `json:"repeats,omitempty"`
	MinPassRate string `json:"min_pass_rate,omitempty"`
}

// The page's fields, as its form names them (and Errors keys them).
const (
	FieldName        = "name"
	FieldCases       = "cases"
	FieldChecks      = "checks"
	FieldRepeats     = "repeats"
	FieldMinPassRate = "min_pass_rate"
	// FieldPanes is the prompt and the panes, which the compare view
	// edits.
	FieldPanes = "panes"
	// FieldFile is an imported file as a whole.
	FieldFile = "file"
)

// Errors are the page's errors by field.
type Errors map[string]string

// Error is the errors as one, for callers that want an error.
func (e Errors) Error() string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(e)) {
		out = append(out, k+": "+e[k])
	}
	return strings.Join(out, "; ")
}

// Problem is the errors as the one error type the handlers show.
func (e Errors) Problem() *problem.Error {
	k := slices.Sorted(maps.Keys(e))
	return problem.Invalid(k[0], e[k[0]])
}

// Columns are the compare view's prompt and panes an experiment's columns
// come from: the base form and each pane's form as resolved.
type Columns struct {
	Base  compare.Base
	Panes []compare.Resolved
}

// Compose writes the experiment file of cols and s (the page's export)
// and loads it: the plan the page runs is the file's, so an exported file
// runs the same cells anywhere. Errors are by the page's field.
func Compose(cat *catalog.Catalog, cols Columns, s Setup) ([]byte, *Plan, Errors) {
	errs := Errors{}
	f := &File{Name: strings.TrimSpace(s.Name), Provider: cols.Base.Provider, Model: cols.Base.Model}
	base, err := bodyOf(cat, cols.Base.Provider, cols.Base.Model, cols.Base.Form)
	if err != nil {
		errs[FieldPanes] = "the prompt: " + err.Error()
	}
	f.Request = base
	for i, r := range cols.Panes {
		body, err := bodyOf(cat, r.Pane.Provider, r.Pane.Model, r.Draft.Form)
		if err != nil {
			errs[FieldPanes] = fmt.Sprintf("pane %d: %v", i+1, err)
			continue
		}
		p := Pane{Params: map[string]any{}}
		if r.Pane.Provider != f.Provider || r.Pane.Model != f.Model {
			p.Provider, p.Model = r.Pane.Provider, r.Pane.Model
		}
		for k, v := range body {
			if !sameJSON(v, base[k]) {
				p.Params[k] = v
			}
		}
		if len(p.Params) == 0 {
			p.Params = nil
		}
		f.Panes = append(f.Panes, p)
	}
	if n, err := strconv.Atoi(strings.TrimSpace(s.Repeats)); strings.TrimSpace(s.Repeats) == "" {
		f.Repeats = 1
	} else if err != nil || n < 1 || n > MaxRepeats {
		errs[FieldRepeats] = fmt.Sprintf("%q: repeats are a whole number from 1 to %d", s.Repeats, MaxRepeats)
	} else {
		f.Repeats = n
	}
	if t := strings.TrimSpace(s.MinPassRate); t != "" {
		r, err := strconv.ParseFloat(strings.TrimSuffix(t, "%"), 64)
		if strings.HasSuffix(t, "%") {
			r /= 100
		}
		if err != nil || r < 0 || r > 1 {
			errs[FieldMinPassRate] = fmt.Sprintf("%q: a pass rate is from 0 to 1 (or 0 %% to 100 %%); empty: every cell must pass", t)
		} else {
			f.MinPassRate = &r
		}
	}
	cs, err := ParseChecks(s.Checks)
	if err != nil {
		errs[FieldChecks] = err.Error()
	}
	f.Checks = cs
	var columns []string
	if strings.TrimSpace(s.Cases) != "" {
		t, err := cases.Parse(s.Cases, "")
		if err != nil {
			errs[FieldCases] = err.Error()
		} else if f.Cases.Rows, err = CasesOf(t); err != nil {
			errs[FieldCases] = err.Error()
		}
		columns = t.Columns
	}
	if errs[FieldChecks] == "" && errs[FieldCases] == "" {
		if msg := unknownColumn(cs, columns); msg != "" {
			errs[FieldChecks] = msg
		}
	}
	if len(errs) > 0 {
		return nil, nil, errs
	}
	data, err := MarshalFile(f)
	if err != nil {
		return nil, nil, Errors{FieldPanes: err.Error()}
	}
	plan, err := loadData("experiment.yaml", data, cat)
	if err != nil {
		return data, nil, fieldErrors(err)
	}
	return data, plan, nil
}

// MarshalFile writes f as YAML, its fields in the documented order.
func MarshalFile(f *File) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}

// loadData parses and loads a file the page has (no cases file is read).
func loadData(name string, data []byte, cat *catalog.Catalog) (*Plan, error) {
	f, err := ParseFile(name, data)
	if err != nil {
		return nil, err
	}
	return Load(f, cat, nil)
}

var caseIndex = regexp.MustCompile(`cases\[[0-9]+\]`)

// fieldErrors places a file's error at the page's field it concerns.
func fieldErrors(err error) Errors {
	var fe *FileError
	if !errors.As(err, &fe) {
		return Errors{FieldFile: err.Error()}
	}
	top, _, _ := strings.Cut(fe.Field, ".")
	top, _, _ = strings.Cut(top, "[")
	msg := fe.Msg
	if fe.Field != "" && fe.Field != top {
		msg = fe.Field + ": " + msg // the field itself needs no name beside it
	}
	switch top {
	case "cases":
		// The page's table counts its cases from 1, as its rows read.
		return Errors{FieldCases: caseIndex.ReplaceAllStringFunc(msg, func(m string) string {
			n, _ := strconv.Atoi(m[len("cases[") : len(m)-1])
			return "case " + strconv.Itoa(n+1)
		})}
	case "checks":
		return Errors{FieldChecks: msg}
	case "repeats":
		return Errors{FieldRepeats: msg}
	case "min_pass_rate":
		return Errors{FieldMinPassRate: msg}
	case "":
		return Errors{FieldFile: fe.Error()}
	}
	return Errors{FieldPanes: msg}
}

// unknownColumn says which check names a {{variable}} no column of the
// case table gives ("" when none does): it would be compared as written.
func unknownColumn(cs []checks.Check, columns []string) string {
	for i, c := range cs {
		for _, n := range c.Vars() {
			if !slices.Contains(columns, n) {
				have := "the case table has no columns"
				if len(columns) > 0 {
					have = "its columns are " + strings.Join(columns, ", ")
				}
				return fmt.Sprintf("check %d reads {{%s}}, which no column of the case table gives (%s); add a column %s or change the check", i+1, n, have, n)
			}
		}
	}
	return ""
}

// ParseChecks reads the page's checks: a YAML (or JSON) list of checks as
// an experiment file writes them; empty is none.
func ParseChecks(text string) ([]checks.Check, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	dec := yaml.NewDecoder(strings.NewReader(text))
	dec.KnownFields(true)
	var cs []checks.Check
	if err := dec.Decode(&cs); err != nil {
		return nil, fmt.Errorf("%s", strings.TrimPrefix(yamlError("", err).Error(), "yaml: "))
	}
	if len(cs) > MaxChecks {
		return nil, fmt.Errorf("%d checks: at most %d", len(cs), MaxChecks)
	}
	if err := checks.Validate(cs); err != nil {
		return nil, err
	}
	return cs, nil
}

// bodyOf is the request body a form sends (its variables left as
// written), without the model.
func bodyOf(cat *catalog.Catalog, provider, model string, d form.Draft) (map[string]any, error) {
	p, ok := cat.Provider(provider)
	m, mok := cat.Model(provider, model)
	if !ok || !mok {
		return nil, fmt.Errorf("no model %s/%s in the catalog", provider, model)
	}
	vals, errs := form.Check(m.Fields(), d)
	for _, f := range m.Fields() {
		if msg := errs[f.Name]; msg != "" {
			return nil, fmt.Errorf("%s: %s", f.Label, msg)
		}
	}
	if len(errs) > 0 {
		for k, msg := range errs {
			return nil, fmt.Errorf("%s: %s", k, msg)
		}
	}
	req, err := request.Build(p, m, vals, "")
	if err != nil {
		return nil, err
	}
	var body map[string]any
	if err := json.Unmarshal(req.Body, &body); err != nil {
		return nil, err
	}
	delete(body, "model")
	return body, nil
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// Imported is an experiment file read back into the page: the compare
// view's prompt and panes, and the page's own setup.
type Imported struct {
	Base   compare.Base
	Layout compare.Layout
	Setup  Setup
}

// Import reads an experiment file (the page's export, or one written by
// hand) into the page. The page's panes are the compare view's, which set
// only one-value parameters of their own and number at least
// compare.MinPanes; a file outside that is refused with the reason, as is
// a file whose cases are in another file.
func Import(cat *catalog.Catalog, name string, data []byte) (Imported, Errors) {
	plan, err := loadData(name, data, cat)
	if err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			return Imported{}, Errors{FieldFile: fe.Error()}
		}
		return Imported{}, Errors{FieldFile: err.Error()}
	}
	f := plan.File
	if len(plan.Panes) < compare.MinPanes {
		return Imported{}, Errors{FieldFile: fmt.Sprintf("%s: %d pane: the page compares %d to %d panes; add panes to the file, or run it with `playground experiment run`", name, len(plan.Panes), compare.MinPanes, compare.MaxPanes)}
	}
	m, _ := cat.Model(f.Provider, f.Model)
	baseForm, err := draftOf(m, f.Request, func(string) string { return "request" }, f.src)
	if err != nil {
		return Imported{}, Errors{FieldFile: err.Error()}
	}
	out := Imported{Base: compare.Base{Provider: f.Provider, Model: f.Model, Form: baseForm}}
	for i, pp := range plan.Panes {
		pm, _ := cat.Model(pp.Provider, pp.Model)
		inherited, err := draftOf(pm, f.Request, func(string) string { return "request" }, f.src)
		if err != nil {
			return Imported{}, Errors{FieldFile: err.Error()}
		}
		pane := compare.Pane{Provider: pp.Provider, Model: pp.Model, Overrides: map[string]form.Input{}}
		for _, fd := range pm.Fields() {
			if sameJSON(pp.Form[fd.Name], inherited[fd.Name]) {
				continue
			}
			if !compare.Overridable(fd) {
				return Imported{}, Errors{FieldFile: fmt.Sprintf("%s: panes[%d] sets %s, which a compare pane cannot set alone (only numbers, switches, choices and short strings); run this file with `playground experiment run`", name, i, fd.Name)}
			}
			pane.Overrides[fd.Name] = pp.Form[fd.Name]
		}
		out.Layout.Panes = append(out.Layout.Panes, pane)
	}
	out.Setup = Setup{Name: f.Name, Repeats: strconv.Itoa(plan.Repeats)}
	if f.MinPassRate != nil {
		out.Setup.MinPassRate = strconv.FormatFloat(*f.MinPassRate, 'f', -1, 64)
	}
	if len(f.Checks) > 0 {
		b, err := yaml.Marshal(f.Checks)
		if err != nil {
			return Imported{}, Errors{FieldFile: err.Error()}
		}
		out.Setup.Checks = string(b)
	}
	if len(f.Cases.Rows) > 0 {
		t, err := TableOf(plan.Vars, f.Cases.Rows)
		if err != nil {
			return Imported{}, Errors{FieldFile: err.Error()}
		}
		text, err := t.Export(cases.TSV)
		if err != nil {
			return Imported{}, Errors{FieldFile: err.Error()}
		}
		out.Setup.Cases = text
	}
	return out, nil
}
