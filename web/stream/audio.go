package stream

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// MaxAudioBytes bounds the decoded audio a result keeps over all its
// choices (4 MiB: some 87 s of 24 kHz pcm16). Past it the audio is
// dropped with a note; the transcript is kept.
const MaxAudioBytes = 4 << 20

// Audio is the spoken answer of a choice (Chat modalities: audio). Its
// transcript is the choice's Text.
type Audio struct {
	ID        string
	ExpiresAt int64
	// data is the decoded audio so far; pending the base64 characters not
	// decoded yet (less than one 4-character quantum).
	data    []byte
	pending string
	// Dropped says why the audio is not kept ("" when it is).
	Dropped string
}

// Bytes is the decoded audio: what arrived, with an unpadded tail.
func (a *Audio) Bytes() []byte {
	if a == nil || a.Dropped != "" {
		return nil
	}
	if a.pending == "" {
		return a.data
	}
	tail, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(a.pending, "="))
	if err != nil {
		return a.data
	}
	return append(a.data[:len(a.data):len(a.data)], tail...)
}

// drop forgets the data, saying why.
func (a *Audio) drop(why string) {
	a.Dropped, a.data, a.pending = why, nil, ""
}

// add decodes a piece of base64 data, keeping at most room more bytes.
// Pieces may be cut anywhere, or each be a whole padded encoding: the
// decoding goes quantum by quantum up to each padding.
func (a *Audio) add(piece string, room int) {
	if a.Dropped != "" || piece == "" {
		return
	}
	if len(a.pending)+len(piece) > room/3*4+8 {
		a.drop("the audio is larger than " + strconv.Itoa(MaxAudioBytes>>20) + " MiB, so it was not kept; the transcript is")
		return
	}
	s := a.pending + strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, piece)
	for len(s) >= 4 {
		end := len(s) / 4 * 4
		if p := strings.IndexByte(s, '='); p >= 0 && p < end {
			end = (p/4 + 1) * 4
		}
		b, err := base64.StdEncoding.DecodeString(s[:end])
		if err != nil {
			a.drop("the audio data is not valid base64, so it was not kept; the transcript is")
			return
		}
		if len(b) > room {
			a.drop("the audio is larger than " + strconv.Itoa(MaxAudioBytes>>20) + " MiB, so it was not kept; the transcript is")
			return
		}
		room -= len(b)
		a.data = append(a.data, b...)
		s = s[end:]
	}
	a.pending = s
}

// AudioBytes is the decoded audio the result holds over all choices.
func (r *Result) AudioBytes() int { return r.audioBytes }

// applyAudio adds an audio piece to choice i, within MaxAudioBytes over
// the result.
func (r *Result) applyAudio(e Event) {
	c := r.Choice(e.Choice)
	if c.Audio == nil {
		c.Audio = &Audio{}
	}
	a := c.Audio
	if e.Audio.ID != "" {
		a.ID = e.Audio.ID
	}
	if e.Audio.ExpiresAt != 0 {
		a.ExpiresAt = e.Audio.ExpiresAt
	}
	before := len(a.data)
	a.add(e.Audio.Data, MaxAudioBytes-r.audioBytes)
	r.audioBytes += len(a.data) - before
}
