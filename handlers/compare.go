package handlers

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/views"
	"github.com/playground-dev/playground/web/compare"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/sse"
)

// keyLastComparison is the session key of the comparison the compare page
// shows after a reload.
const keyLastComparison = "cmp"

// compareState is the compare view of one session: its base form (the
// playground's) and its panes.
type compareState struct {
	sc     scope
	owner  string
	base   compare.Base
	draft  draft.Result // the base form, checked
	layout compare.Layout
}

// loadCompare reads the session's base form and panes (two panes of the
// base model when it has none).
func (d *Deps) loadCompare(c *fiber.Ctx) compareState {
	st := compareState{sc: d.scopeOf(c), owner: ownerOf(c)}
	in := draft.Input{}
	if saved, ok := d.Saved.Load(st.owner); ok {
		in = draft.Input{Provider: saved.Provider, Model: saved.Model, PrevProvider: saved.Provider, PrevModel: saved.Model, Form: saved.Form}
	}
	st.setBase(in)
	if !d.Layouts.Get(st.owner, &st.layout) || len(st.layout.Panes) < compare.MinPanes {
		st.layout = compare.Fresh(st.base)
	}
	return st
}

func (st *compareState) setBase(in draft.Input) {
	st.draft = st.sc.drafts.Prepare(in)
	st.base = compare.Base{Provider: st.draft.Provider.ID, Model: st.draft.Model.ID, Form: st.draft.Form}
}

// submit applies the posted compare form: the base prompt and the panes.
func (st *compareState) submit(c *fiber.Ctx) {
	base, l := compare.ApplyForm(st.base, st.draft.Model, formValues(c))
	st.setBase(draft.Input{Provider: base.Provider, Model: base.Model, PrevProvider: base.Provider, PrevModel: base.Model, Form: base.Form})
	// A form without panes (a partial post) changes only the prompt.
	if len(l.Panes) == 0 {
		l.Panes = st.layout.Panes
	}
	// A pane whose provider changed starts at that provider's first model.
	for i := range l.Panes {
		if i < len(st.layout.Panes) && st.layout.Panes[i].Provider != l.Panes[i].Provider {
			l = l.SetModel(i, l.Panes[i].Provider, "")
		}
	}
	st.layout = l
}

// resolve computes the panes and normalizes the layout.
func (st *compareState) resolve() []compare.Resolved {
	rs := compare.Resolve(st.sc.drafts, st.base, st.layout)
	st.layout = compare.LayoutOf(st.layout, rs)
	return rs
}

// save keeps the base form and the panes for the next visit.
func (d *Deps) saveCompare(st compareState) {
	if err := d.Saved.Save(st.owner, st.base); err != nil {
		d.Log.Warn("could not keep the form", "err", err)
	}
	if err := d.Layouts.Put(st.owner, st.layout); err != nil {
		d.Log.Warn("could not keep the panes", "err", err)
	}
}

func (st *compareState) form(rs []compare.Resolved) views.CompareForm {
	return views.NewCompareForm(st.sc.cat, st.draft, rs, st.layout, st.sc.drafts.KeySource)
}

// Compare serves GET /compare.
func Compare(d *Deps, assets views.Assets) fiber.Handler {
	return func(c *fiber.Ctx) error {
		st := d.loadCompare(c)
		rs := st.resolve()
		page := views.ComparePage{Title: "Compare · Playground", Assets: assets, CSRF: csrfToken(c), Form: st.form(rs)}
		if s := sessionOf(c); s != nil && s.Get(keyLastComparison) != "" {
			if runs := d.Runs.Group(s.Get(keyLastComparison), st.owner); len(runs) > 0 {
				v := compareRunsOf(s.Get(keyLastComparison), runs)
				page.Runs = &v
			}
		}
		return render(c, http.StatusOK, views.ComparePageView(page))
	}
}

// compareRunsOf rebuilds a comparison's output from the runs still held.
func compareRunsOf(group string, runs []*run.Run) views.CompareRuns {
	labels := make([]string, len(runs))
	errs := make([][2]string, len(runs))
	for i, r := range runs {
		labels[i] = paneLabel(r.Spec)
	}
	return views.NewCompareRuns(group, labels, runs, errs)
}

