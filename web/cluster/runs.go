package cluster

import (
	"context"

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

// Follow is owner's run id, here or on another instance.
func (rs Runs) Follow(ctx context.Context, id, owner string) (run.Log, bool) {
	if r, ok := rs.Get(id, owner); ok {
		return r, true
	}
	if rs.Node == nil {
		return nil, false
	}
	r, err := rs.Node.Follow(ctx, id, owner)
	if err != nil {
		return nil, false
	}
	return r, true
}

// FollowGroup is owner's runs of a comparison, by pane: here when this
// instance started them, else wherever they run.
func (rs Runs) FollowGroup(ctx context.Context, group, owner string) []run.Log {
	var out []run.Log
	for _, r := range rs.Group(group, owner) {
		out = append(out, r)
	}
	if len(out) > 0 || rs.Node == nil || group == "" {
		return out
	}
	remotes, err := rs.Node.FollowGroup(ctx, group, owner)
	if err != nil {
		return nil
	}
	for _, r := range remotes {
		out = append(out, r)
	}
	return out
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
	if err == ErrNotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	// Sent even when the run reads as ended: a run swept while its
	// instance was late may still be going there.
	return true, rs.Node.Stop(ctx, id)
}

// LastElsewhere is owner's last run when another instance started it
// (Manager.Last has those of this one).
func (rs Runs) LastElsewhere(ctx context.Context, owner string) (Info, bool) {
	if rs.Node == nil {
		return Info{}, false
	}
	return rs.Node.Last(ctx, owner)
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
