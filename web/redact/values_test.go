package redact

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// A secret header's value the provider echoes is replaced wherever the
// reads split it.
func TestValuesReader(t *testing.T) {
	const secret = "vk-s3cr3t-virtual"
	body := "data: {\"echo\":\"header was " + secret + "\"}\n\ndata: vk-s not it, " + secret + secret + "\n\ndata: [DONE]\n\n"
	want := strings.ReplaceAll(body, secret, Mask)
	for size := 1; size <= len(body); size++ {
		r := ValuesReader(io.NopCloser(chunked(body, size)), []string{secret, "short"})
		got, err := io.ReadAll(r)
		if err != nil || string(got) != want {
			t.Fatalf("reads of %d bytes: %q, %v\nwant %q", size, got, err, want)
		}
	}
	// A value shorter than MinKey is not looked for, nor is anything
	// without values.
	plain := io.NopCloser(strings.NewReader(body))
	if ValuesReader(plain, []string{"short"}) != plain || ValuesReader(plain, nil) != plain {
		t.Error("a reader with nothing to find was wrapped")
	}
	// An error is passed on after what was read.
	r := ValuesReader(io.NopCloser(io.MultiReader(strings.NewReader("abc vk-s3"), iotest.ErrReader(io.ErrUnexpectedEOF))), []string{secret})
	got, err := io.ReadAll(r)
	if string(got) != "abc vk-s3" || err != io.ErrUnexpectedEOF {
		t.Errorf("got %q, %v", got, err)
	}
}

// chunked reads s size bytes at a time.
func chunked(s string, size int) io.Reader { return &chunkReader{s: s, size: size} }

type chunkReader struct {
	s    string
	size int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.s == "" {
		return 0, io.EOF
	}
	n := copy(p, c.s[:min(c.size, len(c.s))])
	c.s = c.s[n:]
	return n, nil
}
