package history

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/run"
)

// A run's audio is kept with it, and read back whole; past the run's
// size cap the audio is left out with a note, and the transcript kept.
func TestStoreKeepsAudio(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		s.SetLimits(Limits{RunBytes: 400 << 10})
		for name, c := range map[string]struct {
			size int
			kept bool
		}{
			"fits":         {size: 100 << 10, kept: true},
			"past the cap": {size: 600 << 10, kept: false},
		} {
			id := strings.ReplaceAll(name, " ", "-")
			if err := s.Insert(ctx, "alice", entry(id, time.Now(), "sim", "m", "Say hello.")); err != nil {
				t.Fatal(err)
			}
			data := bytes.Repeat([]byte{1, 2, 3, 250}, c.size/4)
			rec := run.Record{State: run.Completed, Ended: time.Now(), Output: run.Output{Choices: []run.ChoiceOutput{{
				Text: "Hello there, spoken.", Audio: &run.AudioOutput{ID: "audio_1", Format: "wav", Data: data, Bytes: len(data)}}}}}
			if err := s.Finish(ctx, id, "Say hello.", rec); err != nil {
				t.Fatal(err)
			}
			got, err := s.Get(ctx, "alice", id)
			if err != nil {
				t.Fatal(err)
			}
			ch := got.Output.Choices[0]
			if ch.Text != "Hello there, spoken." || ch.Audio == nil || ch.Audio.Format != "wav" || ch.Audio.Bytes != len(data) {
				t.Fatalf("%s: choice %+v", name, ch)
			}
			if kept := bytes.Equal(ch.Audio.Data, data); kept != c.kept {
				t.Errorf("%s: audio kept %v, want %v", name, kept, c.kept)
			}
			if !c.kept && (len(ch.Audio.Data) != 0 || !strings.Contains(ch.Audio.Note, "was not kept: a run keeps at most 400 KB")) {
				t.Errorf("%s: note %q, %d bytes", name, ch.Audio.Note, len(ch.Audio.Data))
			}
			if n := storedBytes(t, s, id); n > 400<<10 {
				t.Errorf("%s: %d bytes stored", name, n)
			}
		}
	})
}

// An entry's audio is found by choice index, playable, with its type.
func TestEntryAudio(t *testing.T) {
	e := Entry{Output: run.Output{Choices: []run.ChoiceOutput{
		{Index: 0, Text: "no audio"},
		{Index: 1, Audio: &run.AudioOutput{Format: "pcm16", Data: []byte{1, 2, 3, 4}}},
		{Index: 2, Audio: &run.AudioOutput{Format: "mp3"}}, // not kept
	}}}
	if b, ctype, ok := e.Audio(1); !ok || ctype != "audio/wav" || !bytes.HasPrefix(b, []byte("RIFF")) {
		t.Errorf("choice 1: %v %q % x", ok, ctype, b[:min(len(b), 8)])
	}
	for _, i := range []int{0, 2, 3} {
		if _, _, ok := e.Audio(i); ok {
			t.Errorf("choice %d has audio", i)
		}
	}
}
