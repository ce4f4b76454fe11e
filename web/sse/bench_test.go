package sse

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDecode measures SSE framing alone over every recorded stream.
func BenchmarkDecode(b *testing.B) {
	files, _ := filepath.Glob("../../testdata/sse/*.sse")
	var all []byte
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		all = append(all, raw...)
	}
	events := 0
	d := NewDecoder(bytes.NewReader(all), 0)
	for {
		if _, err := d.Next(); err != nil {
			break
		}
		events++
	}
	b.SetBytes(int64(len(all)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := NewDecoder(bytes.NewReader(all), 0)
		for {
			if _, err := d.Next(); err != nil {
				break
			}
		}
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
