package run

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// spoolChunk is how much of a run's raw transcript stays in memory before
// it goes to the run's spool file: a thousand slow streams hold at most
// this much each, not their whole transcripts, and a short answer (most
// are) never costs a file (on this project's test machine a spool file
// and its writes cost ≈0.3 ms of system time for a 15 KB stream under
// load: docs/performance.md). A stream that fills its
// chunk again within spoolFast (a fast one: few of them run at once, and
// a write per 4 KB would cost it a system call every few dozen events)
// gets a chunk twice as large, up to maxSpoolChunk.
const (
	spoolChunk    = 16 << 10
	maxSpoolChunk = 64 << 10
	spoolFast     = 250 * time.Millisecond
)

// spool keeps a run's raw upstream body, the first max bytes: the last
// bytes (up to spoolChunk) in memory, the rest in a file of dir, which is
// private to the process (0600, deleted as soon as it is opened where the
// system allows, else when the run is forgotten). With no dir, or when the
// file cannot be made or written, it all stays in memory: the transcript
// is never lost for want of a disk. The bytes are raw (not yet redacted:
// a key split across events is only found in the whole): clean replaces
// them with the redacted transcript once the run has ended.
type spool struct {
	dir       string
	f         *os.File
	name      string // the file's name while it still has one
	size      int64  // bytes in the file
	tail      []byte // bytes not in the file
	total     int    // bytes kept, in the file and the tail
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
	if len(s.tail) >= s.chunk && s.dir != "" {
		s.spill()
	}
	return len(p)
}

// spill moves the tail to the file (made at the first spill). A failure
// leaves the bytes in memory and spools no more.
func (s *spool) spill() {
	if s.f == nil {
		f, err := os.CreateTemp(s.dir, "run-*.sse")
		if err != nil {
			s.dir = ""
			return
		}
		s.f = f
		if err := os.Remove(f.Name()); err != nil {
			s.name = f.Name() // removed when the run is forgotten
		}
	}
	if _, err := s.f.WriteAt(s.tail, s.size); err != nil {
		s.dir = "" // what is in the file stays valid; the rest stays here
		return
	}
	s.size += int64(len(s.tail))
	now := time.Now()
	if !s.spilled.IsZero() && now.Sub(s.spilled) < spoolFast {
		s.chunk = min(2*s.chunk, maxSpoolChunk)
	} else {
		s.chunk = spoolChunk
	}
	s.spilled = now
	s.tail = s.tail[:0]
	if cap(s.tail) > 2*s.chunk {
		s.tail = nil
	}
}

// bytes returns everything kept, as one new slice.
func (s *spool) bytes() []byte {
	out := make([]byte, s.size, s.size+int64(len(s.tail)))
	if s.size > 0 {
		if _, err := s.f.ReadAt(out, 0); err != nil && err != io.EOF {
			// The file is gone or unreadable: what it held is lost, and
			// said so rather than shown as if it were the stream.
			out = fmt.Appendf(out[:0], ": the first %d bytes of this stream could not be read back: %v\n", s.size, err)
		}
	}
	return append(out, s.tail...)
}

// replace makes b (the redacted transcript) what the spool keeps: in the
// file when there is one, so a finished run holds none of it in memory.
func (s *spool) replace(b []byte) {
	s.total = len(b)
	if s.f != nil {
		if err := s.f.Truncate(0); err == nil {
			if _, err := s.f.WriteAt(b, 0); err == nil {
				s.size, s.tail = int64(len(b)), nil
				return
			}
		}
		s.close()
	}
	s.size, s.tail = 0, append([]byte(nil), b...)
}

// close removes the file; what is kept in memory stays readable.
func (s *spool) close() {
	if s.f == nil {
		return
	}
	s.f.Close()
	if s.name != "" {
		os.Remove(s.name)
	}
	s.f, s.name, s.size, s.dir = nil, "", 0, ""
}

// ClearSpool removes the spool files a process that ended without closing
// its runs (a crash) left in dir.
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
