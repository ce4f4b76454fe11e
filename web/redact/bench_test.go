package redact

import (
	"fmt"
	"strings"
	"testing"
)

// benchStream is a chat stream of n text events, as the simulator and
// OpenAI send them.
func benchStream(n int) []byte {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `data: {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[{"index":0,"delta":{"content":" word%d"},"logprobs":null,"finish_reason":null}],"obfuscation":"q9"}`+"\n\n", i)
	}
	b.WriteString("data: [DONE]\n\n")
	return []byte(b.String())
}

// BenchmarkTranscript is the redaction of a finished run's transcript
// (every run with a key pays it once at its end), per upstream event.
func BenchmarkTranscript(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		raw := benchStream(n)
		r := New("sk-proj-abcdefghijklmnopqrstuvwxyz0123456789")
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				r.Transcript(raw)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/event")
		})
	}
}
