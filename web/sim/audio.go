package sim

import (
	"encoding/base64"
	"slices"
	"strings"
	"time"

	"github.com/playground-dev/playground/web/audio"
	"github.com/playground-dev/playground/web/catalog"
)

// simAudioFormats are the formats the simulator speaks in: it has no
// mp3, flac, opus or aac encoder (none in pure Go that is well kept).
var simAudioFormats = []string{"wav", "pcm16"}

// maxAudioSeconds bounds a simulated spoken answer.
const maxAudioSeconds = 20

// audioReq is a request's audio output (modalities: audio).
type audioReq struct {
	voice, format string
}

// parseAudio reads modalities and audio of a Chat request: audio output
// needs the audio object, with a voice and a format the simulator speaks.
// It returns a 400 message and its param.
func parseAudio(style catalog.Style, body map[string]any, r *req) (string, string) {
	if style != catalog.Chat {
		return "", ""
	}
	wants := false
	if mods, ok := body["modalities"].([]any); ok {
		for _, m := range mods {
			switch str(m) {
			case "text":
			case "audio":
				wants = true
			default:
				return "Invalid value in modalities: " + quote(str(m)) + ". Supported values are: 'text' and 'audio'.", "modalities"
			}
		}
	}
	a, has := body["audio"].(map[string]any)
	if !wants {
		return "", ""
	}
	if !has {
		return "The audio parameter is required when modalities includes 'audio'.", "audio"
	}
	var voice string
	switch v := a["voice"].(type) {
	case string:
		voice = v
	case map[string]any:
		voice = str(v["id"]) // a custom voice
	}
	if voice == "" {
		return "audio.voice is required: one of " + strings.Join(audio.Voices, ", ") + ", or {\"id\": …}.", "audio.voice"
	}
	format := str(a["format"])
	if !slices.Contains(audio.Formats, format) {
		return "audio.format must be one of " + strings.Join(audio.Formats, ", ") + ".", "audio.format"
	}
	if !slices.Contains(simAudioFormats, format) {
		return "the simulator generates " + strings.Join(simAudioFormats, " and ") + " audio only, not " + format + ".", "audio.format"
	}
	r.audio = &audioReq{voice: voice, format: format}
	return "", ""
}

func quote(s string) string { return "'" + s + "'" }

// spoken is a choice's simulated audio: its id, its base64 data (in the
// pieces a stream sends, one per transcript piece, each a padded
// encoding of its part as the API sends them), and its audio tokens.
type spoken struct {
	id         string
	expires    int64
	pieces     []string
	tokens     int
	whole      string
	transcript string
}

// speak makes the audio of each choice's text (nil without audio output).
func speak(rq *req, plans []*choicePlan) []*spoken {
	if rq.audio == nil {
		return nil
	}
	out := make([]*spoken, len(plans))
	for i, p := range plans {
		text := p.textString()
		pcm := audio.Speechlike(text, rq.audio.voice, maxAudioSeconds)
		data := pcm
		if rq.audio.format == "wav" {
			data = audio.WAV(pcm, audio.PCMRate)
		}
		sp := &spoken{id: newID("audio_"), expires: time.Now().Add(time.Hour).Unix(), transcript: text,
			whole: base64.StdEncoding.EncodeToString(data),
			// About 12 audio tokens a second of speech.
			tokens: max(1, len(pcm)*12/(2*audio.PCMRate))}
		n := max(1, len(p.text))
		for k := 0; k < n; k++ {
			lo, hi := len(data)*k/n, len(data)*(k+1)/n
			sp.pieces = append(sp.pieces, base64.StdEncoding.EncodeToString(data[lo:hi]))
		}
		out[i] = sp
	}
	return out
}

// addAudioUsage counts the audio tokens in the usage: audio answers are
// billed as their audio, within completion tokens.
func addAudioUsage(u *usage, sp []*spoken) {
	for _, s := range sp {
		u.CompletionTokens += s.tokens
		u.CompletionTokensDetails.AudioTokens += s.tokens
	}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
}

// audioPiece is the delta.audio of a streamed transcript piece k.
func (s *spoken) audioPiece(k int, piece string) map[string]any {
	a := map[string]any{"transcript": piece}
	if k == 0 {
		a["id"], a["expires_at"] = s.id, s.expires
	}
	if k < len(s.pieces) {
		a["data"] = s.pieces[k]
	}
	return a
}

// message is the non-streamed message.audio.
func (s *spoken) message() map[string]any {
	return map[string]any{"id": s.id, "expires_at": s.expires, "data": s.whole, "transcript": s.transcript}
}

// spokenOf is choice i's audio, or nil.
func spokenOf(sp []*spoken, i int) *spoken {
	if i < len(sp) {
		return sp[i]
	}
	return nil
}
