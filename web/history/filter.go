package history

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// PerPage is the history page's page size.
const PerPage = 25

// maxQueryRunes bounds the search text.
const maxQueryRunes = 200

// filterKeys are the query parameters of the history page's filters.
var filterKeys = []string{"provider", "model", "from", "to", "q"}

// Direction is which way a page goes from its cursor.
type Direction int

// The directions of a page.
const (
	// First is the newest page (no cursor).
	First Direction = iota
	// Older is the runs created before the cursor's.
	Older
	// Newer is the runs created after the cursor's.
	Newer
)

// Cursor is where a page of the history starts: a run's creation time and
// id (the list's order), and which way. In a URL it is before=KEY (Older)
// or after=KEY (Newer), KEY being the creation time in Unix milliseconds,
// a dot and the id.
type Cursor struct {
	Dir     Direction
	Created time.Time
	ID      string
}

// IsZero reports whether c is no cursor (the first page).
func (c Cursor) IsZero() bool { return c.Dir == First }

// Key is c in a URL (without its direction).
func (c Cursor) Key() string {
	return strconv.FormatInt(millis(c.Created), 10) + "." + c.ID
}

// Param is the query parameter of c's direction.
func (c Cursor) Param() string {
	if c.Dir == Newer {
		return "after"
	}
	return "before"
}

// maxIDBytes bounds a cursor's id (ids are 22 characters).
const maxIDBytes = 64

// parseCursor reads a cursor's key.
func parseCursor(dir Direction, key string) (Cursor, bool) {
	ms, id, ok := strings.Cut(key, ".")
	if !ok || id == "" || len(id) > maxIDBytes {
		return Cursor{}, false
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil || n < 0 {
		return Cursor{}, false
	}
	return Cursor{Dir: dir, Created: fromMillis(n), ID: id}, true
}

// BadCursor is the message of a page link whose cursor cannot be read.
const BadCursor = "This page link is broken (its before or after value is not one the history makes). Open the history's first page."

// ParseFilter reads the history page's filters and page from its query
// (provider, model, from and to as YYYY-MM-DD, both days included, q,
// before or after: a page's cursor). errs holds a message per bad
// parameter ("from", "to", "cursor"); with a bad date the filter leaves
// out both date bounds, and the page says why; with a bad cursor the page
// is the first.
func ParseFilter(v url.Values) (f Filter, errs map[string]string) {
	f = Filter{Provider: v.Get("provider"), Model: v.Get("model"), Query: v.Get("q"), PerPage: PerPage}
	if r := []rune(f.Query); len(r) > maxQueryRunes {
		f.Query = string(r[:maxQueryRunes])
	}
	errs = map[string]string{}
	before, after := v.Get("before"), v.Get("after")
	switch {
	case before != "" && after != "":
		errs["cursor"] = BadCursor
	case before != "" || after != "":
		dir, key := Older, before
		if after != "" {
			dir, key = Newer, after
		}
		c, ok := parseCursor(dir, key)
		if !ok {
			errs["cursor"] = BadCursor
		}
		f.Cursor = c
	}
	if from := v.Get("from"); from != "" {
		t, err := time.Parse(time.DateOnly, from)
		if err != nil {
			errs["from"] = "Not a date (YYYY-MM-DD)."
		}
		f.From = t
	}
	if to := v.Get("to"); to != "" {
		t, err := time.Parse(time.DateOnly, to)
		if err != nil {
			errs["to"] = "Not a date (YYYY-MM-DD)."
		} else {
			f.To = t.AddDate(0, 0, 1) // the whole day
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		errs["to"] = "Must not be before From."
	}
	if errs["from"] != "" || errs["to"] != "" {
		f.From, f.To = time.Time{}, time.Time{} // list without the bad bounds; the errors say why
	}
	return f, errs
}

// Filtered reports whether the query sets any filter.
func Filtered(v url.Values) bool {
	for _, k := range filterKeys {
		if v.Get(k) != "" {
			return true
		}
	}
	return false
}

// PageQuery is the query of the history page at c with v's filters (as
// given, bad ones too, so the page says again why).
func PageQuery(v url.Values, c Cursor) url.Values {
	q := url.Values{}
	for _, k := range filterKeys {
		if s := v.Get(k); s != "" {
			q.Set(k, s)
		}
	}
	if !c.IsZero() {
		q.Set(c.Param(), c.Key())
	}
	return q
}
