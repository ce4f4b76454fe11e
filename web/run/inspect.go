package run

import (
	"bytes"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/playground-dev/playground/web/redact"
	"github.com/playground-dev/playground/web/sse"
)

// Header is one header line for the inspector.
type Header struct {
	Name, Value string
}

// RawEvent is one upstream event as received, with its time offset.
type RawEvent struct {
	Offset time.Duration
	Type   string
	ID     string
	Data   string
}

// Inspection is what the inspector tab shows. Nothing in it carries the key.
type Inspection struct {
	Method          string
	URL             string
	RequestHeaders  []Header
	RequestBody     string
	Status          int
	ResponseHeaders []Header
	Events          []RawEvent
	Truncated       bool
	Resumed         int
	// PolledAfterBreak: a background stream that broke could not be
	// resumed, so the response was polled.
	PolledAfterBreak bool
	State            State
}

// Inspect returns the run's request, response and raw events.
func (r *Run) Inspect() Inspection {
	req := r.Spec.Request
	in := Inspection{Method: req.Method, RequestBody: string(req.Body)}
	r.mu.Lock()
	in.URL = r.servedURL
	in.Status = r.respStatus
	in.State = r.state
	in.Resumed = r.resumeCount
	in.PolledAfterBreak = r.polledAfterBreak
	in.Truncated = r.transcript.truncated
	respHeader := r.respHeader
	times := r.eventTimes.all()
	r.mu.Unlock()
	raw := r.Transcript()
	if in.URL == "" {
		in.URL = req.URL()
	}
	in.RequestHeaders = append(in.RequestHeaders, Header{"Authorization", "Bearer $" + req.KeyEnv + " (redacted)"})
	for _, h := range req.Header {
		in.RequestHeaders = append(in.RequestHeaders, Header{h.Name, h.Value})
	}
	in.ResponseHeaders = sortedHeaders(respHeader, r.red)
	d := sse.NewDecoder(bytes.NewReader(raw), 0)
	for i := 0; ; i++ {
		ev, err := d.Next()
		if err != nil {
			if err != io.EOF || (len(in.Events) == 0 && len(raw) > 0) {
				// Not an event stream (a JSON answer): show it whole.
				in.Events = []RawEvent{{Type: "body", Data: string(raw)}}
				if len(times) > 0 {
					in.Events[0].Offset = times[0]
				}
			}
			break
		}
		e := RawEvent{Type: string(ev.Type), ID: string(ev.ID), Data: string(ev.Data)}
		if len(ev.Error) > 0 {
			e.Type, e.Data = "error (field)", string(ev.Error)
		}
		if i < len(times) {
			e.Offset = times[i]
		}
		in.Events = append(in.Events, e)
	}
	return in
}

// Transcript is the raw upstream body as received, for the .sse
// download, with every spelling of the key redacted, also one cut across
// events (redact.Redactor.Transcript).
// A finished run's transcript is redacted once and kept so (in its spool
// file when it has one): the inspector and the download do not parse it
// again. Each call returns a new slice.
func (r *Run) Transcript() []byte { return r.transcriptOf(false) }

// transcriptOf is the redacted transcript; final says the stream has
// ended (the run's own finish, before its state changes). A running
// run's ends before a tail that could still become the key.
func (r *Run) transcriptOf(final bool) []byte {
	r.mu.Lock()
	raw := r.transcript.bytes()
	if r.transcriptClean {
		r.mu.Unlock()
		return raw
	}
	done := final || r.state != Running
	r.mu.Unlock()
	if !done {
		// The stream may stop in the middle of the key: what could still
		// become it is not shown yet.
		return r.red.OpenTranscript(raw)
	}
	out := r.red.Transcript(raw)
	r.mu.Lock()
	if !r.transcriptClean {
		r.transcript.replace(out)
		r.transcriptClean = true
	}
	r.mu.Unlock()
	return out
}

// sensitiveHeaders are never shown.
var sensitiveHeaders = map[string]bool{"Set-Cookie": true, "Authorization": true, "Proxy-Authorization": true}

// sortedHeaders are the response headers for the inspector: names and
// values with the key's spellings redacted (a provider may echo the
// request's Authorization in a header of its own).
func sortedHeaders(h http.Header, red *redact.Redactor) []Header {
	var out []Header
	for k, vs := range h {
		if sensitiveHeaders[http.CanonicalHeaderKey(k)] {
			continue
		}
		out = append(out, Header{red.String(k), red.String(strings.Join(vs, ", "))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
