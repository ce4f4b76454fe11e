package history

import (
	"net/url"
	"strconv"
	"time"
)

// PerPage is the history page's page size.
const PerPage = 25

// maxQueryRunes bounds the search text.
const maxQueryRunes = 200

// filterKeys are the query parameters of the history page's filters.
var filterKeys = []string{"provider", "model", "from", "to", "q"}

// ParseFilter reads the history page's filters and page from its query
// (provider, model, from and to as YYYY-MM-DD, both days included, q,
// page). errs holds a message per bad parameter ("from", "to"); the
// filter then leaves out both date bounds, and the page says why.
func ParseFilter(v url.Values) (f Filter, errs map[string]string) {
	f = Filter{Provider: v.Get("provider"), Model: v.Get("model"), Query: v.Get("q"), PerPage: PerPage}
	if r := []rune(f.Query); len(r) > maxQueryRunes {
		f.Query = string(r[:maxQueryRunes])
	}
	f.Page, _ = strconv.Atoi(v.Get("page"))
	errs = map[string]string{}
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
	if len(errs) > 0 {
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

// PageQuery is the query of page of the history with v's filters (as
// given, bad ones too, so the page says again why).
func PageQuery(v url.Values, page int) url.Values {
	q := url.Values{}
	for _, k := range filterKeys {
		if s := v.Get(k); s != "" {
			q.Set(k, s)
		}
	}
	q.Set("page", strconv.Itoa(page))
	return q
}
