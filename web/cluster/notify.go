package cluster

import (
	"bytes"
	"context"
	"strconv"
	"unicode/utf8"

	"github.com/playground-dev/playground/web/run"
)

// chanCarried carries a batch's small events themselves, so an instance
// following their runs need not read them back from cluster_events: the
// NOTIFY that says a run grew is its growth. What does not fit (a large
// event, or one a NOTIFY cannot carry) is named on chanEvents instead and
// read from the table, as is anything a follower finds missing.
const chanCarried = "playground_carried"

// carryMax is the largest event data a NOTIFY carries.
const carryMax = 4000

// carry encodes events into NOTIFY payloads of at most notifyLimit bytes,
// each a run of records "RUN SEQ NAME LEN\n" then LEN bytes of data; the
// events it cannot carry are returned.
func carry(events []eventRow) (payloads []string, left []eventRow) {
	var b bytes.Buffer
	for _, e := range events {
		if len(e.data) > carryMax || !utf8.Valid(e.data) || bytes.IndexByte(e.data, 0) >= 0 || !utf8.ValidString(e.name) {
			left = append(left, e)
			continue
		}
		var rec []byte
		rec = append(rec, e.run...)
		rec = append(rec, ' ')
		rec = strconv.AppendInt(rec, int64(e.seq), 10)
		rec = append(rec, ' ')
		rec = append(rec, e.name...)
		rec = append(rec, ' ')
		rec = strconv.AppendInt(rec, int64(len(e.data)), 10)
		rec = append(rec, '\n')
		rec = append(rec, e.data...)
		if b.Len()+len(rec) > notifyLimit {
			payloads = append(payloads, b.String())
			b.Reset()
		}
		b.Write(rec)
	}
	if b.Len() > 0 {
		payloads = append(payloads, b.String())
	}
	return payloads, left
}

// carried decodes a payload of carry's into events by run; false when it
// is not one (then nothing of it is used).
func carried(payload string) (map[string][]run.Event, bool) {
	out := map[string][]run.Event{}
	p := []byte(payload)
	for len(p) > 0 {
		nl := bytes.IndexByte(p, '\n')
		if nl < 0 {
			return nil, false
		}
		f := bytes.Fields(p[:nl])
		if len(f) != 4 {
			return nil, false
		}
		seq, err1 := strconv.Atoi(string(f[1]))
		n, err2 := strconv.Atoi(string(f[3]))
		if err1 != nil || err2 != nil || n < 0 || n > len(p)-nl-1 {
			return nil, false
		}
		data := p[nl+1 : nl+1+n]
		id := string(f[0])
		out[id] = append(out[id], run.Event{ID: seq, Name: string(f[2]), Data: bytes.Clone(data)})
		p = p[nl+1+n:]
	}
	return out, true
}

// notifyBatch sends what a batch's followers need: its small events
// carried, the runs of the others (and the registrations) named.
func notifyBatch(ctx context.Context, db execer, events []eventRow, named map[string]bool) error {
	payloads, left := carry(events)
	for _, p := range payloads {
		if _, err := db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, chanCarried, p); err != nil {
			return err
		}
	}
	for _, e := range left {
		named[e.run] = true
	}
	if len(named) == 0 {
		return nil
	}
	return notifyIDs(ctx, db, chanEvents, keys(named))
}

// takeCarried hands carried events to the remotes following their runs;
// a run whose carried events do not continue its log (it missed some) is
// read from the table.
func (n *Node) takeCarried(payload string) {
	byRun, ok := carried(payload)
	if !ok {
		n.cfg.Log.Warn("cluster: an unreadable events NOTIFY; reading the followed runs again")
		n.fetchAll()
		return
	}
	var missing []string
	for id, evs := range byRun {
		n.mu.Lock()
		r := n.remotes[id]
		n.mu.Unlock()
		if r != nil && !r.add(evs) {
			missing = append(missing, id)
		}
	}
	n.fetchSome(missing)
}
