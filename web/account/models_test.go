package account_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/account"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/upstream"
)

// hangingProviders starts n providers whose /models hangs until release
// is closed, and counts the requests in flight at once.
func hangingProviders(t *testing.T, n int) (providers []account.Provider, release func(), inFlight, most *atomic.Int32) {
	t.Helper()
	inFlight, most = &atomic.Int32{}, &atomic.Int32{}
	gate := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	for i := range n {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			now := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				m := most.Load()
				if now <= m || most.CompareAndSwap(m, now) {
					break
				}
			}
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
			io.WriteString(w, `{"data":[{"id":"model-`+strconv.Itoa(i)+`"}]}`)
		}))
		t.Cleanup(srv.Close)
		providers = append(providers, account.Provider{ID: "my-" + strconv.Itoa(i), Name: "Slow " + strconv.Itoa(i), BaseURL: srv.URL + "/v1", Styles: []catalog.Style{catalog.Chat}})
	}
	t.Cleanup(release)
	return providers, release, inFlight, most
}

func realLister() *account.Lister {
	c := upstream.New(upstream.Config{ConnectTimeout: 2 * time.Second, FirstByteTimeout: time.Minute, IdleTimeout: time.Minute})
	return account.NewLister(func(ctx context.Context, url, key string) (*upstream.Response, error) {
		return c.Get(ctx, url, key, false)
	})
}

// within fails the test when f has not returned after a generous guard
// (it is a hang guard, not a timing assertion).
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not return", what)
	}
}

// TestFirstPageDoesNotWaitForSlowProviders is finding 18: after a
// restart the first page of a session with four hanging providers took
// 60 s, listing them one after another. They are listed at once, the page
// waits at most the lister's Wait, and a later page uses the listings.
func TestFirstPageDoesNotWaitForSlowProviders(t *testing.T) {
	providers, release, inFlight, most := hangingProviders(t, 4)
	l := realLister()
	l.Wait, l.Timeout = 200*time.Millisecond, time.Minute
	a := account.Account{Providers: providers}
	base, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	models := func(p account.Provider) ([]string, error) { return l.Models(t.Context(), "owner", p, "") }
	var cat *catalog.Catalog
	within(t, "the first page's catalog", func() { cat = account.Catalog(base, a, models) })
	for _, p := range providers {
		got, _ := cat.Provider(p.ID)
		if len(cat.ModelsOf(p.ID)) != 0 || !strings.Contains(got.Description, "Its models are still loading: the provider has not answered yet") {
			t.Errorf("%s: %d models, description %q", p.ID, len(cat.ModelsOf(p.ID)), got.Description)
		}
	}
	// All four were asked at once: they are all still in flight.
	if n := most.Load(); n != 4 {
		t.Fatalf("at most %d listings in flight at once, want 4", n)
	}
	release()
	deadline := time.Now().Add(10 * time.Second)
	for inFlight.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	within(t, "the next page's catalog", func() {
		for time.Now().Before(deadline) {
			if cat = account.Catalog(base, a, models); len(cat.ModelsOf("my-3")) == 1 && len(cat.ModelsOf("my-0")) == 1 {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	for i, p := range providers {
		if ms := cat.ModelsOf(p.ID); len(ms) != 1 || ms[0].ID != "model-"+strconv.Itoa(i) {
			t.Errorf("%s: models %v once listed", p.ID, ms)
		}
	}
}

// TestListerKeepsListingsPerSession: the same provider, URL and key in
// two sessions are two listings (one cannot read the other's), and one
// session listing many providers pushes out only its own.
func TestListerKeepsListingsPerSession(t *testing.T) {
	var calls atomic.Int32
	fetch := func(_ context.Context, url, key string) (*upstream.Response, error) {
		calls.Add(1)
		return &upstream.Response{Status: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"data":[{"id":"m"}]}`))}, nil
	}
	l := account.NewLister(fetch)
	p := account.Provider{ID: "my-1", BaseURL: "https://gw.example/v1"}
	l.Models(t.Context(), "alice", p, "k")
	l.Models(t.Context(), "bob", p, "k")
	if n := calls.Load(); n != 2 {
		t.Fatalf("%d fetches for two sessions, want 2", n)
	}
	for i := range 50 {
		l.Models(t.Context(), "bob", account.Provider{ID: "my-" + strconv.Itoa(100+i), BaseURL: "https://gw.example/v1"}, "k")
	}
	before := calls.Load()
	if ids, err := l.Models(t.Context(), "alice", p, "k"); err != nil || len(ids) != 1 || calls.Load() != before {
		t.Fatalf("alice's listing was pushed out by bob's: %v %v, %d fetches", ids, err, calls.Load()-before)
	}
}

// TestAddedProviderWaitIsBounded: Models answers ErrListing for a
// provider that hangs, once Wait has passed or the request is gone.
func TestAddedProviderWaitIsBounded(t *testing.T) {
	providers, _, _, _ := hangingProviders(t, 1)
	l := realLister()
	l.Wait = 100 * time.Millisecond
	var err error
	within(t, "Models", func() { _, err = l.Models(t.Context(), "o", providers[0], "") })
	if !errors.Is(err, account.ErrListing) {
		t.Fatalf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	l.Wait = time.Hour
	within(t, "Models with a cancelled request", func() { _, err = l.Models(ctx, "o2", providers[0], "") })
	if !errors.Is(err, account.ErrListing) {
		t.Fatalf("err = %v", err)
	}
}

// TestModelsGzipBomb: a /models answer that inflates past the client's
// decompressed limit fails the listing with that limit in the message.
func TestModelsGzipBomb(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(`{"data":[`))
	entry := []byte(`{"id":"m"},`)
	for range (64 << 20) / len(entry) {
		zw.Write(entry)
	}
	zw.Write([]byte(`{"id":"last"}]}`))
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(buf.Bytes())
	}))
	defer srv.Close()
	c := upstream.New(upstream.Config{ConnectTimeout: time.Second, FirstByteTimeout: 5 * time.Second, IdleTimeout: 5 * time.Second, MaxDecompressed: 1 << 20})
	l := account.NewLister(func(ctx context.Context, url, key string) (*upstream.Response, error) {
		return c.Get(ctx, url, key, false)
	})
	_, err := l.Models(t.Context(), "o", account.Provider{ID: "my-1", BaseURL: srv.URL + "/v1"}, "")
	if err == nil || !strings.Contains(err.Error(), "the answer exceeded 1 MB once decompressed") {
		t.Fatalf("err = %v (%d bytes on the wire)", err, buf.Len())
	}
}
