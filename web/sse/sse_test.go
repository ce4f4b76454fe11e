package sse

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

type ev struct {
	Type, Data, ID, Error string
}

func decodeAll(t testing.TB, r io.Reader, max int) ([]ev, error) {
	d := NewDecoder(r, max)
	var out []ev
	for {
		e, err := d.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev{string(e.Type), string(e.Data), string(e.ID), string(e.Error)})
	}
}

// chunked returns a reader that yields s in pieces of size n.
type chunked struct {
	s string
	n int
}

func (c *chunked) Read(p []byte) (int, error) {
	if c.s == "" {
		return 0, io.EOF
	}
	k := min(c.n, len(c.s), len(p))
	copy(p, c.s[:k])
	c.s = c.s[k:]
	return k, nil
}

// split yields s in two reads at byte i.
type split struct {
	parts []string
}

func (s *split) Read(p []byte) (int, error) {
	for len(s.parts) > 0 && s.parts[0] == "" {
		s.parts = s.parts[1:]
	}
	if len(s.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.parts[0])
	s.parts[0] = s.parts[0][n:]
	return n, nil
}

var cases = map[string]struct {
	in   string
	want []ev
}{
	"one data event":                {"data: hello\n\n", []ev{{Data: "hello"}}},
	"no space after colon":          {"data:hello\n\n", []ev{{Data: "hello"}}},
	"only one space eaten":          {"data:  two\n\n", []ev{{Data: " two"}}},
	"multi-line data":               {"data: a\ndata: b\ndata:\n\n", []ev{{Data: "a\nb\n"}}},
	"event and id":                  {"event: response.created\nid: 7\ndata: {}\n\n", []ev{{Type: "response.created", ID: "7", Data: "{}"}}},
	"id persists":                   {"id: 1\ndata: a\n\ndata: b\n\n", []ev{{ID: "1", Data: "a"}, {ID: "1", Data: "b"}}},
	"id with NUL ignored":           {"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n", []ev{{ID: "1", Data: "a"}, {ID: "1", Data: "b"}}},
	"type resets":                   {"event: x\ndata: a\n\ndata: b\n\n", []ev{{Type: "x", Data: "a"}, {Data: "b"}}},
	"comments ignored":              {": keep-alive\n: OPENROUTER PROCESSING\n\ndata: x\n\n", []ev{{Data: "x"}}},
	"empty data dispatches nothing": {"event: x\n\ndata: y\n\n", []ev{{Data: "y"}}},
	"CRLF":                          {"data: a\r\n\r\ndata: b\r\n\r\n", []ev{{Data: "a"}, {Data: "b"}}},
	"lone CR":                       {"data: a\r\rdata: b\r\r", []ev{{Data: "a"}, {Data: "b"}}},
	"mixed endings":                 {"data: a\r\ndata: b\rdata: c\n\r\n", []ev{{Data: "a\nb\nc"}}},
	"BOM stripped":                  {"\xEF\xBB\xBFdata: a\n\n", []ev{{Data: "a"}}},
	"BOM only at start":             {"data: a\n\n\xEF\xBB\xBFdata: b\n\n", []ev{{Data: "a"}}},
	"unknown field ignored":         {"foo: bar\ndata: a\n\n", []ev{{Data: "a"}}},
	"field without colon":           {"data\n\n", []ev{{Data: ""}}},
	"llama.cpp error field":         {"error: {\"message\":\"boom\"}\n\ndata: [DONE]\n\n", []ev{{Error: `{"message":"boom"}`}, {Data: "[DONE]"}}},
	"unterminated dropped":          {"data: a\n\ndata: b", []ev{{Data: "a"}}},
	"unterminated line, no blank":   {"data: a\n\ndata: b\n", []ev{{Data: "a"}}},
	"utf-8 kept whole":              {"data: héllo 世界 🙂\n\n", []ev{{Data: "héllo 世界 🙂"}}},
	"retry is not data":             {"retry: 3000\ndata: a\n\n", []ev{{Data: "a"}}},
}

func TestDecode(t *testing.T) {
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			check := func(how string, r io.Reader) {
				t.Helper()
				got, err := decodeAll(t, r, 0)
				if err != nil {
					t.Fatalf("%s: %v", how, err)
				}
				if !equal(got, tc.want) {
					t.Fatalf("%s:\n got %+v\nwant %+v", how, got, tc.want)
				}
			}
			check("whole", strings.NewReader(tc.in))
			check("byte by byte", iotest.OneByteReader(strings.NewReader(tc.in)))
			for i := 0; i <= len(tc.in); i++ {
				check("split", &split{parts: []string{tc.in[:i], tc.in[i:]}})
			}
		})
	}
}

func equal(a, b []ev) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRetry(t *testing.T) {
	d := NewDecoder(strings.NewReader("retry: 1500\ndata: a\n\nretry: soon\ndata: b\n\n"), 0)
	e, _ := d.Next()
	if e.Retry != 1500 {
		t.Errorf("retry %d", e.Retry)
	}
	e, _ = d.Next()
	if e.Retry != 1500 {
		t.Errorf("invalid retry changed it: %d", e.Retry)
	}
}

func TestLargeEvent(t *testing.T) {
	big := strings.Repeat("x", 300<<10) // over 64 KiB and over the read buffer
	got, err := decodeAll(t, &chunked{s: "data: " + big + "\n\ndata: small\n\n", n: 4096}, 0)
	if err != nil || len(got) != 2 || got[0].Data != big || got[1].Data != "small" {
		t.Fatalf("large event: err %v, %d events", err, len(got))
	}
	_, err = decodeAll(t, strings.NewReader("data: "+big+"\n\n"), 100<<10)
	if !errors.Is(err, ErrEventTooLarge) {
		t.Fatalf("want ErrEventTooLarge, got %v", err)
	}
}

