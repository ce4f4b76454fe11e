package account

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/redact"
	"github.com/playground-dev/playground/web/units"
	"github.com/playground-dev/playground/web/upstream"
)

// Fetcher sends a GET with the key (upstream.Client.Get, through the SSRF
// guard).
type Fetcher func(ctx context.Context, url, key string) (*upstream.Response, error)

// HeaderFetcher is a Fetcher that also sends a provider's extra headers
// (upstream.Client.GetWith).
type HeaderFetcher func(ctx context.Context, url, key string, header http.Header) (*upstream.Response, error)

// ErrListing is the answer for a provider that has not answered its first
// listing within Lister.Wait; the listing goes on in the background and a
// later page uses it. The listing's other failures are problems of kind
// Upstream, the provider's words with the key redacted.
var ErrListing = problem.Errorf(problem.KindUnavailable, "the provider has not answered yet; reload the page in a moment")

// Lister lists an added provider's models with GET {base}/models, and
// keeps each answer a while so the pickers do not ask on every request.
// Listings are kept per session (owner): one session can neither read
// another's listing nor push it out by listing more, beyond the cache's
// total size.
type Lister struct {
	fetch Fetcher
	// fetchH, when set, lists the providers that have extra headers.
	fetchH HeaderFetcher
	// TTL is how long a list is kept; ErrTTL how long a failure is.
	TTL, ErrTTL time.Duration
	// Timeout bounds one fetch.
	Timeout time.Duration
	// Wait bounds how long Models waits for a provider's first listing;
	// past it Models answers ErrListing and the fetch goes on. 0 means
	// DefaultWait.
	Wait time.Duration
	// MaxBytes bounds the cache (ids, keys and messages, with a fixed
	// overhead per listing); the oldest listings go first. 0 means
	// DefaultCacheBytes.
	MaxBytes int64
	// Forgotten, when set, is told of each Forget by a token that names
	// the listing without the owner or key in it (ForgetToken), so other
	// instances drop their copy too (web/cluster).
	Forgotten func(token string)

	group  singleflight.Group
	mu     sync.Mutex
	cache  map[string]*list.Element // of *listing
	order  *list.List               // oldest first
	owners map[string]int           // listings kept per owner
	size   int64
}

type listing struct {
	key, owner string
	ids        []string
	err        error
	at         time.Time
	size       int64
}

const (
	maxModelsBody = 8 << 20
	maxModels     = 2000
	// maxPerOwner is how many listings one session keeps: its providers,
	// and as many again for keys or URLs it just changed.
	maxPerOwner = 2 * MaxProviders
	// listingOverhead is what a listing costs beside its strings (map
	// entry, list element, struct, slice headers), roughly.
	listingOverhead = 256
	// maxErrorText bounds the message kept for a failed listing.
	maxErrorText = 400
)

// Defaults of a Lister's limits.
const (
	DefaultCacheBytes = 16 << 20
	DefaultWait       = 2 * time.Second
)

// NewLister returns a lister: lists fresh for an hour, failures for a
// minute, 15 seconds per fetch, 2 seconds of waiting for a first list,
// 16 MB of cache.
func NewLister(fetch Fetcher) *Lister {
	return &Lister{fetch: fetch, TTL: time.Hour, ErrTTL: time.Minute, Timeout: 15 * time.Second, Wait: DefaultWait, MaxBytes: DefaultCacheBytes,
		cache: map[string]*list.Element{}, order: list.New(), owners: map[string]int{}}
}

// WithHeaders makes l send each provider's extra headers with its GET
// /models (a gateway routed by header lists by them too).
func (l *Lister) WithHeaders(f HeaderFetcher) *Lister {
	l.fetchH = f
	return l
}

// cacheKey names one session's provider at one URL with one key and one
// set of headers (hashed: the cache holds no key nor header value).
func cacheKey(owner string, p Provider, key string) string {
	hs := sha256.New()
	hs.Write([]byte(key))
	for _, h := range p.Headers {
		hs.Write([]byte("\x00" + h.Name + "\x00" + h.Value))
	}
	return owner + "\x00" + p.ID + "\x00" + p.BaseURL + "\x00" + hex.EncodeToString(hs.Sum(nil)[:8])
}

// Models returns the ids p lists for the session owner, sorted. The first
// call for a provider waits at most Wait (or until ctx is done) for its
// list, then answers ErrListing while the fetch goes on; after that the
// kept answer is returned at once and, when it is stale, asked for again
// in the background, so no page or keystroke waits long on a slow
// provider.
func (l *Lister) Models(ctx context.Context, owner string, p Provider, key string) ([]string, error) {
	k := cacheKey(owner, p, key)
	l.mu.Lock()
	var e listing
	el, ok := l.cache[k]
	if ok {
		e = *el.Value.(*listing)
	}
	l.mu.Unlock()
	if ok {
		if age := time.Since(e.at); e.err != nil && age >= l.ErrTTL || e.err == nil && age >= l.TTL {
			l.start(ctx, k, owner, p, key)
		}
		return e.ids, e.err
	}
	d := l.Wait
	if d <= 0 {
		d = DefaultWait
	}
	wait := time.NewTimer(d)
	defer wait.Stop()
	select {
	case r := <-l.start(ctx, k, owner, p, key):
		e := r.Val.(listing)
		return e.ids, e.err
	case <-wait.C:
	case <-ctx.Done():
	}
	return nil, ErrListing
}

// start asks p for its list (once, however many callers ask at the same
// time) and keeps the answer; the fetch outlives ctx, bounded by Timeout.
func (l *Lister) start(ctx context.Context, k, owner string, p Provider, key string) <-chan singleflight.Result {
	return l.group.DoChan(k, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.Timeout)
		defer cancel()
		ids, err := l.list(ctx, p, key)
		e := listing{key: k, owner: owner, ids: ids, err: err, at: time.Now()}
		l.store(&e)
		return e, nil
	})
}

