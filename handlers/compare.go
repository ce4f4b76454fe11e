package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/views"
	"github.com/playground-dev/playground/web/cluster"
	"github.com/playground-dev/playground/web/compare"
	"github.com/playground-dev/playground/web/draft"
	webform "github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/sse"
)

// compareForm is the compare form's view model for a state.
func compareForm(sc scope, st *compare.State) views.CompareForm {
	return views.NewCompareForm(sc.cat, st.Draft, st.Resolved, st.Layout, sc.drafts.KeySource)
}

// The compare service as each handler uses it (compare.Service).
type (
	compareViewer interface {
		View(owner string, drafts *draft.Service) *compare.State
	}
	comparePreviewer interface {
		Preview(owner string, drafts *draft.Service, posted webform.Draft) *compare.State
	}
	compareEditor interface {
		Edit(owner string, drafts *draft.Service, posted webform.Draft, op string, i int) (*compare.State, error)
	}
	compareSweeper interface {
		SweepPanes(owner string, drafts *draft.Service, posted webform.Draft) (*compare.State, compare.SweepErrors)
	}
	compareStarter interface {
		Start(ctx context.Context, owner string, drafts *draft.Service, posted webform.Draft, client string) (*compare.State, compare.Started, error)
	}
	compareForker interface {
		Fork(owner string, base compare.Base, l compare.Layout) error
	}
)

// groupFinder finds the runs of a session's comparison while the server
// holds them (run.Manager).
type groupFinder interface {
	Group(group, owner string) []*run.Run
}

// groupFollower also says when the server stops: an event stream ends then.
type groupFollower interface {
	Closed() <-chan struct{}
	// FollowGroup is owner's runs of a comparison, on this instance or
	// another (cluster.Runs).
	FollowGroup(ctx context.Context, group, owner string) ([]run.Log, error)
}

// Compare serves GET /compare.
func Compare(scopes scoper, cmp compareViewer, runs anyGroupFinder, assets views.Assets) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc, owner := scopes.of(c), ownerOf(c)
		st := cmp.View(owner, sc.drafts)
		page := views.ComparePage{Title: "Compare · Playground", Assets: assets, CSRF: csrfToken(c), Form: compareForm(sc, st)}
		if s := sessionOf(c); s != nil && s.LastComparison() != "" {
			if group := runs.Group(s.LastComparison(), owner); len(group) > 0 {
				v := compareRunsOf(s.LastComparison(), group)
				page.Runs = &v
			} else if infos, logs := runs.GroupElsewhere(c.UserContext(), s.LastComparison(), owner); len(infos) > 0 {
				v := compareRunsElsewhere(sc, s.LastComparison(), infos, logs)
				page.Runs = &v
			}
		}
		return render(c, http.StatusOK, views.ComparePageView(page))
	}
}

// anyGroupFinder finds a comparison's runs here, else on another instance
// (cluster.Runs).
type anyGroupFinder interface {
	groupFinder
	GroupElsewhere(ctx context.Context, group, owner string) ([]cluster.Info, []run.Log)
}

// compareRunsElsewhere rebuilds a comparison another instance runs from
// what the cluster knows of its panes.
func compareRunsElsewhere(sc scope, group string, infos []cluster.Info, logs []run.Log) views.CompareRuns {
	labels := make([]string, len(infos))
	panels := make([]*views.Run, len(infos))
	errs := make([][2]string, len(infos))
	var started []run.Log
	for i, in := range infos {
		p, pok := sc.cat.Provider(in.Provider)
		m, mok := sc.cat.Model(in.Provider, in.Model)
		if !pok || !mok {
			labels[i], errs[i] = in.Provider+" · "+in.Model, [2]string{"This pane's model is no longer in the catalog.", ""}
			continue
		}
		labels[i] = compare.PaneLabel(run.Spec{Provider: p, Model: m, Origin: run.Origin{Overrides: in.Overrides}})
		v := views.NewRunOf(in.ID, p, m)
		panels[i] = &v
		started = append(started, logs[i])
	}
	return views.NewCompareRunsOf(group, labels, panels, started, errs)
}

// compareRunsOf rebuilds a comparison's output from the runs still held.
func compareRunsOf(group string, runs []*run.Run) views.CompareRuns {
	labels := make([]string, len(runs))
	errs := make([][2]string, len(runs))
	for i, r := range runs {
		labels[i] = compare.PaneLabel(r.Spec)
	}
	return views.NewCompareRuns(group, labels, runs, errs)
}

