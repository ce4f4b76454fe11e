package run

import (
	"testing"
	"time"
)

func TestOffsetsKeepEachEventsTime(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []time.Duration
		want []time.Duration
	}{
		{"none", nil, []time.Duration{}},
		{"one", []time.Duration{1500 * time.Microsecond}, []time.Duration{1500 * time.Microsecond}},
		{"rounded down to the microsecond", []time.Duration{1999, 3 * time.Second}, []time.Duration{time.Microsecond, 3 * time.Second}},
		{"equal times", []time.Duration{time.Millisecond, time.Millisecond}, []time.Duration{time.Millisecond, time.Millisecond}},
		{"a clock that went back keeps the last", []time.Duration{5 * time.Millisecond, 4 * time.Millisecond}, []time.Duration{5 * time.Millisecond, 5 * time.Millisecond}},
		{"hours apart", []time.Duration{0, 3 * time.Hour}, []time.Duration{0, 3 * time.Hour}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var o offsets
			for _, d := range tc.in {
				o.add(d)
			}
			got := o.all()
			if o.len() != len(tc.in) || len(got) != len(tc.want) {
				t.Fatalf("len %d, all %v; want %d, %v", o.len(), got, len(tc.in), tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("offset %d = %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestOffsetsTakeFewBytes(t *testing.T) {
	var o offsets
	for i := range 1000 {
		o.add(time.Duration(i) * 20 * time.Millisecond)
	}
	if len(o.b) > 3000 {
		t.Errorf("1,000 events 20 ms apart take %d bytes, want at most 3 each", len(o.b))
	}
}
