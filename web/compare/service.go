package compare

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/run"
)

// Service is the compare view's application: a session's base form and
// panes (kept between visits), their preview, edits and sweeps, and
// starting every pane at once as one comparison.
type Service struct {
	// Saved keeps each session's base form (the playground's last form),
	// Layouts its panes.
	Saved, Layouts *draft.Store
	// Runs starts the panes' runs.
	Runs *run.Manager
	// Keep stores a new comparison (the history); nil keeps none.
	Keep func(ctx context.Context, owner string, c Record) error
	// NewID names a new comparison.
	NewID func() string
	Log   *slog.Logger
}

// Record is what a comparison keeps of how it was made, for forking it
// later: its base form and panes, as JSON in the history's layout column.
type Record struct {
	ID      string    `json:"-"`
	Created time.Time `json:"-"`
	Title   string    `json:"-"`
	Base    Base      `json:"base"`
	Layout  Layout    `json:"layout"`
}

// JSON is the record's stored form.
func (r Record) JSON() []byte {
	b, _ := json.Marshal(r)
	return b
}

// ErrNotKept: a stored comparison whose panes were not kept (older rows),
// which cannot be forked.
var ErrNotKept = errors.New("this comparison's panes were not kept; fork one of its runs instead")

// ReadRecord reads a stored comparison's base form and panes.
func ReadRecord(stored []byte) (Record, error) {
	var rec Record
	if err := json.Unmarshal(stored, &rec); err != nil || len(rec.Layout.Panes) < MinPanes {
		return Record{}, ErrNotKept
	}
	return rec, nil
}

// State is one session's compare view: its base form (checked) and panes.
type State struct {
	Owner  string
	drafts *draft.Service
	Base   Base
	Draft  draft.Result // the base form, checked
	Layout Layout
	// Resolved are the panes computed by the last Resolve.
	Resolved []Resolved
}

// Load reads the session's base form and panes (two panes of the base
// model when it has none); drafts is the session's view of the catalog
// and its keys.
func (s *Service) Load(owner string, drafts *draft.Service) *State {
	st := &State{Owner: owner, drafts: drafts}
	in := draft.Input{}
	if saved, ok := s.Saved.Load(owner); ok {
		in = draft.Input{Provider: saved.Provider, Model: saved.Model, PrevProvider: saved.Provider, PrevModel: saved.Model, Form: saved.Form, Vars: saved.Vars}
	}
	st.setBase(in)
	if !s.Layouts.Get(owner, &st.Layout) || len(st.Layout.Panes) < MinPanes {
		st.Layout = Fresh(st.Base)
	}
	return st
}

func (st *State) setBase(in draft.Input) {
	st.Draft = st.drafts.Prepare(in)
	st.Base = Base{Provider: st.Draft.Provider.ID, Model: st.Draft.Model.ID, Form: st.Draft.Form, Vars: st.Draft.Vars}
}

// Submit applies a posted compare form: the base prompt and the panes.
func (st *State) Submit(posted form.Draft) {
	base, l := ApplyForm(st.Base, st.Draft.Model, posted)
	st.setBase(draft.Input{Provider: base.Provider, Model: base.Model, PrevProvider: base.Provider, PrevModel: base.Model, Form: base.Form, Vars: base.Vars})
	// A form without panes (a partial post) changes only the prompt.
	if len(l.Panes) == 0 {
		l.Panes = st.Layout.Panes
	}
	// A pane whose provider changed starts at that provider's first model.
	for i := range l.Panes {
		if i < len(st.Layout.Panes) && st.Layout.Panes[i].Provider != l.Panes[i].Provider {
			l = l.SetModel(i, l.Panes[i].Provider, "")
		}
	}
	st.Layout = l
}

// Resolve computes the panes and normalizes the layout.
func (st *State) Resolve() []Resolved {
	st.Resolved = Resolve(st.drafts, st.Base, st.Layout)
	st.Layout = LayoutOf(st.Layout, st.Resolved)
	return st.Resolved
}

// save keeps the base form and the panes for the next visit; a failure is
// logged, not shown (the view still answers).
func (s *Service) save(st *State) {
	if err := s.Saved.Save(st.Owner, st.Base); err != nil {
		s.Log.Warn("could not keep the form", "err", err)
	}
	if err := s.Layouts.Put(st.Owner, st.Layout); err != nil {
		s.Log.Warn("could not keep the panes", "err", err)
	}
}

// View is the session's compare view as it stands.
func (s *Service) View(owner string, drafts *draft.Service) *State {
	st := s.Load(owner, drafts)
	st.Resolve()
	return st
}

// Preview applies a posted form and keeps it.
func (s *Service) Preview(owner string, drafts *draft.Service, posted form.Draft) *State {
	st := s.Load(owner, drafts)
	st.Submit(posted)
	st.Resolve()
	s.save(st)
	return st
}

// ErrUnknownEdit: an edit of the panes that is none of add, remove, model.
var ErrUnknownEdit = errors.New("unknown change to the panes")

// Edit applies a posted form, then adds a pane (op "add"), removes pane i
// ("remove") or takes a pane's new provider and model ("model").
func (s *Service) Edit(owner string, drafts *draft.Service, posted form.Draft, op string, i int) (*State, error) {
	st := s.Load(owner, drafts)
	st.Submit(posted)
	switch op {
	case "add":
		st.Layout = st.Layout.Add()
	case "remove":
		st.Layout = st.Layout.Remove(i)
	case "model":
		// Submit already took the pane's new provider and model.
	default:
		return nil, ErrUnknownEdit
	}
	st.Resolve()
	s.save(st)
	return st, nil
}

