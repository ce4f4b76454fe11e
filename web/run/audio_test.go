package run

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/stream"
)

// pcm is some pcm16-like audio.
func pcm(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 13)
	}
	return b
}

// spokenStream is a Chat stream of an audio answer: data pieces (each a
// padded encoding), the transcript in words, usage with audio tokens.
func spokenStream(data []byte, pieces int) []byte {
	var b bytes.Buffer
	words := []string{"Hello", " there,", " spoken."}
	b.WriteString(`data: {"choices":[{"index":0,"delta":{"role":"assistant","audio":{"id":"audio_9","expires_at":1}}}]}` + "\n\n")
	for k := 0; k < pieces; k++ {
		part := data[len(data)*k/pieces : len(data)*(k+1)/pieces]
		a := map[string]any{"data": base64.StdEncoding.EncodeToString(part)}
		if k < len(words) {
			a["transcript"] = words[k]
		}
		line, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"audio": a}}}})
		fmt.Fprintf(&b, "data: %s\n\n", line)
	}
	b.WriteString(`data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":100,"total_tokens":110,"completion_tokens_details":{"audio_tokens":90}}}` + "\n\n")
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}

func audioEvents(evs []Event) []map[string]any {
	var out []map[string]any
	for _, e := range evs {
		if e.Name == "audio" {
			var v map[string]any
			_ = json.Unmarshal(e.Data, &v)
			out = append(out, v)
		}
	}
	return out
}

func TestAudioRun(t *testing.T) {
	data := pcm(48000)
	body := `{"model":"m","modalities":["text","audio"],"audio":{"voice":"alloy","format":"pcm16"},"stream":true}`
	for name, tc := range map[string]struct {
		handler http.HandlerFunc
	}{
		"streamed": {serve(spokenStream(data, 3), 500, 0)},
		"whole answer": {func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"choices":[{"index":0,"message":{"role":"assistant","content":null,"audio":{"id":"audio_9","data":%q,"transcript":"Hello there, spoken."}},"finish_reason":"stop"}],`+
				`"usage":{"prompt_tokens":10,"completion_tokens":100,"total_tokens":110,"completion_tokens_details":{"audio_tokens":90}}}`,
				base64.StdEncoding.EncodeToString(data))
		}},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			rec := &progressRecorder{}
			m := newManager(t, Config{Recorder: rec})
			r := m.Start(spec(catalog.Chat, srv.URL+"/v1", body))
			evs := wait(t, r)
			b := replay(t, evs)
			if got := b.html[0] + b.tail[0]; !strings.Contains(got, "Hello there, spoken.") {
				t.Errorf("transcript not shown: %q", got)
			}
			// The label comes before the transcript's words; the last
			// audio event says it can be played.
			first := -1
			for i, e := range evs {
				if (e.Name == "delta" || e.Name == "md") && first < 0 {
					first = i
				}
				if e.Name == "audio" && first >= 0 && !bytes.Contains(e.Data, []byte(`"ready"`)) {
					t.Error("the audio label came after the transcript")
				}
			}
			aev := audioEvents(evs)
			if len(aev) != 2 || aev[0]["ready"] != nil || aev[1]["ready"] != true || aev[1]["format"] != "pcm16" {
				t.Fatalf("audio events %v", aev)
			}
			got, ctype, ok := r.Audio(0)
			if !ok || ctype != "audio/wav" || string(got[:4]) != "RIFF" || !bytes.Equal(got[44:], data) {
				t.Fatalf("audio %v %s %d bytes", ok, ctype, len(got))
			}
			if _, _, ok := r.Audio(1); ok {
				t.Error("audio of a choice that does not exist")
			}
			s := b.outcome
			if s == nil || s.Usage.AudioOutput != 90 || s.Cost.Audio == nil || !s.Cost.AudioAtTextPrice {
				t.Errorf("summary %+v", s)
			}
			if rec.end == nil || len(rec.end.Output.Choices) != 1 {
				t.Fatal("no record")
			}
			ao := rec.end.Output.Choices[0].Audio
			if ao == nil || ao.Format != "pcm16" || !bytes.Equal(ao.Data, data) || ao.Bytes != len(data) || ao.ID != "audio_9" {
				t.Errorf("recorded audio %+v", ao)
			}
		})
	}
}

// Audio past the cap is dropped with a note; the transcript stays.
func TestAudioRunTooLarge(t *testing.T) {
	big := pcm(stream.MaxAudioBytes + 10)
	srv := httptest.NewServer(serve(spokenStream(big, 4), 1<<16, 0))
	defer srv.Close()
	m := newManager(t, Config{})
	r := m.Start(spec(catalog.Chat, srv.URL+"/v1", `{"audio":{"voice":"alloy","format":"wav"}}`))
	evs := wait(t, r)
	aev := audioEvents(evs)
	if len(aev) != 2 || aev[1]["ready"] != false || !strings.Contains(fmt.Sprint(aev[1]["note"]), "larger than 4 MiB") {
		t.Fatalf("audio events %v", aev)
	}
	if _, _, ok := r.Audio(0); ok {
		t.Error("dropped audio served")
	}
	if b := replay(t, evs); !strings.Contains(b.html[0]+b.tail[0], "spoken.") {
		t.Error("transcript lost")
	}
}

// Decoded audio counts in what the runs hold: past Caps.Held the run
// ends as it does for text.
func TestAudioCountsInHeld(t *testing.T) {
	srv := httptest.NewServer(serve(spokenStream(pcm(3<<20), 12), 1<<16, 0))
	defer srv.Close()
	m := newManager(t, Config{Caps: Caps{Held: 1 << 20}, MaxTranscript: 1 << 10})
	b := replay(t, wait(t, m.Start(spec(catalog.Chat, srv.URL+"/v1", `{"audio":{"voice":"alloy","format":"pcm16"}}`))))
	if b.outcome.State != Interrupted || b.errMsg == nil || !strings.HasPrefix(b.errMsg.Message, "truncated: the server holds too much output (1 MB over all runs)") {
		t.Fatalf("summary %+v, error %+v", b.outcome, b.errMsg)
	}
}
