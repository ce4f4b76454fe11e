package views

import (
	"bytes"
	"strconv"
	"time"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/sse"
)

// Run is the run panel: the browser follows EventsURL and fills it in.
type Run struct {
	ID            string
	EventsURL     string
	StopURL       string
	InspectorURL  string
	TranscriptURL string
	HistoryURL    string
	// AudioURL + a choice index is where a spoken answer plays from.
	AudioURL  string
	Provider  string
	Model     string
	Simulated bool
	// Grouped panels are fed by their comparison's stream, as pane Pane.
	Grouped bool
	Pane    int
	// ContinueURL carries the conversation on from the answer (models
	// that take messages), or appends the answer to the prompt (models
	// that take a prompt text); "" when they take neither.
	ContinueURL string
	// CanContinueStored: the model takes previous_response_id.
	CanContinueStored bool
}

func continueURL(id string, m *catalog.Model) string {
	if draft.CanContinue(m) {
		return "/runs/" + id + "/continue"
	}
	return ""
}

// InGroup returns the panel as pane i of a comparison.
func (r Run) InGroup(i int) Run {
	r.Grouped, r.Pane = true, i
	return r
}

// NewRun builds the panel of a run.
func NewRun(r *run.Run) Run { return NewRunOf(r.ID, r.Spec.Provider, r.Spec.Model) }

// NewRunOf builds the panel of run id of model m of provider p: a run of
// this process or another instance's, which the panel follows alike.
func NewRunOf(id string, p *catalog.Provider, m *catalog.Model) Run {
	base := "/runs/" + id
	_, stored := m.FieldWithRole(catalog.RolePreviousResponse)
	return Run{
		ID:                id,
		EventsURL:         base + "/events",
		StopURL:           base + "/stop",
		InspectorURL:      base + "/inspector",
		TranscriptURL:     base + "/transcript.sse",
		HistoryURL:        "/history/runs/" + id,
		AudioURL:          base + "/audio/",
		ContinueURL:       continueURL(id, m),
		CanContinueStored: stored,
		Provider:          p.Name,
		Model:             m.Label(),
		Simulated:         p.Simulated,
	}
}

// Inspection is the inspector tab.
type Inspection struct {
	RunID           string
	TranscriptURL   string
	Method          string
	URL             string
	RequestHeaders  []run.Header
	RequestBody     string
	Status          string
	ResponseHeaders []run.Header
	Events          []InspectedEvent
	Hidden          int
	Notes           []string
	// EventsNote replaces the events table when they are not here (a
	// run another instance is still running).
	EventsNote string
}

// NewStoredInspection is the inspector of a run another instance runs,
// from what the history keeps of it: the request as sent (secret header
// values as their ${VAR}) and, once the run ended, its raw events read
// from the kept transcript (their times are not kept); while it runs, the
// response and the events are that instance's.
func NewStoredInspection(e history.Entry, transcript []byte) Inspection {
	v := Inspection{RunID: e.ID, TranscriptURL: "/history/runs/" + e.ID + "/transcript.sse", Method: e.Request.Method,
		URL: e.Request.URL, RequestBody: e.Request.Body, Status: string(e.Status)}
	for _, h := range e.Request.Headers {
		v.RequestHeaders = append(v.RequestHeaders, run.Header{Name: h.Name, Value: h.Value})
	}
	if e.Status == run.Running {
		v.Notes = append(v.Notes, "This run streams from another instance of the playground: its response headers and raw events are shown there.")
		v.EventsNote = "Shown here once the run ends (from its kept transcript)."
		return v
	}
	v.Notes = append(v.Notes, "This run ran on another instance of the playground: its raw events are read from the transcript the history keeps, without their times.")
	d := sse.NewDecoder(bytes.NewReader(transcript), len(transcript)+1)
	for i := 0; ; i++ {
		ev, err := d.Next()
		if err != nil {
			break
		}
		if i >= maxInspectedEvents {
			v.Hidden++
			continue
		}
		typ := string(ev.Type)
		if typ == "" {
			typ = "message"
		}
		v.Events = append(v.Events, InspectedEvent{N: strconv.Itoa(i + 1), Offset: "—", Type: typ, Data: string(ev.Data)})
	}
	return v
}

// InspectedEvent is one raw event row.
type InspectedEvent struct {
	N      string
	Offset string
	Type   string
	Data   string
}

// maxInspectedEvents bounds the rows the inspector shows; the download has
// them all.
const maxInspectedEvents = 2000

// NewInspection builds the inspector view model.
func NewInspection(id string, in run.Inspection) Inspection {
	v := Inspection{
		RunID:           id,
		TranscriptURL:   "/runs/" + id + "/transcript.sse",
		Method:          in.Method,
		URL:             in.URL,
		RequestHeaders:  in.RequestHeaders,
		RequestBody:     in.RequestBody,
		ResponseHeaders: in.ResponseHeaders,
	}
	if in.Status > 0 {
		v.Status = strconv.Itoa(in.Status)
	} else {
		v.Status = "no response yet"
	}
	for i, e := range in.Events {
		if i >= maxInspectedEvents {
			v.Hidden = len(in.Events) - i
			break
		}
		typ := e.Type
		if typ == "" {
			typ = "message"
		}
		v.Events = append(v.Events, InspectedEvent{
			N:      strconv.Itoa(i + 1),
			Offset: "+" + strconv.FormatFloat(float64(e.Offset)/float64(time.Millisecond), 'f', 1, 64) + " ms",
			Type:   typ,
			Data:   e.Data,
		})
	}
	if in.Truncated {
		v.Notes = append(v.Notes, "The transcript was cut at its size limit.")
	}
	if n := resumeNote(in.Resumed, in.PolledAfterBreak); n != "" {
		v.Notes = append(v.Notes, n)
	}
	if in.State == run.Running {
		v.Notes = append(v.Notes, "The run is still going: reopen the tab for the latest events.")
	}
	return v
}

// resumeNote says how a broken background stream was followed: resumed
// (tries counts every resume asked for), or, when polled, that the last
// resume was refused.
func resumeNote(tries int, polled bool) string {
	times := func(n int) string {
		if n == 1 {
			return "once"
		}
		return strconv.Itoa(n) + " times"
	}
	const polls = "so the response was polled to its end (the polls are not in the transcript)."
	switch {
	case polled && tries <= 1:
		return "The background stream broke; the playground tried to resume it once; the provider refused, " + polls
	case polled:
		return "The background stream was resumed " + times(tries-1) + "; the provider refused the next resume, " + polls +
			" The events of every stream are listed."
	case tries > 0:
		return "The background stream was resumed " + times(tries) + "; the events of every stream are listed."
	}
	return ""
}
