package run

import (
	"encoding/binary"
	"time"
)

// offsets are the times the upstream events came, after the run's start,
// for the inspector: kept as varints of the microseconds since the event
// before (one to three bytes an event, not eight), since a thousand open
// streams each keep theirs.
type offsets struct {
	b    []byte
	n    int
	last time.Duration
}

// add notes an event at d after the start (d never goes back).
func (o *offsets) add(d time.Duration) {
	d = d.Truncate(time.Microsecond)
	step := max(d-o.last, 0)
	o.b = binary.AppendUvarint(o.b, uint64(step/time.Microsecond))
	o.last += step
	o.n++
}

// len is how many events were noted.
func (o *offsets) len() int { return o.n }

// all returns every offset, in order.
func (o *offsets) all() []time.Duration {
	out := make([]time.Duration, 0, o.n)
	var at time.Duration
	for b := o.b; len(b) > 0; {
		v, k := binary.Uvarint(b)
		if k <= 0 {
			break
		}
		at += time.Duration(v) * time.Microsecond
		out = append(out, at)
		b = b[k:]
	}
	return out
}
