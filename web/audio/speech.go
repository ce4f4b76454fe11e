package audio

import (
	"encoding/binary"
	"math"
)

// Speechlike is spoken-like pcm16 (24 kHz mono) for a text: a syllable
// of voiced sound per vowel group, its pitch gliding and its loudness
// rising and falling, a short pause between words and a longer one at
// punctuation. The same text gives the same audio; voice shifts the
// pitch. It is what the simulator answers with: real, playable audio
// the length of the text spoken slowly, bounded by maxSeconds.
func Speechlike(text, voice string, maxSeconds float64) []byte {
	const rate = PCMRate
	base := 120.0 + float64(hash(voice)%80) // Hz
	var out []byte
	sample := func(v float64) {
		s := int16(math.Max(-1, math.Min(1, v)) * 12000)
		out = binary.LittleEndian.AppendUint16(out, uint16(s))
	}
	silence := func(sec float64) {
		for i := 0; i < int(sec*rate); i++ {
			sample(0)
		}
	}
	limit := int(maxSeconds * rate * 2)
	phase := 0.0
	syllable := func(k int) {
		n := int(0.16 * rate)
		f0 := base * (1 + 0.15*math.Sin(float64(k)))
		for i := 0; i < n; i++ {
			t := float64(i) / float64(n)
			env := math.Sin(math.Pi * t) // rises and falls
			f := f0 * (1.1 - 0.2*t)      // glides down
			phase += 2 * math.Pi * f / rate
			// A few harmonics shaped like a vowel.
			v := 0.6*math.Sin(phase) + 0.3*math.Sin(2*phase) + 0.15*math.Sin(3*phase)
			sample(env * v)
		}
	}
	k := 0
	inVowel := false
	for _, r := range text {
		if len(out) >= limit {
			break
		}
		switch {
		case r == 'a' || r == 'e' || r == 'i' || r == 'o' || r == 'u' || r == 'y' ||
			r == 'A' || r == 'E' || r == 'I' || r == 'O' || r == 'U' || r == 'Y':
			if !inVowel {
				syllable(k)
				k++
			}
			inVowel = true
			continue
		case r == ' ':
			silence(0.05)
		case r == '.' || r == ',' || r == '!' || r == '?' || r == ';' || r == ':':
			silence(0.2)
		}
		inVowel = false
	}
	if len(out) == 0 {
		syllable(0)
	}
	if len(out) > limit {
		out = out[:limit&^1]
	}
	return out
}

func hash(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}
