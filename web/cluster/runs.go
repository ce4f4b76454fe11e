package cluster

import (
	"context"
	"errors"
	"time"

	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/run"
)

// Runs finds a session's runs in this process first, then (with a Node)
// on the other instances: what following, stopping and reloading need so
// that any instance serves any browser. Without a Node it is the run
// manager alone.
type Runs struct {
	*run.Manager
	Node *Node
}

// Unreachable is what a person is told when the database the instances
// share does not answer: a 503 to try again (an EventSource reconnects),
// not a 404 (which would end it for good).
func Unreachable(err error) *problem.Error {
	return &problem.Error{Kind: problem.KindUnavailable, Message: "The database the playground's servers share is not answering; trying again in a moment.",
		RetryAfter: 2 * time.Second, Err: err}
}

// Follow is owner's run id, here or on another instance; ErrNotFound when
// neither has it, Unreachable when the database does not answer.
func (rs Runs) Follow(ctx context.Context, id, owner string) (run.Log, error) {
	if r, ok := rs.Get(id, owner); ok {
		return r, nil
	}
	if rs.Node == nil {
		return nil, ErrNotFound
	}
	r, err := rs.Node.Follow(ctx, id, owner)
	switch {
	case err == nil:
		return r, nil
	case errors.Is(err, ErrNotFound):
		return nil, err
	}
	return nil, Unreachable(err)
}

// FollowGroup is owner's runs of a comparison, by pane: here when this
// instance started them, else wherever they run.
func (rs Runs) FollowGroup(ctx context.Context, group, owner string) ([]run.Log, error) {
	var out []run.Log
	for _, r := range rs.Group(group, owner) {
		out = append(out, r)
	}
	if len(out) > 0 || rs.Node == nil || group == "" {
		return out, nil
	}
	remotes, err := rs.Node.FollowGroup(ctx, group, owner)
	if err != nil {
		return nil, Unreachable(err)
	}
	for _, r := range remotes {
		out = append(out, r)
	}
	return out, nil
}

// Stop stops owner's run id, here or through the instance that runs it;
// false: no such run.
func (rs Runs) Stop(ctx context.Context, id, owner string) (bool, error) {
	if r, ok := rs.Get(id, owner); ok {
		r.Stop()
		return true, nil
	}
	if rs.Node == nil {
		return false, nil
	}
	_, err := rs.Node.Lookup(ctx, id, owner)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, Unreachable(err)
	}
	// Sent even when the run reads as ended: a run swept while its
	// instance was late may still be going there.
	return true, rs.Node.Stop(ctx, id)
}

// LastRun is the run owner's page shows after a reload: this process's
// when it runs it, else what the cluster knows of it (remote). With a
// Node, the cluster decides which run is the last (another instance may
// have started a newer one); when the database cannot say, this
// process's last.
func (rs Runs) LastRun(ctx context.Context, owner string) (local *run.Run, remote Info, ok bool) {
	if rs.Node == nil {
		r, ok := rs.Last(owner)
		return r, Info{}, ok
	}
	in, err := rs.Node.Last(ctx, owner)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, Info{}, false
	case err != nil:
		r, ok := rs.Last(owner)
		return r, Info{}, ok
	}
	if r, ok := rs.Get(in.ID, owner); ok {
		return r, Info{}, true
	}
	if in.Local {
		return nil, Info{}, false // this instance's, no longer held
	}
	return nil, in, true
}

// Elsewhere reports whether another instance has owner's run id (this
// one does not: the caller asked the manager first).
func (rs Runs) Elsewhere(ctx context.Context, id, owner string) bool {
	if rs.Node == nil {
		return false
	}
	_, err := rs.Node.Lookup(ctx, id, owner)
	return err == nil
}

// GroupElsewhere is owner's comparison group when another instance
// started it: what the cluster knows of each pane's run, and its log.
func (rs Runs) GroupElsewhere(ctx context.Context, group, owner string) ([]Info, []run.Log) {
	if rs.Node == nil || group == "" {
		return nil, nil
	}
	infos, err := rs.Node.Group(ctx, group, owner)
	if err != nil || len(infos) == 0 {
		return nil, nil
	}
	logs := make([]run.Log, len(infos))
	for i, in := range infos {
		logs[i] = rs.Node.follow(ctx, in)
	}
	return infos, logs
}
