package account

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/playground-dev/playground/web/upstream"
)

// Fetcher sends a GET with the key (upstream.Client.Get, through the SSRF
// guard).
type Fetcher func(ctx context.Context, url, key string) (*upstream.Response, error)

// Lister lists an added provider's models with GET {base}/models, and
// keeps each answer a while so the pickers do not ask on every request.
type Lister struct {
	fetch Fetcher
	// TTL is how long a list is kept; ErrTTL how long a failure is.
	TTL, ErrTTL time.Duration
	// Timeout bounds one fetch.
	Timeout time.Duration

	group singleflight.Group
	mu    sync.Mutex
	cache map[string]listing
}

type listing struct {
	ids []string
	err error
	at  time.Time
}

const (
	maxListings   = 1000
	maxModelsBody = 8 << 20
	maxModels     = 2000
)

// NewLister returns a lister: lists fresh for an hour, failures for a
// minute, 15 seconds per fetch.
func NewLister(fetch Fetcher) *Lister {
	return &Lister{fetch: fetch, TTL: time.Hour, ErrTTL: time.Minute, Timeout: 15 * time.Second, cache: map[string]listing{}}
}

// cacheKey names one provider at one URL with one key (hashed: the cache
// holds no key).
func cacheKey(p Provider, key string) string {
	h := sha256.Sum256([]byte(key))
	return p.ID + "\x00" + p.BaseURL + "\x00" + hex.EncodeToString(h[:8])
}

// Models returns the ids p lists, sorted. Only the first call for a
// provider waits for its list; after that the kept answer is returned at
// once and, when it is stale, asked for again in the background, so no
// page or keystroke waits on a slow provider.
func (l *Lister) Models(ctx context.Context, p Provider, key string) ([]string, error) {
	k := cacheKey(p, key)
	l.mu.Lock()
	e, ok := l.cache[k]
	l.mu.Unlock()
	if !ok {
		e = l.load(ctx, k, p, key)
	} else if age := time.Since(e.at); e.err != nil && age >= l.ErrTTL || e.err == nil && age >= l.TTL {
		go l.load(ctx, k, p, key)
	}
	return e.ids, e.err
}

// load asks p for its list (once, however many callers ask at the same
// time) and keeps the answer.
func (l *Lister) load(ctx context.Context, k string, p Provider, key string) listing {
	v, _, _ := l.group.Do(k, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.Timeout)
		defer cancel()
		ids, err := l.list(ctx, p, key)
		e := listing{ids: ids, err: err, at: time.Now()}
		l.store(k, e)
		return e, nil
	})
	return v.(listing)
}

// Forget drops what is kept for p, so the next Models asks again.
func (l *Lister) Forget(p Provider, key string) {
	l.mu.Lock()
	delete(l.cache, cacheKey(p, key))
	l.mu.Unlock()
}

// store keeps e, dropping the oldest answer when the cache is full.
func (l *Lister) store(k string, e listing) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.cache[k]; !ok && len(l.cache) >= maxListings {
		oldest := ""
		for ck, ce := range l.cache {
			if oldest == "" || ce.at.Before(l.cache[oldest].at) {
				oldest = ck
			}
		}
		delete(l.cache, oldest)
	}
	l.cache[k] = e
}

func (l *Lister) list(ctx context.Context, p Provider, key string) ([]string, error) {
	ids, err := l.fetchList(ctx, p, key)
	if err != nil && len(key) >= 4 {
		// Providers echo keys in error messages.
		err = errors.New(strings.ReplaceAll(err.Error(), key, "[redacted]"))
	}
	return ids, err
}

func (l *Lister) fetchList(ctx context.Context, p Provider, key string) ([]string, error) {
	resp, err := l.fetch(ctx, p.BaseURL+"/models", key)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.Status != 200 {
		e := upstream.ErrorFromResponse(resp, "", "")
		msg := fmt.Sprintf("GET /models answered HTTP %d", resp.Status)
		if e.Message != "" {
			msg += ": " + e.Message
		}
		if resp.Status == 401 || resp.Status == 403 {
			msg += " (check the key)"
		}
		return nil, errors.New(msg)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxModelsBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading /models: %w", err)
	}
	if len(body) > maxModelsBody {
		return nil, errors.New("the /models answer is larger than 8 MB")
	}
	ids, err := ParseModels(body)
	if err != nil {
		return nil, err
	}
	if len(key) >= 4 {
		// An id that holds the key (a provider echoing it) is not shown.
		kept := ids[:0]
		for _, id := range ids {
			if !strings.Contains(id, key) {
				kept = append(kept, id)
			}
		}
		ids = kept
	}
	if len(ids) == 0 {
		return nil, errors.New("GET /models listed no models")
	}
	return ids, nil
}

// ParseModels reads an OpenAI-style model list ({"data":[{"id":...}]}, or
// a bare array of such objects) into sorted unique ids.
func ParseModels(body []byte) ([]string, error) {
	type entry struct {
		ID string `json:"id"`
	}
	var list struct {
		Data []entry `json:"data"`
	}
	trimmed := strings.TrimSpace(string(body))
	var entries []entry
	if strings.HasPrefix(trimmed, "[") {
		if err := json.Unmarshal(body, &entries); err != nil {
			return nil, errors.New("GET /models did not answer an OpenAI model list")
		}
	} else {
		if err := json.Unmarshal(body, &list); err != nil {
			return nil, errors.New("GET /models did not answer an OpenAI model list")
		}
		entries = list.Data
	}
	seen := map[string]bool{}
	var ids []string
	for _, e := range entries {
		if e.ID == "" || seen[e.ID] {
			continue
		}
		seen[e.ID] = true
		ids = append(ids, e.ID)
		if len(ids) == maxModels {
			break
		}
	}
	sort.Strings(ids)
	return ids, nil
}
