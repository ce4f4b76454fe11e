package views

import (
	"slices"
	"strings"

	"github.com/playground-dev/playground/web/draft"
)

// VarsPanel is the playground's Variables panel: a value box for each
// variable ({{name}}) of the draft, in the draft's order, and the error
// of variables with no value beside it.
type VarsPanel struct {
	Boxes []VarBox
	// Kept are values of no variable the draft has now, posted again
	// (hidden) so a variable removed and written back finds its value.
	Kept  []VarBox
	Error string
	// Shown names the boxes (comma-separated; a name has no comma): the
	// page posts it back as draft.VarsShown, and a preview redraws the
	// panel only when the draft's variables are others, so a box being
	// typed into is left alone.
	Shown string
	// Readable: the draft's texts parse, so Boxes are its variables.
	Readable bool
	// Swap: the preview redraws the panel (out of band).
	Swap bool
}

// VarBox is one variable's value box.
type VarBox struct {
	Name, Input, ID, Value string
	// Missing: it has no value yet (the box was never posted).
	Missing bool
}

// newVarsPanel is the panel of r.
func newVarsPanel(r draft.Result) VarsPanel {
	p := VarsPanel{Shown: strings.Join(r.VarNames, ","), Error: r.Errors[draft.VarsKey], Readable: r.VarsReadable}
	for _, n := range r.VarNames {
		v, ok := r.Vars[n]
		p.Boxes = append(p.Boxes, VarBox{Name: n, Input: draft.VarInput(n), ID: "var-" + n, Value: v, Missing: !ok})
	}
	var kept []string
	for n := range r.Vars {
		if !slices.Contains(r.VarNames, n) {
			kept = append(kept, n)
		}
	}
	slices.Sort(kept)
	for _, n := range kept {
		p.Kept = append(p.Kept, VarBox{Name: n, Input: draft.VarInput(n), Value: r.Vars[n]})
	}
	return p
}

// WithShown is p as a preview answers a form that showed the boxes shown
// (its draft.VarsShown): the panel is redrawn when the draft's variables
// changed, and not while a text does not parse (its variables are then
// unknown, and the boxes stay as they are).
func (p Panels) WithShown(shown string) Panels {
	p.Vars.Swap = p.Vars.Readable && shown != p.Vars.Shown
	return p
}
