package cluster

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/run"
)

// carry and carried are each other's inverse, payloads stay under the
// NOTIFY limit, and what cannot be carried is left to be read.
func TestCarryRoundTrip(t *testing.T) {
	big := strings.Repeat("x", carryMax+1)
	var events []eventRow
	for i := range 300 {
		events = append(events, eventRow{run: fmt.Sprintf("run%d", i%7), seq: i/7 + 1, name: "delta", data: []byte(fmt.Sprintf(`{"t":"w%d\nline two é"}`, i))})
	}
	events = append(events, eventRow{run: "runB", seq: 1, name: "md", data: []byte(big)},
		eventRow{run: "runN", seq: 1, name: "x", data: []byte("a\x00b")},
		eventRow{run: "runU", seq: 1, name: "x", data: []byte{0xff, 0xfe}},
		eventRow{run: "runE", seq: 1, name: "meta", data: nil})
	payloads, left := carry(events)
	if len(payloads) < 2 {
		t.Fatalf("%d payloads for 300 events", len(payloads))
	}
	got := map[string][]run.Event{}
	for _, p := range payloads {
		if len(p) > notifyLimit {
			t.Fatalf("a payload of %d bytes", len(p))
		}
		byRun, ok := carried(p)
		if !ok {
			t.Fatalf("unreadable payload %.80q", p)
		}
		for id, evs := range byRun {
			got[id] = append(got[id], evs...)
		}
	}
	want := map[string][]run.Event{}
	for _, e := range events[:300] {
		want[e.run] = append(want[e.run], run.Event{ID: e.seq, Name: e.name, Data: e.data})
	}
	want["runE"] = []run.Event{{ID: 1, Name: "meta", Data: []byte{}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("carried events differ")
	}
	var names []string
	for _, e := range left {
		names = append(names, e.run)
	}
	if strings.Join(names, ",") != "runB,runN,runU" {
		t.Fatalf("left %v", names)
	}
	for _, bad := range []string{"run 1 delta\n", "run x delta 1\na", "run 1 delta 5\nab", "run 1 delta -1\n"} {
		if _, ok := carried(bad); ok {
			t.Errorf("%q read", bad)
		}
	}
}

// A follower that missed events takes none after the gap from a NOTIFY
// and says it must read the run.
func TestRemoteAddAfterAGap(t *testing.T) {
	r := &Remote{changed: make(chan struct{})}
	if !r.add([]run.Event{{ID: 1, Name: "start"}, {ID: 2, Name: "delta"}}) || r.length() != 2 {
		t.Fatal("in order")
	}
	if !r.add([]run.Event{{ID: 2, Name: "delta"}}) || r.length() != 2 {
		t.Fatal("a duplicate is skipped")
	}
	if r.add([]run.Event{{ID: 4, Name: "delta"}}) || r.length() != 2 {
		t.Fatal("after a gap")
	}
}

func FuzzCarried(f *testing.F) {
	payloads, _ := carry([]eventRow{{run: "r", seq: 1, name: "delta", data: []byte(`{"t":"a"}`)}, {run: "s", seq: 9, name: "done", data: []byte("{}")}})
	for _, p := range payloads {
		f.Add(p)
	}
	f.Add("r 1 x 0\n")
	f.Fuzz(func(t *testing.T, p string) {
		byRun, ok := carried(p)
		if !ok {
			return
		}
		var rows []eventRow
		for id, evs := range byRun {
			for _, e := range evs {
				if strings.ContainsAny(id, " \n") || strings.ContainsAny(e.Name, " \n") {
					return // a name carry would not make
				}
				rows = append(rows, eventRow{run: id, seq: e.ID, name: e.Name, data: e.Data})
			}
		}
		_ = rows
	})
}

// A client address is kept as an HMAC of the instances' shared secret:
// the same on every instance, not a plain hash anyone can reverse.
func TestClientKey(t *testing.T) {
	a, b, c := &Node{cfg: Config{Secret: []byte("s1")}}, &Node{cfg: Config{Secret: []byte("s1")}}, &Node{cfg: Config{Secret: []byte("s2")}}
	if a.clientKey("192.0.2.1") != b.clientKey("192.0.2.1") {
		t.Fatal("two instances with one secret disagree")
	}
	if a.clientKey("192.0.2.1") == c.clientKey("192.0.2.1") || a.clientKey("192.0.2.1") == a.clientKey("192.0.2.2") {
		t.Fatal("the key does not depend on the secret and the address")
	}
	if a.clientKey("192.0.2.1") == history.OwnerKey("client:192.0.2.1") {
		t.Fatal("a plain hash")
	}
}