func paneLabel(s run.Spec) string {
	l := s.Provider.Name + " · " + s.Model.Label()
	if len(s.Origin.Overrides) > 0 {
		l += " · " + s.Origin.Overrides
	}
	return l
}

// ComparePreview serves POST /compare/preview: each pane's curl and
// errors for the form as it stands.
func ComparePreview(d *Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		st := d.loadCompare(c)
		st.submit(c)
		rs := st.resolve()
		d.saveCompare(st)
		return render(c, http.StatusOK, views.ComparePreview(st.form(rs)))
	}
}

// CompareEdit serves POST /compare/edit?op=add|remove|model&pane=N: the
// panes changed, the whole form again.
func CompareEdit(d *Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		st := d.loadCompare(c)
		st.submit(c)
		i, _ := strconv.Atoi(c.Query("pane"))
		switch c.Query("op") {
		case "add":
			st.layout = st.layout.Add()
		case "remove":
			st.layout = st.layout.Remove(i)
		case "model":
			// submit already took the pane's new provider and model.
		default:
			return fiber.NewError(http.StatusBadRequest, "Unknown change to the panes.")
		}
		rs := st.resolve()
		d.saveCompare(st)
		return render(c, http.StatusOK, views.CompareFormView(st.form(rs), false))
	}
}

// CompareSweep serves POST /compare/sweep: one pane per value of the
// chosen parameter, or the sweep's errors next to its fields.
func CompareSweep(d *Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		st := d.loadCompare(c)
		st.submit(c)
		l, errs := compare.Sweep(st.base, st.draft.Model, st.layout.SweepField, st.layout.SweepValues)
		if len(errs) == 0 {
			st.layout = l
		}
		rs := st.resolve()
		d.saveCompare(st)
		f := st.form(rs)
		f.SweepErrors = errs
		return render(c, http.StatusOK, views.CompareFormView(f, false))
	}
}

// comparisonRecord is what a comparison keeps of how it was made, for
// forking it later.
type comparisonRecord struct {
	Base   compare.Base   `json:"base"`
	Layout compare.Layout `json:"layout"`
}

// CompareRun serves POST /compare/run: check every pane, then start them
// all at once as one comparison.
func CompareRun(d *Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		st := d.loadCompare(c)
		st.submit(c)
		rs := st.resolve()
		d.saveCompare(st)
		var bad []string
		for _, r := range rs {
			if r.Draft.Request == nil {
				bad = append(bad, strconv.Itoa(r.Index+1))
			}
		}
		if len(bad) > 0 {
			f := st.form(rs)
			f.Message = "Nothing was sent: " + views.Plural(len(bad), "pane needs", "panes need") + " attention (" + strings.Join(bad, ", ") + ")."
			return render(c, http.StatusOK, views.CompareRejected(f))
		}
		group := history.NewID()
		rec, _ := json.Marshal(comparisonRecord{Base: st.base, Layout: st.layout})
		if err := d.History.CreateComparison(c.UserContext(), st.owner, history.Comparison{
			ID: group, Created: time.Now(), Title: comparisonTitle(st.layout, rs), Layout: rec,
		}); err != nil {
			return err
		}
		labels := make([]string, len(rs))
		runs := make([]*run.Run, len(rs))
		errs := make([][2]string, len(rs))
		for i, r := range rs {
			spec, err := st.sc.drafts.Spec(r.Draft, st.owner)
			var refused *problem.Error
			switch {
			case errors.As(err, &refused):
				errs[i] = [2]string{refused.Message, refused.Hint}
			case err != nil:
				return err
			}
			spec.Origin.Group, spec.Origin.Pane, spec.Origin.Overrides = group, i, overridesLabel(r)
			labels[i] = paneLabel(spec)
			if err != nil {
				continue
			}
			spec.Client = clientAddr(c)
			rn, err := d.Runs.TryStart(spec)
			if errors.As(err, &refused) {
				errs[i] = [2]string{refused.Message, refused.Hint}
				continue
			}
			if err != nil {
				return err
			}
			runs[i] = rn
		}
		d.Log.Info("comparison started", "comparison", group, "panes", len(rs))
		if s := sessionOf(c); s != nil {
			s.Set(keyLastComparison, group)
		}
		return render(c, http.StatusOK, views.CompareRunsView(views.NewCompareRuns(group, labels, runs, errs)))
	}
}

