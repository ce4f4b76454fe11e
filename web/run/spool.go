package run

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// A run keeps its raw transcript's first spoolChunk bytes in memory; past
// them the bytes go, a block at a time, to the manager's spool file, so a
// thousand slow streams hold at most a chunk each, not their whole
// transcripts, and a short answer never touches the disk. A stream that
// fills its chunk again within spoolFast (a fast one: few of them run at
// once) gets a chunk twice as large, up to maxSpoolChunk, and so fewer
// writes.
const (
	spoolBlock    = 16 << 10
	spoolChunk    = spoolBlock
	maxSpoolChunk = 4 * spoolBlock
	spoolFast     = 250 * time.Millisecond
)

// spoolFile is the one file in which every run of a manager keeps the
// blocks of its transcript it spilled: made once, so a run's spill is a
// write to a file already open (a file per run cost 0.35 ms of system time
// to create on this project's test machine: docs/performance.md). It is
// private to the process: 0600, and deleted as soon as it is made where
// the system allows (else when the manager closes, and ClearSpool removes
// what a crash left). Freed blocks are used again, so it grows to the most
// the runs held at once.
type spoolFile struct {
	mu   sync.Mutex
	f    *os.File
	w    io.WriterAt // f, where the blocks are written
	name string      // the file's name while it still has one
	end  int64
	free []int64
}

// openSpoolFile makes the spool file in dir.
func openSpoolFile(dir string) (*spoolFile, error) {
	f, err := os.CreateTemp(dir, "run-*.sse")
	if err != nil {
		return nil, err
	}
	sf := &spoolFile{f: f, w: f}
	if err := os.Remove(f.Name()); err != nil {
		sf.name = f.Name()
	}
	return sf, nil
}

// alloc returns a free block's offset.
func (sf *spoolFile) alloc() int64 {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	if n := len(sf.free); n > 0 {
		off := sf.free[n-1]
		sf.free = sf.free[:n-1]
		return off
	}
	off := sf.end
	sf.end += spoolBlock
	return off
}

// release makes blocks free.
func (sf *spoolFile) release(blocks []int64) {
	if len(blocks) == 0 {
		return
	}
	sf.mu.Lock()
	sf.free = append(sf.free, blocks...)
	sf.mu.Unlock()
}

// close closes (and, if it still has a name, removes) the file.
func (sf *spoolFile) close() {
	if sf == nil {
		return
	}
	sf.f.Close()
	if sf.name != "" {
		os.Remove(sf.name)
	}
}

// spool keeps a run's raw upstream body, the first max bytes: the blocks
// it spilled to file, then the tail in memory. With no file, or when a
// write fails, it all stays in memory: the transcript is never lost for
// want of a disk. The bytes are raw (not yet redacted: a key split across
// events is only found in the whole): replace puts the redacted transcript
// in their place once the run has ended.
type spool struct {
	file      *spoolFile // nil: all in memory
	stopped   bool       // a write failed: no more spills
	blocks    []int64
	size      int64  // bytes in the blocks (all full but, after replace, the last)
	tail      []byte // bytes not in the blocks
	total     int    // bytes kept, in the blocks and the tail
	truncated bool
	chunk     int       // the tail's size at which it goes to the file
	spilled   time.Time // when it last did
}

// write keeps what of p fits under max bytes and returns how much it kept.
func (s *spool) write(p []byte, max int) int {
	room := max - s.total
	if room <= 0 {
		s.truncated = s.truncated || len(p) > 0
		return 0
	}
	if len(p) > room {
		p, s.truncated = p[:room], true
	}
	s.total += len(p)
	s.tail = append(s.tail, p...)
	if s.chunk == 0 {
		s.chunk = spoolChunk
	}
	if len(s.tail) >= s.chunk && s.file != nil && !s.stopped && s.size%spoolBlock == 0 {
		s.spill()
	}
	return len(p)
}

// spill moves the tail's whole blocks to the file. A failure leaves the
// bytes in memory and spools no more.
func (s *spool) spill() {
	n := len(s.tail) / spoolBlock * spoolBlock
	before := s.size
	if err := s.writeBlocks(s.tail[:n]); err != nil {
		// The blocks written before the failure stay valid; the rest
		// stays here.
		s.stopped = true
		n = int(s.size - before)
	}
	rest := copy(s.tail, s.tail[n:])
	s.tail = s.tail[:rest]
	now := time.Now()
	if !s.spilled.IsZero() && now.Sub(s.spilled) < spoolFast {
		s.chunk = min(2*s.chunk, maxSpoolChunk)
	} else {
		s.chunk = spoolChunk
	}
	s.spilled = now
	if cap(s.tail) > 2*s.chunk {
		s.tail = append([]byte(nil), s.tail...)
	}
}

// writeBlocks appends b to the blocks, a new block for each spoolBlock
// bytes (the last may be short).
func (s *spool) writeBlocks(b []byte) error {
	for len(b) > 0 {
		n := min(len(b), spoolBlock)
		off := s.file.alloc()
		if _, err := s.file.w.WriteAt(b[:n], off); err != nil {
			s.file.release([]int64{off})
			return err
		}
		s.blocks = append(s.blocks, off)
		s.size += int64(n)
		b = b[n:]
	}
	return nil
}

// bytes returns everything kept, as one new slice.
func (s *spool) bytes() []byte {
	out := make([]byte, s.size, s.size+int64(len(s.tail)))
	for i, off := range s.blocks {
		lo := int64(i) * spoolBlock
		hi := min(lo+spoolBlock, s.size)
		if _, err := s.file.f.ReadAt(out[lo:hi], off); err != nil && !errors.Is(err, io.EOF) {
			// The file is unreadable: what it held is lost, and said so
			// rather than shown as if it were the stream.
			out = fmt.Appendf(out[:0], ": the first %d bytes of this stream could not be read back: %v\n", s.size, err)
			break
		}
	}
	return append(out, s.tail...)
}

// replace makes b (the redacted transcript) what the spool keeps: in the
// file when the run spilled, so a finished run holds none of it in memory.
func (s *spool) replace(b []byte) {
	spilled := len(s.blocks) > 0
	s.release()
	s.total, s.tail = len(b), nil
	if spilled && !s.stopped && len(b) > spoolChunk {
		if s.writeBlocks(b) == nil {
			return
		}
		s.release()
	}
	s.tail = append([]byte(nil), b...)
}

// release gives the blocks back to the file; what is in memory stays.
func (s *spool) release() {
	if s.file != nil {
		s.file.release(s.blocks)
	}
	s.blocks, s.size = nil, 0
}

// close releases the blocks (the run is forgotten) and spools no more.
func (s *spool) close() {
	s.release()
	s.file = nil
}

// ClearSpool removes the spool files a process that ended without closing
// its manager (a crash) left in dir, where the system kept their names.
func ClearSpool(dir string) error {
	names, err := filepath.Glob(filepath.Join(dir, "run-*.sse"))
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := os.Remove(n); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}
