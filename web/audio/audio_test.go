package audio

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestWAVHeader(t *testing.T) {
	pcm := []byte{1, 0, 2, 0, 3} // an odd byte is left out
	w := WAV(pcm, 24000)
	if len(w) != 48 || string(w[:4]) != "RIFF" || string(w[8:16]) != "WAVEfmt " || string(w[36:40]) != "data" {
		t.Fatalf("header % x", w[:44])
	}
	if got := binary.LittleEndian.Uint32(w[4:]); got != 40 {
		t.Errorf("RIFF size %d", got)
	}
	if got := binary.LittleEndian.Uint32(w[24:]); got != 24000 {
		t.Errorf("rate %d", got)
	}
	if got := binary.LittleEndian.Uint32(w[40:]); got != 4 || !bytes.Equal(w[44:], pcm[:4]) {
		t.Errorf("data size %d, % x", got, w[44:])
	}
}

func TestPlayable(t *testing.T) {
	pcm := []byte{1, 0}
	if p := Playable("pcm16", pcm); string(p[:4]) != "RIFF" {
		t.Error("pcm16 not wrapped in WAV")
	}
	if p := Playable("mp3", pcm); !bytes.Equal(p, pcm) {
		t.Error("mp3 changed")
	}
	for f, want := range map[string]string{"wav": "audio/wav", "pcm16": "audio/wav", "mp3": "audio/mpeg", "flac": "audio/flac", "opus": "audio/ogg", "aac": "audio/aac", "x": "application/octet-stream"} {
		if got := ContentType(f); got != want {
			t.Errorf("%s: %s, want %s", f, got, want)
		}
	}
}

func TestSpeechlike(t *testing.T) {
	a := Speechlike("Hello there, spoken.", "alloy", 10)
	if len(a) < PCMRate/2 || len(a)%2 != 0 {
		t.Fatalf("%d bytes", len(a))
	}
	if !bytes.Equal(a, Speechlike("Hello there, spoken.", "alloy", 10)) {
		t.Error("not deterministic")
	}
	if bytes.Equal(a, Speechlike("Hello there, spoken.", "echo", 10)) {
		t.Error("the voice changes nothing")
	}
	loud := 0
	for i := 0; i+1 < len(a); i += 2 {
		if s := int16(binary.LittleEndian.Uint16(a[i:])); s > 3000 || s < -3000 {
			loud++
		}
	}
	if loud < len(a)/20 {
		t.Errorf("only %d loud samples of %d", loud, len(a)/2)
	}
	if long := Speechlike(string(bytes.Repeat([]byte("banana "), 500)), "alloy", 1); len(long) > PCMRate*2 {
		t.Errorf("%d bytes past the 1 s bound", len(long))
	}
}
