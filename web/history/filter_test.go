package history

import (
	"maps"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestParseFilter(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for name, tc := range map[string]struct {
		query string
		want  Filter
		errs  map[string]string
	}{
		"nothing": {"", Filter{PerPage: PerPage}, map[string]string{}},
		"provider, model, search and an older page": {"provider=openai&model=gpt-a&q=haiku&before=1712000000123.r3",
			Filter{Provider: "openai", Model: "gpt-a", Query: "haiku", Cursor: Cursor{Dir: Older, Created: time.UnixMilli(1712000000123).UTC(), ID: "r3"}, PerPage: PerPage}, map[string]string{}},
		"a newer page":              {"after=5.a.b", Filter{Cursor: Cursor{Dir: Newer, Created: time.UnixMilli(5).UTC(), ID: "a.b"}, PerPage: PerPage}, map[string]string{}},
		"an old page number goes":   {"page=3", Filter{PerPage: PerPage}, map[string]string{}},
		"a cursor with no id":       {"before=1712000000123", Filter{PerPage: PerPage}, map[string]string{"cursor": BadCursor}},
		"a cursor with no time":     {"before=.r3", Filter{PerPage: PerPage}, map[string]string{"cursor": BadCursor}},
		"a cursor's time no number": {"after=x.r3", Filter{PerPage: PerPage}, map[string]string{"cursor": BadCursor}},
		"a negative time":           {"after=-5.r3", Filter{PerPage: PerPage}, map[string]string{"cursor": BadCursor}},
		"a long id":                 {"after=5." + strings.Repeat("i", 65), Filter{PerPage: PerPage}, map[string]string{"cursor": BadCursor}},
		"both directions":           {"after=5.a&before=6.b", Filter{PerPage: PerPage}, map[string]string{"cursor": BadCursor}},
		"a bad cursor keeps the filters": {"q=snow&before=nonsense&from=2024-05-01",
			Filter{Query: "snow", From: day("2024-05-01"), PerPage: PerPage}, map[string]string{"cursor": BadCursor}},
		"search cut at 200 runes": {"q=" + strings.Repeat("ö", 300), Filter{Query: strings.Repeat("ö", 200), PerPage: PerPage}, map[string]string{}},
		"from and to, to's whole day": {"from=2024-05-01&to=2024-05-03",
			Filter{From: day("2024-05-01"), To: day("2024-05-04"), PerPage: PerPage}, map[string]string{}},
		"one day":            {"from=2024-05-01&to=2024-05-01", Filter{From: day("2024-05-01"), To: day("2024-05-02"), PerPage: PerPage}, map[string]string{}},
		"from alone":         {"from=2024-05-01", Filter{From: day("2024-05-01"), PerPage: PerPage}, map[string]string{}},
		"to alone":           {"to=2024-05-01", Filter{To: day("2024-05-02"), PerPage: PerPage}, map[string]string{}},
		"a bad from":         {"from=yesterday&to=2024-05-01", Filter{PerPage: PerPage}, map[string]string{"from": "Not a date (YYYY-MM-DD)."}},
		"a bad to":           {"from=2024-05-01&to=5/3", Filter{PerPage: PerPage}, map[string]string{"to": "Not a date (YYYY-MM-DD)."}},
		"both bad":           {"from=a&to=b", Filter{PerPage: PerPage}, map[string]string{"from": "Not a date (YYYY-MM-DD).", "to": "Not a date (YYYY-MM-DD)."}},
		"to before from":     {"from=2024-05-03&to=2024-05-01", Filter{PerPage: PerPage}, map[string]string{"to": "Must not be before From."}},
		"other filters stay": {"provider=openai&from=x", Filter{Provider: "openai", PerPage: PerPage}, map[string]string{"from": "Not a date (YYYY-MM-DD)."}},
	} {
		t.Run(name, func(t *testing.T) {
			v, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			f, errs := ParseFilter(v)
			if f != tc.want {
				t.Errorf("filter %+v, want %+v", f, tc.want)
			}
			if !maps.Equal(errs, tc.errs) {
				t.Errorf("errors %v, want %v", errs, tc.errs)
			}
		})
	}
}

func TestFilteredAndPageQuery(t *testing.T) {
	for name, tc := range map[string]struct {
		query    string
		filtered bool
		older    string
	}{
		"nothing":       {"", false, "before=7.r1"},
		"only a cursor": {"after=4.r9", false, "before=7.r1"},
		"a search":      {"q=snow&before=9.r2", true, "before=7.r1&q=snow"},
		"every filter, kept as given": {"provider=p&model=m&from=bad&to=2024-01-01&q=x&other=y",
			true, "before=7.r1&from=bad&model=m&provider=p&q=x&to=2024-01-01"},
	} {
		t.Run(name, func(t *testing.T) {
			v, _ := url.ParseQuery(tc.query)
			if got := Filtered(v); got != tc.filtered {
				t.Errorf("Filtered = %v, want %v", got, tc.filtered)
			}
			if got := PageQuery(v, Cursor{Dir: Older, Created: time.UnixMilli(7), ID: "r1"}).Encode(); got != tc.older {
				t.Errorf("PageQuery = %q, want %q", got, tc.older)
			}
			if got := PageQuery(v, Cursor{Dir: Newer, Created: time.UnixMilli(7), ID: "r1"}).Get("after"); got != "7.r1" {
				t.Errorf("PageQuery's after = %q", got)
			}
		})
	}
}
