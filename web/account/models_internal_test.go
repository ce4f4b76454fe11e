package account

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/upstream"
)

// modelList is n ids of size bytes each, as a /models answer.
func modelList(n, size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"data":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		id := strconv.Itoa(i) + "-"
		b.WriteString(`{"id":"` + id + strings.Repeat("x", size-len(id)) + `"}`)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// accounted recounts the kept listings and checks the running total.
func accounted(t *testing.T, l *Lister) (size int64, listings int) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var ids int64
	for el := l.order.Front(); el != nil; el = el.Next() {
		e := el.Value.(*listing)
		size += e.size
		listings++
		for _, id := range e.ids {
			ids += int64(len(id))
		}
	}
	if size != l.size || listings != len(l.cache) {
		t.Fatalf("accounting: recount %d bytes in %d listings, running total %d in %d", size, listings, l.size, len(l.cache))
	}
	if ids > size {
		t.Fatalf("%d bytes of ids kept, accounted as %d", ids, size)
	}
	return size, listings
}

// TestModelCacheBounded is finding 10: 20 listings of 2,000 ids of 4 KB
// each took 155 MB of heap, and a full cache would be 7.8 GB. Ids the
// catalog drops are dropped while parsing, and the cache keeps at most
// MaxBytes, the oldest listing going first.
func TestModelCacheBounded(t *testing.T) {
	huge := modelList(2000, 4<<10)
	fine := modelList(2000, 200)
	for name, tc := range map[string]struct {
		body     []byte
		maxBytes int64
		wantIDs  bool
	}{
		"ids of 4 KB":  {huge, DefaultCacheBytes, false},
		"ids of 200 B": {fine, 2 << 20, true},
	} {
		t.Run(name, func(t *testing.T) {
			l := NewLister(func(context.Context, string, string) (*upstream.Response, error) {
				return &upstream.Response{Status: 200, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(tc.body))}, nil
			})
			l.MaxBytes = tc.maxBytes
			// 5 sessions, 4 providers each: 20 listings.
			var last []string
			for s := range 5 {
				for i := range 4 {
					p := Provider{ID: "my-" + strconv.Itoa(i), BaseURL: "https://gw.example/v1"}
					last, _ = l.Models(context.Background(), "session-"+strconv.Itoa(s), p, "k")
					if size, _ := accounted(t, l); size > tc.maxBytes {
						t.Fatalf("the cache holds %d bytes, over its cap %d", size, tc.maxBytes)
					}
				}
			}
			size, n := accounted(t, l)
			t.Logf("%d listings kept in %d bytes (cap %d)", n, size, tc.maxBytes)
			if tc.wantIDs != (len(last) == 2000) {
				t.Fatalf("the last listing has %d ids", len(last))
			}
			if !tc.wantIDs && size > 20*1024 {
				t.Fatalf("20 listings of unusable ids keep %d bytes", size)
			}
			// The newest listing is the one kept.
			if _, ok := l.cache[cacheKey("session-4", Provider{ID: "my-3", BaseURL: "https://gw.example/v1"}, "k")]; !ok {
				t.Fatal("the newest listing was not kept")
			}
		})
	}
}
