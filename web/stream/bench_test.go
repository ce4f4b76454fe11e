package stream

import (
	"bytes"
	"io"
	"path/filepath"
	"testing"

	"github.com/playground-dev/playground/web/sse"
)

// BenchmarkDecodeFixtures measures SSE framing plus per-style JSON decoding
// into normalized events over every recorded stream; it reports MB/s and
// events/s.
func BenchmarkDecodeFixtures(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.sse"))
	var all [][]byte
	var total int64
	events := 0
	for _, f := range files {
		raw := readFixture(b, filepath.Base(f))
		all = append(all, raw)
		total += int64(len(raw))
		d := sse.NewDecoder(bytes.NewReader(raw), 0)
		for {
			if _, err := d.Next(); err != nil {
				break
			}
			events++
		}
	}
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, raw := range all {
			dec := NewDecoder(styleOf(filepath.Base(files[j])))
			sd := sse.NewDecoder(bytes.NewReader(raw), 0)
			for {
				ev, err := sd.Next()
				if err == io.EOF {
					break
				}
				_ = dec.Decode(ev, func(Event) {})
			}
		}
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkNormalize measures decoding plus accumulation (Result.Apply:
// text, reasoning, tool calls merged by index, usage) over every recording.
func BenchmarkNormalize(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.sse"))
	var all [][]byte
	var total int64
	for _, f := range files {
		raw := readFixture(b, filepath.Base(f))
		all = append(all, raw)
		total += int64(len(raw))
	}
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, raw := range all {
			dec := NewDecoder(styleOf(filepath.Base(files[j])))
			res := NewResult()
			sd := sse.NewDecoder(bytes.NewReader(raw), 0)
			for {
				ev, err := sd.Next()
				if err == io.EOF {
					break
				}
				_ = dec.Decode(ev, res.Apply)
			}
		}
	}
}