// Forget drops what is kept for the owner's p, so the next Models asks
// again.
func (l *Lister) Forget(owner string, p Provider, key string) {
	k := cacheKey(owner, p, key)
	l.forget(k)
	if l.Forgotten != nil {
		l.Forgotten(forgetToken(k))
	}
}

func (l *Lister) forget(k string) {
	l.group.Forget(k)
	l.mu.Lock()
	if el, ok := l.cache[k]; ok {
		l.remove(el)
	}
	l.mu.Unlock()
}

// forgetToken names a listing's cache key by its hash: what another
// instance is told, which names neither the session nor the key.
func forgetToken(k string) string {
	h := sha256.Sum256([]byte("models:" + k))
	return hex.EncodeToString(h[:16])
}

// ForgetToken drops the listing another instance forgot (Forgotten's
// token), so a refresh there is not answered here from the old list.
func (l *Lister) ForgetToken(token string) {
	l.mu.Lock()
	var k string
	for key := range l.cache {
		if forgetToken(key) == token {
			k = key
			break
		}
	}
	l.mu.Unlock()
	if k != "" {
		l.forget(k)
	}
}

// store keeps e: first dropping the owner's oldest listing when it has
// maxPerOwner, then the oldest of all until e fits in MaxBytes. A listing
// larger than MaxBytes alone is answered but not kept.
func (l *Lister) store(e *listing) {
	e.size = listingOverhead + int64(len(e.key)+len(e.owner))
	for _, id := range e.ids {
		e.size += int64(len(id)) + 16
	}
	if e.err != nil {
		e.size += int64(len(e.err.Error()))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.cache[e.key]; ok {
		l.remove(el)
	}
	limit := l.MaxBytes
	if limit <= 0 {
		limit = DefaultCacheBytes
	}
	if e.size > limit {
		return
	}
	if l.owners[e.owner] >= maxPerOwner {
		for el := l.order.Front(); el != nil; el = el.Next() {
			if el.Value.(*listing).owner == e.owner {
				l.remove(el)
				break
			}
		}
	}
	for l.size+e.size > limit {
		l.remove(l.order.Front())
	}
	l.cache[e.key] = l.order.PushBack(e)
	l.size += e.size
	l.owners[e.owner]++
}

// remove drops one kept listing; l.mu is held.
func (l *Lister) remove(el *list.Element) {
	e := l.order.Remove(el).(*listing)
	delete(l.cache, e.key)
	l.size -= e.size
	if l.owners[e.owner]--; l.owners[e.owner] <= 0 {
		delete(l.owners, e.owner)
	}
}

func (l *Lister) list(ctx context.Context, p Provider, key string) ([]string, error) {
	ids, err := l.fetchList(ctx, p, key)
	if err != nil {
		// Providers echo keys (and header values) in error messages, in
		// any spelling.
		msg := redact.New(key, p.headerValues()...).String(err.Error())
		if r := []rune(msg); len(r) > maxErrorText {
			msg = string(r[:maxErrorText]) + "…"
		}
		err = &problem.Error{Kind: problem.KindUpstream, Message: msg}
	}
	return ids, err
}

func (l *Lister) fetchList(ctx context.Context, p Provider, key string) ([]string, error) {
	var resp *upstream.Response
	var err error
	if len(p.Headers) > 0 && l.fetchH != nil {
		h := http.Header{}
		for _, x := range p.Headers {
			h.Set(x.Name, x.Value)
		}
		resp, err = l.fetchH(ctx, p.BaseURL+"/models", key, h)
	} else {
		resp, err = l.fetch(ctx, p.BaseURL+"/models", key)
	}
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
		return nil, errors.New("the /models answer is larger than " + units.Bytes(maxModelsBody))
	}
	ids, err := ParseModels(body)
	if err != nil {
		return nil, err
	}
	if red := redact.New(key, p.headerValues()...); red.Active() {
		// An id that holds the key (a provider echoing it, in any
		// spelling) is not shown.
		kept := ids[:0]
		for _, id := range ids {
			if !red.Contains([]byte(id)) {
				kept = append(kept, id)
			}
		}
		ids = kept
	}
	if len(ids) == 0 {
		return nil, errors.New("GET /models listed no model id the playground can use")
	}
	return ids, nil
}

// ParseModels reads an OpenAI-style model list ({"data":[{"id":...}]}, or
// a bare array of such objects) into sorted unique ids: at most 2,000 of
// them, each one validModelID accepts (others are skipped as they are
// read, so a list of huge ids keeps nothing of them).
func ParseModels(body []byte) ([]string, error) {
	type entry struct {
		ID string `json:"id"`
	}
	var doc struct {
		Data []entry `json:"data"`
	}
	trimmed := strings.TrimSpace(string(body))
	var entries []entry
	if strings.HasPrefix(trimmed, "[") {
		if err := json.Unmarshal(body, &entries); err != nil {
			return nil, errors.New("GET /models did not answer an OpenAI model list")
		}
	} else {
		if err := json.Unmarshal(body, &doc); err != nil {
			return nil, errors.New("GET /models did not answer an OpenAI model list")
		}
		entries = doc.Data
	}
	seen := map[string]bool{}
	var ids []string
	for _, e := range entries {
		if !validModelID(e.ID) || seen[e.ID] {
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

// headerValues are the values of p's extra headers, redacted like the key
// from what its listing answers: those of a provider a person added all
// stay in the session.
func (p Provider) headerValues() []string {
	var out []string
	for _, h := range p.Headers {
		out = append(out, h.Value)
	}
	return out
}
