package stream

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/playground-dev/playground/web/catalog"
)

// audioBytes is some audio-like data: every byte value, several times.
func audioBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/256)
	}
	return b
}

// audioStream is a Chat stream of an audio answer: the data in pieces
// (cut through base64 quanta when whole is false; each a padded encoding
// of its own part when true), the transcript in pieces, then usage.
func audioStream(data []byte, cuts int, whole bool) string {
	var b strings.Builder
	enc := base64.StdEncoding.EncodeToString(data)
	words := []string{"Hello", " there,", " spoken."}
	b.WriteString(`data: {"choices":[{"index":0,"delta":{"role":"assistant","content":null,"audio":{"id":"audio_1","expires_at":1700000000}}}]}` + "\n\n")
	for i := 0; i < cuts; i++ {
		var piece string
		if whole {
			lo, hi := len(data)*i/cuts, len(data)*(i+1)/cuts
			piece = base64.StdEncoding.EncodeToString(data[lo:hi])
		} else {
			piece = enc[len(enc)*i/cuts : len(enc)*(i+1)/cuts]
		}
		fmt.Fprintf(&b, `data: {"choices":[{"index":0,"delta":{"audio":{"data":%q}}}]}`+"\n\n", piece)
		if i < len(words) {
			fmt.Fprintf(&b, `data: {"choices":[{"index":0,"delta":{"audio":{"transcript":%q}}}]}`+"\n\n", words[i])
		}
	}
	for i := cuts; i < len(words); i++ {
		fmt.Fprintf(&b, `data: {"choices":[{"index":0,"delta":{"audio":{"transcript":%q}}}]}`+"\n\n", words[i])
	}
	b.WriteString(`data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n")
	b.WriteString(`data: {"choices":[],"usage":{"prompt_tokens":20,"completion_tokens":90,"total_tokens":110,` +
		`"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":3},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":80}}}` + "\n\n")
	b.WriteString("data: [DONE]\n\n")
	return b.String()
}

func checkAudio(t *testing.T, res *Result, want []byte, transcript string) {
	t.Helper()
	if !res.Has(0) {
		t.Fatal("no choice")
	}
	c := res.Choice(0)
	if c.Audio == nil {
		t.Fatal("no audio")
	}
	if c.Audio.Dropped != "" {
		t.Fatalf("dropped: %s", c.Audio.Dropped)
	}
	if c.Audio.ID != "audio_1" {
		t.Errorf("id %q", c.Audio.ID)
	}
	if got := c.Audio.Bytes(); !bytes.Equal(got, want) {
		t.Errorf("audio: %d bytes, want %d (equal prefix %v)", len(got), len(want), bytes.HasPrefix(want, got))
	}
	if got := c.Text.String(); got != transcript {
		t.Errorf("transcript %q, want %q", got, transcript)
	}
}

func TestAudioStreamed(t *testing.T) {
	data := audioBytes(1000)
	for _, tc := range []struct {
		name  string
		cuts  int
		whole bool
	}{
		{"one piece", 1, false},
		{"cut through quanta", 7, false},
		{"each piece padded", 7, true},
		{"many small padded pieces", 101, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := audioStream(data, tc.cuts, tc.whole)
			res, err := decodeStream(t, catalog.Chat, strings.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			checkAudio(t, res, data, "Hello there, spoken.")
			if u := res.Usage; u == nil || u.AudioInput != 3 || u.AudioOutput != 80 || u.Output != 90 {
				t.Errorf("usage %+v", res.Usage)
			}
		})
	}
}

// The SSE split in two at every byte, and read a byte at a time, gives
// the same audio.
func TestAudioStreamSplitAtEveryByte(t *testing.T) {
	data := audioBytes(90)
	raw := audioStream(data, 5, false)
	for i := 0; i < len(raw); i++ {
		var r io.Reader = io.MultiReader(strings.NewReader(raw[:i]), strings.NewReader(raw[i:]))
		if i == 0 {
			r = iotest.OneByteReader(strings.NewReader(raw))
		}
		res, err := decodeStream(t, catalog.Chat, r)
		if err != nil {
			t.Fatalf("split at %d: %v", i, err)
		}
		checkAudio(t, res, data, "Hello there, spoken.")
	}
}

func TestAudioWholeAnswer(t *testing.T) {
	data := audioBytes(3000)
	body := fmt.Sprintf(`{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":null,`+
		`"audio":{"id":"audio_1","expires_at":1700000000,"data":%q,"transcript":"Hello there, spoken."}},"finish_reason":"stop"}],`+
		`"usage":{"prompt_tokens":5,"completion_tokens":40,"total_tokens":45,"completion_tokens_details":{"audio_tokens":33}}}`,
		base64.StdEncoding.EncodeToString(data))
	res := NewResult()
	if err := DecodeJSON(catalog.Chat, []byte(body), res.Apply); err != nil {
		t.Fatal(err)
	}
	checkAudio(t, res, data, "Hello there, spoken.")
	if res.Choice(0).Audio.ExpiresAt != 1700000000 {
		t.Errorf("expires_at %d", res.Choice(0).Audio.ExpiresAt)
	}
	if res.Usage.AudioOutput != 33 {
		t.Errorf("usage %+v", res.Usage)
	}
}

func TestAudioDroppedKeepsTranscript(t *testing.T) {
	for name, tc := range map[string]struct {
		data string
		want string
	}{
		"too large":  {base64.StdEncoding.EncodeToString(make([]byte, MaxAudioBytes+3)), "larger than 4 MiB"},
		"not base64": {"QUJD!!!!", "not valid base64"},
	} {
		t.Run(name, func(t *testing.T) {
			body := fmt.Sprintf(`{"choices":[{"index":0,"message":{"audio":{"id":"a","data":%q,"transcript":"Said."}},"finish_reason":"stop"}]}`, tc.data)
			res := NewResult()
			if err := DecodeJSON(catalog.Chat, []byte(body), res.Apply); err != nil {
				t.Fatal(err)
			}
			c := res.Choice(0)
			if c.Audio == nil || !strings.Contains(c.Audio.Dropped, tc.want) || c.Audio.Bytes() != nil {
				t.Fatalf("audio %+v", c.Audio)
			}
			if c.Text.String() != "Said." {
				t.Errorf("transcript %q", c.Text.String())
			}
		})
	}
}

// The cap is over all choices: two choices of 3 MiB keep the first.
func TestAudioCapOverChoices(t *testing.T) {
	piece := base64.StdEncoding.EncodeToString(make([]byte, 3<<20))
	res := NewResult()
	for i := 0; i < 2; i++ {
		res.Apply(Event{Kind: KindAudio, Choice: i, Audio: AudioDelta{Data: piece}})
	}
	if a := res.Choice(0).Audio; a.Dropped != "" || len(a.Bytes()) != 3<<20 {
		t.Errorf("choice 0: %q, %d bytes", a.Dropped, len(a.Bytes()))
	}
	if a := res.Choice(1).Audio; a.Dropped == "" {
		t.Error("choice 1 kept past the cap")
	}
}

// FuzzAudioPieces feeds audio data as base64 pieces: an encoding cut at
// any places, or each piece its own padded encoding, decodes to the data;
// any other string never panics, and nothing past the cap is kept.
func FuzzAudioPieces(f *testing.F) {
	f.Add([]byte("hello audio"), uint8(3), false, "")
	f.Add([]byte{0, 1, 2, 3, 4}, uint8(2), true, "QQ==QQ")
	f.Fuzz(func(t *testing.T, data []byte, cuts uint8, whole bool, junk string) {
		n := int(cuts%16) + 1
		res := NewResult()
		enc := base64.StdEncoding.EncodeToString(data)
		for i := 0; i < n; i++ {
			var piece string
			if whole {
				piece = base64.StdEncoding.EncodeToString(data[len(data)*i/n : len(data)*(i+1)/n])
			} else {
				piece = enc[len(enc)*i/n : len(enc)*(i+1)/n]
			}
			res.Apply(Event{Kind: KindAudio, Audio: AudioDelta{Data: piece}})
		}
		if got := res.Choice(0).Audio.Bytes(); !bytes.Equal(got, data) && !(len(got) == 0 && len(data) == 0) {
			t.Fatalf("decoded %x, want %x", got, data)
		}
		other := NewResult()
		other.Apply(Event{Kind: KindAudio, Choice: 1, Audio: AudioDelta{Data: junk}})
		other.Apply(Event{Kind: KindAudio, Choice: 1, Audio: AudioDelta{Data: junk}})
		if b := other.Choice(1).Audio.Bytes(); len(b) > MaxAudioBytes {
			t.Fatalf("%d bytes kept", len(b))
		}
	})
}
