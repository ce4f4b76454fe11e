package run

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/catalog"
)

func testSpoolFile(t *testing.T) (*spoolFile, string) {
	t.Helper()
	dir := t.TempDir()
	f, err := openSpoolFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.close)
	return f, dir
}

// The spool keeps the first max bytes whatever the sizes of the writes,
// and holds at most a chunk of them in memory once it spills.
func TestSpoolKeepsTheStreamWithLittleInMemory(t *testing.T) {
	for _, tc := range []struct {
		name  string
		file  bool
		piece int
		total int
		max   int
	}{
		{"in memory", false, 100, 60_000, 1 << 20},
		{"small pieces to the file", true, 100, 60_000, 1 << 20},
		{"pieces larger than a block", true, 20_000, 100_000, 1 << 20},
		{"cut at max", true, 333, 60_000, 40_001},
		{"under a chunk: nothing spilled", true, 10, 3_000, 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s spool
			if tc.file {
				s.file, _ = testSpoolFile(t)
			}
			var want bytes.Buffer
			for i := 0; want.Len() < tc.total; i++ {
				p := bytes.Repeat([]byte{byte('a' + i%26)}, tc.piece)
				kept := s.write(p, tc.max)
				want.Write(p[:kept])
				if tc.file && len(s.tail) >= maxSpoolChunk+tc.piece {
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
			if spilled := len(s.blocks) > 0; tc.file && spilled != (min(tc.total, tc.max) > spoolChunk) {
				t.Errorf("spilled %d blocks of %d bytes", len(s.blocks), min(tc.total, tc.max))
			}
			clean := bytes.Repeat([]byte("c"), want.Len()/2)
			s.replace(clean)
			if got := s.bytes(); !bytes.Equal(got, clean) {
				t.Errorf("after replace: %d bytes, want %d", len(got), len(clean))
			}
			if tc.file && len(clean) > spoolChunk && len(s.tail) > 0 {
				t.Errorf("a spilled run keeps %d bytes of its clean transcript in memory", len(s.tail))
			}
			s.close()
		})
	}
}

// Blocks a forgotten run gives back are used again: the file grows to the
// most the runs held at once.
func TestSpoolFileReusesBlocks(t *testing.T) {
	f, _ := testSpoolFile(t)
	piece := bytes.Repeat([]byte("x"), 1000)
	for range 20 {
		s := spool{file: f}
		for range 50 {
			s.write(piece, 1<<30)
		}
		s.close()
	}
	if f.end > 4*spoolBlock {
		t.Errorf("20 runs of 50 KB one after another grew the file to %d bytes", f.end)
	}
}

// A spool whose file fails keeps the rest in memory.
func TestSpoolWithAFailedWriteKeepsItInMemory(t *testing.T) {
	f, _ := testSpoolFile(t)
	f.f.Close() // every write fails
	s := spool{file: f}
	p := []byte(strings.Repeat("x", 3*spoolChunk))
	s.write(p, 1<<20)
	s.write(p, 1<<20)
	if got := s.bytes(); len(got) != 2*len(p) {
		t.Fatalf("kept %d bytes, want %d", len(got), 2*len(p))
	}
	if !s.stopped || len(s.blocks) > 0 {
		t.Errorf("stopped %v, %d blocks", s.stopped, len(s.blocks))
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

// A slow stream holds one small chunk; a fast one spills in larger ones.
func TestSpoolChunkFollowsTheStreamsPace(t *testing.T) {
	f, _ := testSpoolFile(t)
	fast := spool{file: f}
	piece := bytes.Repeat([]byte("x"), 512)
	for range 1000 {
		fast.write(piece, 1<<30)
	}
	if fast.chunk != maxSpoolChunk {
		t.Errorf("a stream of 512 KB at once spills in chunks of %d, want %d", fast.chunk, maxSpoolChunk)
	}
	slow := spool{file: f}
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

// A long stream goes through the spool: the inspector and the transcript
// have every byte, a key echoed across a block boundary is redacted in
// both, and no file is left with a name in the directory.
func TestLongStreamSpooledWhole(t *testing.T) {
	const key = "sk-spooled-secret-0123456789"
	var raw bytes.Buffer
	for i := 0; raw.Len() < spoolBlock-20; i++ {
		fmt.Fprintf(&raw, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word %d \"}}]}\n\n", i)
	}
	// The key's own event straddles the first block's end.
	head := raw.Len()
	fmt.Fprintf(&raw, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"}}]}\n\n", key)
	for i := 0; raw.Len() < 5*spoolBlock; i++ {
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
	r.mu.Lock()
	blocks, tail := len(r.transcript.blocks), len(r.transcript.tail)
	r.mu.Unlock()
	if blocks == 0 || tail > 0 {
		t.Errorf("a finished 80 KB stream has %d blocks in the file and %d bytes in memory", blocks, tail)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) > 0 && m.spool.name == "" {
		t.Errorf("spool files with names: %v", left)
	}
	m.Close()
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) > 0 {
		t.Errorf("spool files left after Close: %v", left)
	}
}

// A write that fails after some blocks went to the file keeps each byte
// once: those blocks, then the rest in memory.
func TestSpoolFailingPartWayKeepsEachByteOnce(t *testing.T) {
	f, _ := testSpoolFile(t)
	s := spool{file: f}
	first := bytes.Repeat([]byte("a"), spoolBlock)
	s.write(first, 1<<30)          // one block spilled
	f.w = &failAfter{w: f.f, n: 1} // one more block is written, then writes fail
	rest := bytes.Repeat([]byte("b"), 3*spoolBlock)
	s.write(rest, 1<<30)
	if got, want := s.bytes(), append(append([]byte(nil), first...), rest...); !bytes.Equal(got, want) {
		t.Fatalf("read back %d bytes, want %d", len(got), len(want))
	}
	if !s.stopped {
		t.Error("the spool goes on spilling after a failed write")
	}
}

// failAfter lets n writes through, then fails.
type failAfter struct {
	w io.WriterAt
	n int
}

func (f *failAfter) WriteAt(p []byte, off int64) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("disk full")
	}
	f.n--
	return f.w.WriteAt(p, off)
}
