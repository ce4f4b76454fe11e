package run

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/catalog"
)

// The spool keeps the first max bytes whatever the sizes of the writes,
// and holds at most spoolChunk of them in memory once it has a file.
func TestSpoolKeepsTheStreamWithLittleInMemory(t *testing.T) {
	for _, tc := range []struct {
		name  string
		dir   bool
		piece int
		total int
		max   int
	}{
		{"in memory", false, 100, 20_000, 1 << 20},
		{"small pieces to a file", true, 100, 60_000, 1 << 20},
		{"pieces larger than a chunk", true, 20_000, 100_000, 1 << 20},
		{"cut at max", true, 333, 60_000, 40_001},
		{"under a chunk: no file", true, 10, 3_000, 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, dir := spool{}, ""
			if tc.dir {
				dir = t.TempDir()
				s.dir = dir
			}
			var want bytes.Buffer
			for i := 0; want.Len() < tc.total; i++ {
				p := bytes.Repeat([]byte{byte('a' + i%26)}, tc.piece)
				kept := s.write(p, tc.max)
				want.Write(p[:kept])
				if tc.dir && len(s.tail) >= maxSpoolChunk+tc.piece {
					t.Fatalf("after %d bytes the tail holds %d", want.Len(), len(s.tail))
				}
				if want.Len() >= tc.max {
					break
				}
			}
			got := s.bytes()
			if !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("read back %d bytes, want %d (equal prefix: %v)", len(got), want.Len(), bytes.HasPrefix(want.Bytes(), got))
			}
			if cut := want.Len() >= tc.max; s.truncated != cut {
				t.Errorf("truncated = %v, want %v", s.truncated, cut)
			}
			if tc.dir && min(tc.total, tc.max) > spoolChunk && s.f == nil {
				t.Error("no spool file past a chunk")
			}
			if tc.dir {
				left, _ := filepath.Glob(filepath.Join(dir, "*"))
				if len(left) > 0 && s.name == "" {
					t.Errorf("the spool file has a name in the directory: %v", left)
				}
			}
			s.replace([]byte("clean"))
			if got := string(s.bytes()); got != "clean" {
				t.Errorf("after replace: %q", got)
			}
			s.close()
			if tc.dir {
				if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) > 0 {
					t.Errorf("files left after close: %v", left)
				}
			}
		})
	}
}

// A directory the spool cannot write to keeps the transcript in memory.
func TestSpoolWithoutAWritableDirectoryKeepsItInMemory(t *testing.T) {
	s := spool{dir: filepath.Join(t.TempDir(), "missing")}
	p := []byte(strings.Repeat("x", 3*spoolChunk))
	s.write(p, 1<<20)
	s.write(p, 1<<20)
	if got := s.bytes(); len(got) != 2*len(p) {
		t.Fatalf("kept %d bytes, want %d", len(got), 2*len(p))
	}
	if s.f != nil {
		t.Error("a file was made in a missing directory")
	}
}

// ClearSpool removes what a crashed process left, and nothing else.
func TestClearSpool(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"run-1.sse", "run-2.sse", "keep.txt"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := ClearSpool(dir); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(left) != 1 || filepath.Base(left[0]) != "keep.txt" {
		t.Errorf("left %v, want keep.txt", left)
	}
}

// A long stream goes through the spool: the inspector and the transcript
// have every byte, a key echoed across the spool's chunk boundary is
// redacted in both, and no file is left with a name in the directory.
func TestLongStreamSpooledWhole(t *testing.T) {
	const key = "sk-spooled-secret-0123456789"
	var raw bytes.Buffer
	for i := 0; raw.Len() < 3*spoolChunk; i++ {
		fmt.Fprintf(&raw, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word %d \"}}]}\n\n", i)
	}
	// The key's own event starts a little before the first chunk ends.
	head := raw.Len()
	fmt.Fprintf(&raw, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"}}]}\n\n", key)
	for i := 0; raw.Len() < 6*spoolChunk; i++ {
		fmt.Fprintf(&raw, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"more %d \"}}]}\n\n", i)
	}
	raw.WriteString("data: [DONE]\n\n")
	events := bytes.Count(raw.Bytes(), []byte("\n\n"))
	srv := httptest.NewServer(serve(raw.Bytes(), 700, 0))
	defer srv.Close()
	dir := t.TempDir()
	m := newManager(t, Config{SpoolDir: dir})
	sp := spec(catalog.Chat, srv.URL, "{}")
	sp.Key = key
	r := m.Start(sp)
	wait(t, r)
	tr := r.Transcript()
	if len(tr) < head || bytes.Contains(tr, []byte(key)) {
		t.Fatalf("transcript of %d bytes (upstream %d), key in it: %v", len(tr), raw.Len(), bytes.Contains(tr, []byte(key)))
	}
	want := bytes.ReplaceAll(raw.Bytes(), []byte(key), nil)
	if got := bytes.ReplaceAll(tr, []byte("[redacted]"), nil); !bytes.Equal(got, want) {
		t.Errorf("transcript differs from the upstream bytes beyond the key")
	}
	if in := r.Inspect(); len(in.Events) != events || strings.Contains(fmt.Sprint(in.Events), key) {
		t.Errorf("inspector has %d events, want %d (or shows the key)", len(in.Events), events)
	}
	if r.transcript.f == nil {
		t.Error("a stream of six chunks was not spooled")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) > 0 && r.transcript.name == "" {
		t.Errorf("spool files with names: %v", left)
	}
	m.Close()
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) > 0 {
		t.Errorf("spool files left after Close: %v", left)
	}
}

// A slow stream holds one small chunk; a fast one spills in larger ones.
func TestSpoolChunkFollowsTheStreamsPace(t *testing.T) {
	fast := spool{dir: t.TempDir()}
	piece := bytes.Repeat([]byte("x"), 512)
	for range 1000 {
		fast.write(piece, 1<<30)
	}
	if fast.chunk != maxSpoolChunk {
		t.Errorf("a stream of 512 KB at once spills in chunks of %d, want %d", fast.chunk, maxSpoolChunk)
	}
	slow := spool{dir: t.TempDir()}
	for range 3 {
		for len(slow.tail) < spoolChunk-len(piece) {
			slow.write(piece, 1<<30)
		}
		slow.spilled = slow.spilled.Add(-time.Second) // as if a second went by
		slow.write(piece, 1<<30)
	}
	if slow.chunk != spoolChunk || cap(slow.tail) > 2*spoolChunk {
		t.Errorf("a slow stream's chunk is %d (tail capacity %d), want %d", slow.chunk, cap(slow.tail), spoolChunk)
	}
	if got := len(fast.bytes()); got != 512*1000 {
		t.Errorf("the fast stream kept %d bytes", got)
	}
	fast.close()
	slow.close()
}