func TestReadError(t *testing.T) {
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("data: a\n\ndata: b"), iotest.ErrReader(boom))
	got, err := decodeAll(t, r, 0)
	if !errors.Is(err, boom) || len(got) != 1 {
		t.Fatalf("got %v, err %v", got, err)
	}
}

// TestFixturesSplitEverywhere decodes every recorded stream whole, then
// split in two at every byte, then converted to CRLF, and wants the same
// events each time.
func TestFixturesSplitEverywhere(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/sse/*.sse")
	if len(files) < 22 {
		t.Fatalf("found %d fixtures, want 22", len(files))
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			want, err := decodeAll(t, bytes.NewReader(raw), 0)
			if err != nil || len(want) == 0 {
				t.Fatalf("whole: %v (%d events)", err, len(want))
			}
			crlf := strings.ReplaceAll(string(raw), "\n", "\r\n")
			got, err := decodeAll(t, strings.NewReader(crlf), 0)
			if err != nil || !equal(got, want) {
				t.Fatalf("CRLF differs: %v", err)
			}
			cr := strings.ReplaceAll(string(raw), "\n", "\r")
			if got, err := decodeAll(t, strings.NewReader(cr), 0); err != nil || !equal(got, want) {
				t.Fatalf("CR differs: %v", err)
			}
			// A one-byte reader puts a read boundary at every byte in one pass;
			// other chunk sizes shift where CR/LF pairs and UTF-8 sequences break.
			for _, in := range []string{string(raw), crlf} {
				for _, n := range []int{1, 2, 3, 7, 64, 4093} {
					got, err := decodeAll(t, &chunked{s: in, n: n}, 0)
					if err != nil || !equal(got, want) {
						t.Fatalf("chunks of %d differ: %v", n, err)
					}
				}
			}
			// Small fixtures: also two reads split at every byte.
			if len(raw) <= 8<<10 {
				for i := 0; i <= len(raw); i++ {
					got, err := decodeAll(t, &split{parts: []string{string(raw[:i]), string(raw[i:])}}, 0)
					if err != nil || !equal(got, want) {
						t.Fatalf("split at %d differs: %v", i, err)
					}
					got, err = decodeAll(t, &split{parts: []string{crlf[:i], crlf[i:]}}, 0)
					if err != nil || !equal(got, want) {
						t.Fatalf("CRLF split at %d differs: %v", i, err)
					}
				}
			}
		})
	}
}

func TestAppendEventRoundTrip(t *testing.T) {
	var b []byte
	b = AppendEvent(b, 3, "delta", []byte(`{"t":"a\nb"}`))
	b = AppendEvent(b, -1, "", []byte("line1\r\nline2"))
	b = AppendComment(b, "ping")
	got, err := decodeAll(t, bytes.NewReader(b), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []ev{{Type: "delta", ID: "3", Data: `{"t":"a\nb"}`}, {ID: "3", Data: "line1\nline2"}}
	if !equal(got, want) {
		t.Fatalf("got %+v", got)
	}
}

// FuzzDecode checks that reading in any chunking gives the same events.
func FuzzDecode(f *testing.F) {
	for _, tc := range cases {
		f.Add(tc.in, 3)
	}
	f.Fuzz(func(t *testing.T, in string, n int) {
		if n <= 0 || n > 64 {
			n = 1
		}
		whole, err1 := decodeAll(t, strings.NewReader(in), 1<<16)
		parts, err2 := decodeAll(t, &chunked{s: in, n: n}, 1<<16)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("errors differ: %v vs %v", err1, err2)
		}
		if err1 == nil && !equal(whole, parts) {
			t.Fatalf("chunked decoding differs:\n%+v\n%+v", whole, parts)
		}
		if strings.HasPrefix(in, "\xEF\xBB\xBF") {
			return // EventReady may be conservative before the BOM is seen
		}
		checkEventReady(t, in, n)
	})
}

// checkEventReady decodes in, read n bytes at a time, and checks that
// EventReady says whether each Next reads.
func checkEventReady(t *testing.T, in string, n int) {
	t.Helper()
	r := &countingReader{chunked: chunked{s: in, n: n}}
	d := NewDecoder(r, 1<<16)
	for k := 0; ; k++ {
		ready := d.EventReady()
		before := r.reads
		_, err := d.Next()
		if err != nil {
			if ready && err == io.EOF {
				t.Fatalf("chunks of %d, event %d of %.60q: ready, then %v", n, k, in, err)
			}
			return
		}
		if read := r.reads != before; read == ready {
			t.Fatalf("chunks of %d, event %d of %.60q: EventReady %v but Next read %v", n, k, in, ready, read)
		}
	}
}

// countingReader is chunked that counts its reads.
type countingReader struct {
	chunked
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads++
	return c.chunked.Read(p)
}

// EventReady says exactly whether the next event is already read: true
// means Next returns without reading, false means it reads (the relay
// flushes to the browser then).
func TestEventReadyMatchesNext(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/sse/*.sse")
	inputs := []string{"data: a\n\ndata: b\n\n", "data: a\r\rdata: b\r\r", ": c\n\ndata: x\ndata: y\n\n\n\ndata: z\n\n", "\n\n\ndata: q\r\n\r\n"}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, string(raw), strings.ReplaceAll(string(raw), "\n", "\r\n"))
	}
	for _, in := range inputs {
		for _, n := range []int{1, 2, 3, 7, 64, 4096} {
			checkEventReady(t, in, n)
		}
	}
}
