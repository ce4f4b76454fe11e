package sim

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"

	"github.com/playground-dev/playground/internal/spectest"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/stream"
)

func audioBody(format string, streamed bool) map[string]any {
	return chatBody(map[string]any{"stream": streamed, "stream_options": map[string]any{"include_usage": true},
		"modalities": []any{"text", "audio"}, "audio": map[string]any{"voice": "alloy", "format": format}})
}

// checkSpoken checks a decoded audio answer: real audio of the format,
// at least half a second, the transcript as the text, audio tokens.
func checkSpoken(t *testing.T, res *stream.Result, format string) {
	t.Helper()
	c := res.Choice(0)
	if c.Audio == nil || c.Audio.Dropped != "" {
		t.Fatalf("audio %+v", c.Audio)
	}
	b := c.Audio.Bytes()
	pcm := b
	if format == "wav" {
		if len(b) < 44 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
			t.Fatalf("not a WAV file: % x", b[:min(len(b), 44)])
		}
		if n := binary.LittleEndian.Uint32(b[40:]); int(n) != len(b)-44 {
			t.Errorf("WAV data size %d, file has %d", n, len(b)-44)
		}
		pcm = b[44:]
	}
	if len(pcm) < 24000 { // half a second of 24 kHz 16-bit
		t.Errorf("only %d bytes of samples", len(pcm))
	}
	if len(strings.Fields(c.Text.String())) < 3 {
		t.Errorf("transcript %q", c.Text.String())
	}
	if res.Usage == nil || res.Usage.AudioOutput == 0 || res.Usage.AudioOutput > res.Usage.Output {
		t.Errorf("usage %+v", res.Usage)
	}
}

func TestSimAudioAnswers(t *testing.T) {
	srv := newTestServer(t)
	for _, format := range []string{"wav", "pcm16"} {
		t.Run(format+" streamed", func(t *testing.T) {
			resp, b := call(t, srv, "/chatgw/v1/chat/completions", audioBody(format, true), nil)
			if resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
			evs := events(t, b)
			for _, e := range evs[:len(evs)-1] {
				spectest.Validate(t, "CreateChatCompletionStreamResponse", []byte(e.data))
			}
			if bytes.Contains(b, []byte(`"content":"`)) && !bytes.Contains(b, []byte(`"content":""`)) {
				t.Error("the transcript also went as content")
			}
			checkSpoken(t, decode(t, catalog.Chat, b), format)
		})
		t.Run(format+" whole", func(t *testing.T) {
			resp, b := call(t, srv, "/chatgw/v1/chat/completions", audioBody(format, false), nil)
			if resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
			spectest.Validate(t, "CreateChatCompletionResponse", b)
			var ans struct {
				Choices []struct {
					Message struct {
						Content *string `json:"content"`
					} `json:"message"`
				} `json:"choices"`
			}
			_ = json.Unmarshal(b, &ans)
			if len(ans.Choices) != 1 || ans.Choices[0].Message.Content != nil {
				t.Errorf("content should be null next to audio: %s", b[:min(len(b), 300)])
			}
			res := stream.NewResult()
			if err := stream.DecodeJSON(catalog.Chat, b, res.Apply); err != nil {
				t.Fatal(err)
			}
			checkSpoken(t, res, format)
		})
	}
}

func TestSimAudioRefusals(t *testing.T) {
	srv := newTestServer(t)
	for name, tc := range map[string]struct {
		extra map[string]any
		param string
		msg   string
	}{
		"no audio object":  {map[string]any{"modalities": []any{"text", "audio"}}, "audio", "required when modalities"},
		"no voice":         {map[string]any{"modalities": []any{"audio"}, "audio": map[string]any{"format": "wav"}}, "audio.voice", "audio.voice is required"},
		"unknown format":   {map[string]any{"modalities": []any{"audio"}, "audio": map[string]any{"voice": "ash", "format": "ogg"}}, "audio.format", "must be one of"},
		"mp3 not made":     {map[string]any{"modalities": []any{"audio"}, "audio": map[string]any{"voice": "ash", "format": "mp3"}}, "audio.format", "the simulator generates wav and pcm16"},
		"unknown modality": {map[string]any{"modalities": []any{"video"}}, "modalities", "'video'"},
	} {
		t.Run(name, func(t *testing.T) {
			resp, b := call(t, srv, "/chatgw/v1/chat/completions", chatBody(tc.extra), nil)
			var e struct {
				Error struct{ Message, Param string } `json:"error"`
			}
			_ = json.Unmarshal(b, &e)
			if resp.StatusCode != 400 || e.Error.Param != tc.param || !strings.Contains(e.Error.Message, tc.msg) {
				t.Errorf("%d %s", resp.StatusCode, b)
			}
		})
	}
	// A custom voice object is taken.
	body := audioBody("wav", false)
	body["audio"] = map[string]any{"voice": map[string]any{"id": "voice_123"}, "format": "wav"}
	if resp, b := call(t, srv, "/chatgw/v1/chat/completions", body, nil); resp.StatusCode != 200 {
		t.Errorf("custom voice: %d %s", resp.StatusCode, b)
	}
}