// overridesLabel names a pane by what it overrides ("temperature=0.7").
func overridesLabel(r compare.Resolved) string {
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

func comparisonTitle(l compare.Layout, rs []compare.Resolved) string {
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
			if v := r.Pane.Overrides[l.SweepField]; v != "" {
				vals = append(vals, v)
			}
		}
		if len(vals) > 0 { // a sweep field picked but never swept names nothing
			t += ": " + l.SweepField + " " + strings.Join(vals, ", ")
		}
	}
	return t
}

// CompareEvents serves GET /compare/:id/events: the events of every pane's
// run in one stream (a browser holds few connections per server). Each
// event's data is {"p":PANE,"d":EVENT}; its id lists every pane's last
// event ("pane:id,…"), so a reconnecting browser resumes each where it was.
func CompareEvents(runs *run.Manager) fiber.Handler {
	return func(c *fiber.Ctx) error {
		group := runs.Group(c.Params("id"), ownerOf(c))
		if len(group) == 0 {
			return fiber.ErrNotFound
		}
		after := parseGroupID(c.Get("Last-Event-ID"))
		if groupDelivered(group, after) {
			// Every pane is over and the browser has all of it: 204 tells
			// an EventSource to stop reconnecting.
			return c.SendStatus(http.StatusNoContent)
		}
		watch := func() func() {
			releases := make([]func(), len(group))
			for i, rn := range group {
				releases[i] = rn.Watch()
			}
			return func() {
				for _, release := range releases {
					release()
				}
			}
		}
		var data []byte
		var more []<-chan struct{}
		streamEvents(c, runs.Closed(), watch, func(buf []byte) ([]byte, []<-chan struct{}, bool) {
			more = more[:0]
			for _, rn := range group {
				p := rn.Spec.Origin.Pane
				evs, done, changed := rn.Since(after[p])
				for _, e := range evs {
					if len(buf) >= maxBatch {
						return buf, nil, false // the rest at the next read
					}
					after[p] = e.ID
					data = append(data[:0], `{"p":`...)
					data = strconv.AppendInt(data, int64(p), 10)
					data = append(data, `,"d":`...)
					data = append(data, eventData(e)...)
					if e.Name == "done" {
						// The comparison's total so far, written by views.
						data = append(data, `,"total":`...)
						total, _ := json.Marshal(views.GroupTotal(group))
						data = append(data, total...)
					}
					data = append(data, '}')
					buf = sse.AppendEventID(buf, groupID(after), e.Name, data)
				}
				if !done {
					more = append(more, changed)
				}
			}
			return buf, more, len(more) == 0 // every pane is done
		})
		return nil
	}
}

// groupDelivered reports every run of a group finished with its events
// up to after delivered.
func groupDelivered(group []*run.Run, after map[int]int) bool {
	for _, rn := range group {
		if evs, done, _ := rn.Since(after[rn.Spec.Origin.Pane]); !done || len(evs) > 0 {
			return false
		}
	}
	return true
}

// groupID writes each pane's last event id: "0:12,1:9".
func groupID(after map[int]int) string {
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

// parseGroupID reads groupID's format; anything unreadable counts as 0.
func parseGroupID(s string) map[int]int {
	out := map[int]int{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(part, ":")
		if !ok {
			continue
		}
		p, err1 := strconv.Atoi(k)
		n, err2 := strconv.Atoi(v)
		if err1 == nil && err2 == nil && p >= 0 && p < compare.MaxPanes && n >= 0 {
			out[p] = n
		}
	}
	return out
}
