// Package audio knows the audio output of Chat Completions (modalities:
// audio): the voices and formats a request may ask for, the Content-Type
// of each format, and WAV framing: pcm16 answers are raw samples, which a
// browser plays only inside a WAV file.
package audio

import "encoding/binary"

// Voices are the built-in voices of the API spec (a custom voice is an
// object {"id": "voice_…"}).
var Voices = []string{"alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse", "marin", "cedar"}

// Formats are the output formats of the API spec.
var Formats = []string{"wav", "aac", "mp3", "flac", "opus", "pcm16"}

// PCMRate is the sample rate of pcm16 answers: 24 kHz, 16-bit, mono,
// little-endian.
const PCMRate = 24000

// ContentType is the media type of an answer in format.
func ContentType(format string) string {
	switch format {
	case "wav", "pcm16":
		return "audio/wav" // pcm16 is served inside a WAV header
	case "mp3":
		return "audio/mpeg"
	case "flac":
		return "audio/flac"
	case "opus":
		return "audio/ogg"
	case "aac":
		return "audio/aac"
	}
	return "application/octet-stream"
}

// Playable is the answer's bytes as a browser plays them: pcm16 wrapped
// in a WAV header, anything else as it came.
func Playable(format string, data []byte) []byte {
	if format == "pcm16" {
		return WAV(data, PCMRate)
	}
	return data
}

// WAV frames 16-bit mono little-endian PCM samples at rate as a WAV file.
func WAV(pcm []byte, rate int) []byte {
	n := len(pcm) &^ 1
	out := make([]byte, 44, 44+n)
	copy(out[0:], "RIFF")
	binary.LittleEndian.PutUint32(out[4:], uint32(36+n))
	copy(out[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(out[16:], 16)
	binary.LittleEndian.PutUint16(out[20:], 1) // PCM
	binary.LittleEndian.PutUint16(out[22:], 1) // mono
	binary.LittleEndian.PutUint32(out[24:], uint32(rate))
	binary.LittleEndian.PutUint32(out[28:], uint32(rate*2))
	binary.LittleEndian.PutUint16(out[32:], 2)
	binary.LittleEndian.PutUint16(out[34:], 16)
	copy(out[36:], "data")
	binary.LittleEndian.PutUint32(out[40:], uint32(n))
	return append(out, pcm[:n]...)
}