// ComparePreview serves POST /compare/preview: each pane's curl and
// errors for the form as it stands.
func ComparePreview(scopes scoper, cmp comparePreviewer) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc := scopes.of(c)
		st := cmp.Preview(ownerOf(c), sc.drafts, postedDraft(c))
		return render(c, http.StatusOK, views.ComparePreview(compareForm(sc, st)))
	}
}

// CompareEdit serves POST /compare/edit?op=add|remove|model&pane=N: the
// panes changed, the whole form again.
func CompareEdit(scopes scoper, cmp compareEditor) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc := scopes.of(c)
		i, _ := strconv.Atoi(c.Query("pane"))
		st, err := cmp.Edit(ownerOf(c), sc.drafts, postedDraft(c), c.Query("op"), i)
		if errors.Is(err, compare.ErrUnknownEdit) {
			return fiber.NewError(http.StatusBadRequest, "Unknown change to the panes.")
		}
		return render(c, http.StatusOK, views.CompareFormView(compareForm(sc, st), false))
	}
}

// CompareSweep serves POST /compare/sweep: one pane per value of the
// chosen parameter, or the sweep's errors next to its fields.
func CompareSweep(scopes scoper, cmp compareSweeper) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc := scopes.of(c)
		st, errs := cmp.SweepPanes(ownerOf(c), sc.drafts, postedDraft(c))
		f := compareForm(sc, st)
		f.SweepErrors = errs
		return render(c, http.StatusOK, views.CompareFormView(f, false))
	}
}

// CompareRun serves POST /compare/run: check every pane, then start them
// all at once as one comparison.
func CompareRun(scopes scoper, cmp compareStarter) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc := scopes.of(c)
		st, started, err := cmp.Start(c.UserContext(), ownerOf(c), sc.drafts, postedDraft(c), clientAddr(c))
		if err != nil {
			return err
		}
		if len(started.Invalid) > 0 {
			f := compareForm(sc, st)
			f.Message = views.PanesNeedAttention(started.Invalid)
			return render(c, http.StatusOK, views.CompareRejected(f))
		}
		if s := sessionOf(c); s != nil {
			s.SetLastComparison(started.Group)
		}
		return render(c, http.StatusOK, views.CompareRunsView(views.NewCompareRuns(started.Group, started.Labels, started.Runs, started.Errs)))
	}
}

// CompareEvents serves GET /compare/:id/events: the events of every pane's
// run in one stream (a browser holds few connections per server). Each
// event's data is {"p":PANE,"d":EVENT}; its id lists every pane's last
// event ("pane:id,…"), so a reconnecting browser resumes each where it was.
func CompareEvents(runs groupFollower) fiber.Handler {
	return func(c *fiber.Ctx) error {
		group, err := runs.FollowGroup(c.UserContext(), c.Params("id"), ownerOf(c))
		if err != nil {
			return err
		}
		if len(group) == 0 {
			return fiber.ErrNotFound
		}
		after := compare.ParseGroupID(c.Get("Last-Event-ID"))
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
				p := rn.Pane()
				evs, done, changed := rn.Since(after[p])
				for _, e := range evs {
					if len(buf) >= maxBatch {
						return buf, nil, false // the rest at the next read
					}
					after[p] = e.ID
					data = append(data[:0], `{"p":`...)
					data = strconv.AppendInt(data, int64(p), 10)
					data = append(data, `,"d":`...)
					data = append(data, eventData(rn, e)...)
					if e.Name == "done" {
						// The comparison's total so far, written by views.
						data = append(data, `,"total":`...)
						total, _ := json.Marshal(views.GroupTotal(group))
						data = append(data, total...)
						if chart := views.GroupChart(group); chart != "" {
							// The last pane over: every pane's line on one chart.
							c, _ := json.Marshal(chart)
							data = append(data, `,"chart":`...)
							data = append(data, c...)
						}
					}
					data = append(data, '}')
					buf = sse.AppendEventID(buf, compare.GroupID(after), e.Name, data)
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
func groupDelivered(group []run.Log, after map[int]int) bool {
	for _, rn := range group {
		if evs, done, _ := rn.Since(after[rn.Pane()]); !done || len(evs) > 0 {
			return false
		}
	}
	return true
}
