package views

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/playground-dev/playground/web/run"
)

// Event is a run's browser event as the page receives it: the failure
// event carries its box rendered ("html", as the history page renders
// it), the meta event its line ("line", text), the done event its
// metrics and checks (DoneEvent). The page inserts these and formats
// nothing itself. Other events, and any it cannot read, are as they are.
func Event(name string, data []byte) []byte {
	switch name {
	case "done":
		return DoneEvent(data)
	case "failure":
		return FailureEvent(data)
	case "meta":
		return MetaEvent(data)
	}
	return data
}

// FailureEvent adds to a failure event (a run.ErrorView as JSON) its box
// rendered by RunFailure, as "html".
func FailureEvent(data []byte) []byte {
	var e run.ErrorView
	if json.Unmarshal(data, &e) != nil {
		return data
	}
	var html bytes.Buffer
	if RunFailure(e.Message, e.Hint, e.RetryAfter).Render(context.Background(), &html) != nil {
		return data
	}
	return withFields(data, "html", html.String())
}

// meta is the meta event: where the answer came from and how soon.
type meta struct {
	URL       string   `json:"url"`
	Status    int      `json:"status"`
	TTFBms    float64  `json:"ttfb_ms"`
	Fallbacks []string `json:"fallbacks"`
}

// MetaEvent adds to a meta event its line, as "line".
func MetaEvent(data []byte) []byte {
	var m meta
	if json.Unmarshal(data, &m) != nil {
		return data
	}
	return withFields(data, "line", MetaLine(m.Status, m.URL, m.TTFBms, m.Fallbacks))
}

// MetaLine says which URL answered, with what status, after how long, and
// which URLs were tried before it.
func MetaLine(status int, url string, ttfbMs float64, tried []string) string {
	line := "HTTP " + strconv.Itoa(status) + " from " + url + " · first byte after " + strconv.FormatFloat(ttfbMs, 'f', 0, 64) + " ms"
	if len(tried) > 0 {
		line += " · after trying: " + strings.Join(tried, "; ")
	}
	return line
}

// withFields appends string fields (name, value pairs) to a JSON object;
// data that is not an object comes back as it is.
func withFields(data []byte, pairs ...string) []byte {
	if len(data) < 2 || data[0] != '{' || data[len(data)-1] != '}' {
		return data
	}
	size := len(data)
	for _, p := range pairs {
		size += len(p) + len(p)/8 + 8 // quotes, separators and some escapes
	}
	out := make([]byte, 0, size)
	out = append(out, data[:len(data)-1]...)
	for i := 0; i+1 < len(pairs); i += 2 {
		v, err := json.Marshal(pairs[i+1])
		if err != nil {
			return data
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = strconv.AppendQuote(out, pairs[i])
		out = append(out, ':')
		out = append(out, v...)
	}
	return append(out, '}')
}
