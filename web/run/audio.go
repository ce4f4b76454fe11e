package run

import (
	"github.com/playground-dev/playground/web/audio"
	"github.com/playground-dev/playground/web/units"
)

// AudioOutput is a choice's spoken answer, as the history keeps it: the
// decoded audio in the format the request asked for, or a note saying
// why it is not kept. The choice's text is its transcript.
type AudioOutput struct {
	ID     string `json:"id,omitempty"`
	Format string `json:"format"`
	// Data is the audio as it came (pcm16 without a WAV header).
	Data []byte `json:"data,omitempty"`
	// Bytes is the size of the audio, kept or not.
	Bytes int    `json:"bytes"`
	Note  string `json:"note,omitempty"`
}

// audioFormat is the audio.format the request asked for (wav when it
// names none).
func (r *Run) audioFormat() string {
	if f := r.Spec.Request.Options.AudioFormat; f != "" {
		return f
	}
	return "wav"
}

// audioOutput is choice i's audio for the record (nil when it has none);
// with data false, without its bytes (progress records).
func (r *Run) audioOutput(i int, data bool) *AudioOutput {
	a := r.res.Choice(i).Audio
	if a == nil {
		return nil
	}
	b := a.Bytes()
	out := &AudioOutput{ID: r.red.String(a.ID), Format: r.audioFormat(), Bytes: len(b), Note: a.Dropped}
	if data {
		out.Data = b
	}
	if len(b) == 0 && out.Note == "" {
		out.Note = "the answer carried no audio data"
	}
	return out
}

// audioEvent is the browser's final audio event of choice i: the audio
// can be fetched (GET /runs/{id}/audio/{i}), or the note says why not.
func (r *Run) audioEvent(i int) (Event, bool) {
	ao := r.audioOutput(i, false)
	if ao == nil {
		return Event{}, false
	}
	ev := map[string]any{"c": i, "format": ao.Format, "size": units.Bytes(int64(ao.Bytes)), "ready": ao.Bytes > 0}
	if ao.Note != "" {
		ev["note"] = ao.Note
	}
	return jsonEvent("audio", ev), true
}

// holdAudio counts the result's decoded audio in what the run holds
// (Caps.Held is over all runs): past it the run ends, as for text.
func (r *Run) holdAudio() {
	total := r.res.AudioBytes()
	n := total - r.audioHeld
	if n == 0 {
		return
	}
	r.audioHeld = total
	if !r.hold(n) && !r.finishing {
		r.truncate("the server holds too much output ("+units.Bytes(r.m.cfg.Caps.Held)+" over all runs)", "runs-max-bytes")
	}
}

// Audio is choice i's audio of a run whose answer is complete (from its
// final audio event on), as a browser plays it (pcm16 inside a WAV
// header), and its Content-Type.
func (r *Run) Audio(i int) ([]byte, string, bool) {
	if !r.settled.Load() || !r.res.Has(i) {
		return nil, "", false
	}
	ao := r.audioOutput(i, true)
	if ao == nil || len(ao.Data) == 0 {
		return nil, "", false
	}
	return audio.Playable(ao.Format, ao.Data), audio.ContentType(ao.Format), true
}
