package cluster

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/playground-dev/playground/web/experiment"
	"github.com/playground-dev/playground/web/history"
)

// Experiments keeps the experiments every instance reads
// (experiment.Shared): published by the instance running each into
// cluster_experiments with the batch of events, commands passed on to it
// by NOTIFY.
type Experiments struct{ *Node }

var _ experiment.Shared = Experiments{}

type experimentRow struct {
	owner   string
	data    []byte
	running bool
}

// Publish queues experiment id as it stands (the latest of a batch wins).
func (x Experiments) Publish(id, owner string, data []byte, running bool) {
	n := x.Node
	n.mu.Lock()
	n.experiments[id] = experimentRow{owner: history.OwnerKey(owner), data: data, running: running}
	n.mu.Unlock()
	n.kick()
}

// experimentWait bounds how long Read waits for an experiment just
// started (published with the next batch, 10 ms later).
const experimentWait = time.Second

// Read is owner's experiment id as last published, waiting up to a
// second for one just started.
func (x Experiments) Read(ctx context.Context, id, owner string) ([]byte, bool, error) {
	deadline := time.Now().Add(experimentWait)
	for {
		var data []byte
		var running bool
		err := x.db.QueryRowContext(ctx, `SELECT data, running FROM cluster_experiments WHERE id = $1 AND owner = $2`,
			id, history.OwnerKey(owner)).Scan(&data, &running)
		if err == nil {
			return data, running, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, false, err
		}
		if time.Now().After(deadline) {
			return nil, false, experiment.ErrNotShared
		}
		select {
		case <-ctx.Done():
			return nil, false, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Latest is owner's most recently started experiment on any instance.
func (x Experiments) Latest(ctx context.Context, owner string) (string, []byte, bool, bool) {
	var id string
	var data []byte
	var running bool
	err := x.db.QueryRowContext(ctx, `SELECT id, data, running FROM cluster_experiments WHERE owner = $1 ORDER BY created DESC LIMIT 1`,
		history.OwnerKey(owner)).Scan(&id, &data, &running)
	return id, data, running, err == nil
}

// Send passes c to the instance running its experiment.
func (x Experiments) Send(ctx context.Context, c experiment.Command) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = x.db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, chanExperiment, string(b))
	return err
}

// SetExperiments sets what runs the commands other instances pass on for
// the experiments this one runs (experiment.Lives.Apply).
func (n *Node) SetExperiments(apply func(experiment.Command) error) {
	n.mu.Lock()
	n.applyExperiment = apply
	n.mu.Unlock()
}

// experimentCommand runs a command another instance passed on.
func (n *Node) experimentCommand(payload string) {
	var c experiment.Command
	if json.Unmarshal([]byte(payload), &c) != nil {
		return
	}
	n.mu.Lock()
	apply := n.applyExperiment
	n.mu.Unlock()
	if apply == nil {
		return
	}
	if err := apply(c); err != nil && !errors.Is(err, experiment.ErrNotShared) {
		n.cfg.Log.Debug("cluster: an experiment command was refused", "op", c.Op, "err", err)
	}
}

// writeExperiments upserts the experiments of a batch.
func writeExperiments(ctx context.Context, tx *sql.Tx, instance string, rows map[string]experimentRow) error {
	for id, r := range rows {
		if _, err := tx.ExecContext(ctx, `INSERT INTO cluster_experiments (id, owner, instance, data, running, created, updated_at)
			VALUES ($1, $2, $3, $4, $5, now(), now())
			ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data, running = EXCLUDED.running, instance = EXCLUDED.instance, updated_at = now()`,
			id, r.owner, instance, r.data, r.running); err != nil {
			return err
		}
	}
	return nil
}
