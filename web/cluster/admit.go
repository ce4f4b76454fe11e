package cluster

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/run"
)

// admitWait bounds how long starting a run waits for the database to
// count it.
const admitWait = 5 * time.Second

// releaseWait bounds how long a run's ending waits to count it over (a
// failure is mended by the next fence, within seconds).
const releaseWait = 2 * time.Second

// Admit counts run id as going over every instance if the limits allow it
// (run.Cluster). The counting and the new slot happen under one advisory
// lock, so starts on several instances cannot pass a limit together. The
// runs going are the slots not ended of live instances; the per-minute
// limits count the starts of the last 60 seconds (a sliding window, where
// one instance alone keeps a token bucket: both allow the limit in any
// minute).
func (n *Node) Admit(s run.Spec, id string, l run.Limits, _ time.Time) error {
	ctx, cancel := context.WithTimeout(context.Background(), admitWait)
	defer cancel()
	tx, err := n.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7301)`); err != nil {
		return err
	}
	owner := history.OwnerKey(s.Owner)
	client := ""
	if s.Client != "" {
		client = n.clientKey(s.Client)
	}
	var ownerGoing, clientGoing, operatorGoing, ownerMinute, clientMinute int
	var ownerWait, clientWait float64
	err = tx.QueryRowContext(ctx, `WITH s AS (
			SELECT owner, client, operator, started, ended_at IS NULL AND EXISTS (SELECT 1 FROM cluster_instances i
				WHERE i.id = cluster_slots.instance AND i.alive_at > clock_timestamp() - make_interval(secs => $3)) AS going
			FROM cluster_slots WHERE ended_at IS NULL OR started > clock_timestamp() - interval '1 minute')
		SELECT count(*) FILTER (WHERE going AND owner = $1),
			count(*) FILTER (WHERE going AND client = $2 AND $2 <> ''),
			count(*) FILTER (WHERE going AND operator),
			count(*) FILTER (WHERE owner = $1 AND started > clock_timestamp() - interval '1 minute'),
			count(*) FILTER (WHERE client = $2 AND $2 <> '' AND started > clock_timestamp() - interval '1 minute'),
			COALESCE(EXTRACT(EPOCH FROM MIN(started) FILTER (WHERE owner = $1 AND started > clock_timestamp() - interval '1 minute') + interval '1 minute' - clock_timestamp()), 0),
			COALESCE(EXTRACT(EPOCH FROM MIN(started) FILTER (WHERE client = $2 AND $2 <> '' AND started > clock_timestamp() - interval '1 minute') + interval '1 minute' - clock_timestamp()), 0)
		FROM s`, owner, client, StaleAfter.Seconds()).Scan(&ownerGoing, &clientGoing, &operatorGoing, &ownerMinute, &clientMinute, &ownerWait, &clientWait)
	if err != nil {
		return err
	}
	seconds := func(v float64) time.Duration { return time.Duration(v * float64(time.Second)) }
	switch {
	case l.AtOnce > 0 && s.Owner != "" && ownerGoing >= l.AtOnce:
		return run.Refusal(run.SessionAtOnce, ownerGoing, 0)
	case l.ClientAtOnce > 0 && client != "" && clientGoing >= l.ClientAtOnce:
		return run.Refusal(run.ClientAtOnce, clientGoing, 0)
	case l.OperatorAtOnce > 0 && s.OperatorKey && operatorGoing >= l.OperatorAtOnce:
		return run.Refusal(run.OperatorAtOnce, operatorGoing, 0)
	case l.PerMinute > 0 && ownerMinute >= l.PerMinute:
		return run.Refusal(run.SessionPerMinute, l.PerMinute, seconds(ownerWait))
	case l.ClientPerMinute > 0 && client != "" && clientMinute >= l.ClientPerMinute:
		return run.Refusal(run.ClientPerMinute, l.ClientPerMinute, seconds(clientWait))
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO cluster_slots (run_id, instance, owner, client, operator, started) VALUES ($1, $2, $3, $4, $5, clock_timestamp())`,
		id, n.cfg.Instance, owner, client, s.OperatorKey); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	n.mu.Lock()
	n.admitted[id] = true
	n.mu.Unlock()
	return nil
}

// Release counts run id no longer going (run.Cluster).
func (n *Node) Release(id string) {
	n.mu.Lock()
	held := n.admitted[id]
	delete(n.admitted, id)
	n.mu.Unlock()
	if !held {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), releaseWait)
	defer cancel()
	if _, err := n.db.ExecContext(ctx, `UPDATE cluster_slots SET ended_at = now() WHERE run_id = $1`, id); err != nil {
		n.cfg.Log.Warn("cluster: could not count a run as over; the next mark of this instance does (fence)", "run", id, "err", err)
	}
}

// clientKey is what the slots keep of a client address: an HMAC keyed by
// Config.Secret (a plain hash of the few billion IPv4 addresses is
// reversed in minutes).
func (n *Node) clientKey(addr string) string {
	m := hmac.New(sha256.New, n.cfg.Secret)
	m.Write([]byte("client:" + addr))
	return hex.EncodeToString(m.Sum(nil)[:16])
}