// SweepPanes applies a posted form, then makes one pane per value of the
// sweep's field; errs name the sweep's fields that are wrong.
func (s *Service) SweepPanes(owner string, drafts *draft.Service, posted form.Draft) (*State, SweepErrors) {
	st := s.Load(owner, drafts)
	st.Submit(posted)
	l, errs := Sweep(st.Base, st.Draft.Model, st.Layout.SweepField, st.Layout.SweepValues)
	if len(errs) == 0 {
		st.Layout = l
	}
	st.Resolve()
	s.save(st)
	return st, errs
}

// Started is a comparison as it starts: each pane's label, and its run or
// why it did not start (message and hint).
type Started struct {
	Group  string
	Labels []string
	Runs   []*run.Run
	Errs   [][2]string
	// Invalid are the panes (from 1) whose form has errors: when any is,
	// nothing was started.
	Invalid []int
}

// Start applies a posted form, checks every pane, then starts them all at
// once as one comparison. A pane that cannot start (no key, a limit)
// says why in its place; any other error ends Start. client is the
// browser's address, for the limits per client.
func (s *Service) Start(ctx context.Context, owner string, drafts *draft.Service, posted form.Draft, client string) (*State, Started, error) {
	st := s.Preview(owner, drafts, posted)
	var out Started
	for _, r := range st.Resolved {
		if r.Draft.Request == nil {
			out.Invalid = append(out.Invalid, r.Index+1)
		}
	}
	if len(out.Invalid) > 0 {
		return st, out, nil
	}
	out.Group = s.NewID()
	if s.Keep != nil {
		rec := Record{ID: out.Group, Created: time.Now(), Title: Title(st.Layout, st.Resolved), Base: st.Base, Layout: st.Layout}
		if err := s.Keep(ctx, owner, rec); err != nil {
			return st, out, err
		}
	}
	n := len(st.Resolved)
	out.Labels, out.Runs, out.Errs = make([]string, n), make([]*run.Run, n), make([][2]string, n)
	for i, r := range st.Resolved {
		spec, err := drafts.Spec(r.Draft, owner)
		if err != nil {
			e, ok := explain(err)
			if !ok {
				return st, out, err
			}
			out.Errs[i] = e
		}
		spec.Origin.Group, spec.Origin.Pane, spec.Origin.Overrides = out.Group, i, OverridesLabel(r)
		out.Labels[i] = PaneLabel(spec)
		if err != nil {
			continue
		}
		spec.Client = client
		rn, err := s.Runs.TryStart(spec)
		if err != nil {
			e, ok := explain(err)
			if !ok {
				return st, out, err
			}
			out.Errs[i] = e
			continue
		}
		out.Runs[i] = rn
	}
	started := 0
	for _, rn := range out.Runs {
		if rn != nil {
			started++
		}
	}
	// Other instances following the comparison wait for all its panes.
	s.Runs.GroupStarted(owner, out.Group, started)
	s.Log.Info("comparison started", "comparison", out.Group, "panes", n)
	return st, out, nil
}

// explain is why a pane did not start, as the person reads it (message,
// hint), when err is a problem (a launch or limit refusal).
func explain(err error) ([2]string, bool) {
	var p *problem.Error
	if errors.As(err, &p) {
		return [2]string{p.Message, p.Hint}, true
	}
	return [2]string{}, false
}

// Fork puts a stored comparison's base form and panes back into a
// session's compare view.
func (s *Service) Fork(owner string, base Base, l Layout) error {
	if err := s.Saved.Save(owner, base); err != nil {
		return err
	}
	return s.Layouts.Put(owner, l)
}

// PaneLabel names a pane's run: provider, model and what it overrides.
func PaneLabel(s run.Spec) string {
	l := s.Provider.Name + " · " + s.Model.Label()
	if len(s.Origin.Overrides) > 0 {
		l += " · " + s.Origin.Overrides
	}
	return l
}

// OverridesLabel names a pane by what it overrides ("temperature=0.7").
func OverridesLabel(r Resolved) string {
	var parts []string
	for _, p := range r.Params {
		if p.Override {
			v := p.Value
			if v == "" {
				v = "not set"
			}
			parts = append(parts, p.Field.Name+"="+v)
		}
	}
	return strings.Join(parts, ", ")
}

// Title names a comparison by its models, and a sweep's values when it
// sweeps one model.
func Title(l Layout, rs []Resolved) string {
	seen := map[string]bool{}
	var models []string
	for _, r := range rs {
		if m := r.Draft.Model.Label(); !seen[m] {
			seen[m] = true
			models = append(models, m)
		}
	}
	t := strings.Join(models, " vs ")
	if l.SweepField != "" && len(models) == 1 {
		var vals []string
		for _, r := range rs {
			if v := r.Pane.Overrides[l.SweepField].String(); v != "" {
				vals = append(vals, v)
			}
		}
		if len(vals) > 0 { // a sweep field picked but never swept names nothing
			t += ": " + l.SweepField + " " + strings.Join(vals, ", ")
		}
	}
	return t
}

// GroupID writes each pane's last event id, the id of a comparison's
// multiplexed event stream: "0:12,1:9".
func GroupID(after map[int]int) string {
	keys := make([]int, 0, len(after))
	for k := range after {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(k))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(after[k]))
	}
	return b.String()
}

// ParseGroupID reads GroupID's format; anything unreadable counts as 0.
func ParseGroupID(s string) map[int]int {
	out := map[int]int{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(part, ":")
		if !ok {
			continue
		}
		p, err1 := strconv.Atoi(k)
		n, err2 := strconv.Atoi(v)
		if err1 == nil && err2 == nil && p >= 0 && p < MaxPanes && n >= 0 {
			out[p] = n
		}
	}
	return out
}
