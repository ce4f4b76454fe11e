package draft

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/playground-dev/playground/web/form"
)

// Saved is a session's last form: the provider, the model and what each
// field held (a file saved before drafts were typed holds the posted form,
// which form.Draft still reads).
type Saved struct {
	Provider string     `json:"provider"`
	Model    string     `json:"model"`
	Form     form.Draft `json:"form"`
	// Vars are the values of the form's variables (Input.Vars); nil
	// for a form that is sent as written.
	Vars map[string]string `json:"vars,omitempty"`
}

// Store keeps each session's last form in the data directory, one file
// per session (named by a hash of its id, mode 0600), so a reload, or a
// restart, brings the work back. Forms hold prompts, never keys.
type Store struct {
	dir string
	// MaxBytes bounds one saved form.
	MaxBytes int

	// written remembers, per file, a hash of what was last written and
	// when, so saving the same form again (every Run saves the form the
	// preview already saved) costs no file system work. locks serializes
	// the writes of one file, so the memory matches the file.
	mu      sync.Mutex
	written map[string]writtenFile
	locks   [64]sync.Mutex
	seed    maphash.Seed

	// pending holds the values saved and not yet written (by path): a
	// save returns at once and a writer goroutine, started when there is
	// something to write and gone when there is not, writes them after
	// writeDelay, each file once however often it was saved meanwhile
	// (a preview saves the form at every pause in typing). failed is a
	// write's error, returned by the next Put.
	pmu     sync.Mutex
	pending map[string][]byte
	writing bool
	idle    *sync.Cond
	failed  error
}

// writeDelay is how long a saved value waits for the next save of the
// same file before it is written.
const writeDelay = 50 * time.Millisecond

type writtenFile struct {
	sum [32]byte
	at  time.Time
}

// rewriteAfter is when an unchanged form is written again anyway, which
// keeps its file's age (the 30-day expiry) current.
const rewriteAfter = 24 * time.Hour

// maxRemembered bounds the memory of written files; past it the memory
// starts afresh (costing one rewrite per file).
const maxRemembered = 100_000

// Forms older than this are deleted at start-up (the cookie's lifetime).
const storeMaxAge = 30 * 24 * time.Hour

// OpenStore opens (creating) the store of forms under dataDir and deletes
// forms older than 30 days.
func OpenStore(dataDir string) (*Store, error) { return OpenNamed(dataDir, "drafts") }

// OpenNamed opens a store of another kind of per-session state (the
// compare view's panes, say) in its own directory under dataDir.
func OpenNamed(dataDir, name string) (*Store, error) {
	dir := filepath.Join(dataDir, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("drafts: %w", err)
	}
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > storeMaxAge {
				_ = os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
	st := &Store{dir: dir, MaxBytes: 4 << 20, written: map[string]writtenFile{}, seed: maphash.MakeSeed(), pending: map[string][]byte{}}
	st.idle = sync.NewCond(&st.pmu)
	return st, nil
}

func (s *Store) path(owner string) string {
	h := sha256.Sum256([]byte(owner))
	return filepath.Join(s.dir, hex.EncodeToString(h[:16])+".json")
}

// Save keeps owner's form, replacing the last (written to a temporary file
// and renamed, so a crash leaves the old or the new, never half; written
// within writeDelay, see Put).
func (s *Store) Save(owner string, d Saved) error { return s.Put(owner, d) }

// Put keeps owner's value v (JSON), replacing the last. It does not wait
// for the file: Get sees the value at once, the file has it within
// writeDelay (Flush waits for it). A write that failed is reported by the
// next Put.
func (s *Store) Put(owner string, v any) error {
	if s == nil || owner == "" {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("drafts: %w", err)
	}
	if len(b) > s.MaxBytes {
		return errors.New("drafts: the form is too large to keep")
	}
	path := s.path(owner)
	s.pmu.Lock()
	defer s.pmu.Unlock()
	err, s.failed = s.failed, nil
	if _, queued := s.pending[path]; !queued {
		s.mu.Lock()
		last, ok := s.written[path]
		s.mu.Unlock()
		if ok && last.sum == sha256.Sum256(b) && time.Since(last.at) < rewriteAfter {
			return err // the file has it already
		}
	}
	s.pending[path] = b
	if !s.writing {
		s.writing = true
		go s.writePending()
	}
	return err
}

// writePending writes what is pending, after writeDelay, until nothing is.
func (s *Store) writePending() {
	for {
		time.Sleep(writeDelay)
		s.pmu.Lock()
		batch := s.pending
		if len(batch) == 0 {
			s.writing = false
			s.idle.Broadcast()
			s.pmu.Unlock()
			return
		}
		s.pending = map[string][]byte{}
		s.pmu.Unlock()
		for path, b := range batch {
			s.writeFile(path, b)
		}
	}
}

// writeFile writes b to the file at path and remembers it; an error is
// kept for the next Put.
func (s *Store) writeFile(path string, b []byte) {
	lock := s.lockOf(path)
	lock.Lock()
	defer lock.Unlock()
	if err := s.write(path, b); err != nil {
		s.forget(path)
		s.pmu.Lock()
		s.failed = err
		s.pmu.Unlock()
		return
	}
	s.mu.Lock()
	if len(s.written) >= maxRemembered {
		clear(s.written)
	}
	s.written[path] = writtenFile{sum: sha256.Sum256(b), at: time.Now()}
	s.mu.Unlock()
}

// Flush waits until every value saved so far is in its file.
func (s *Store) Flush() {
	if s == nil {
		return
	}
	s.pmu.Lock()
	for s.writing {
		s.idle.Wait()
	}
	s.pmu.Unlock()
}

// lockOf is the lock of the file at path (one of 64, by a hash of it).
func (s *Store) lockOf(path string) *sync.Mutex {
	return &s.locks[maphash.String(s.seed, path)%uint64(len(s.locks))]
}

func (s *Store) forget(path string) {
	s.mu.Lock()
	delete(s.written, path)
	s.mu.Unlock()
}

// write replaces the file at path with b through a temporary file.
func (s *Store) write(path string, b []byte) error {
	tmp, err := os.CreateTemp(s.dir, ".draft-*")
	if err != nil {
		return fmt.Errorf("drafts: %w", err)
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("drafts: %w", errors.Join(werr, cerr))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("drafts: %w", err)
	}
	return nil
}

// Load returns owner's last form.
func (s *Store) Load(owner string) (Saved, bool) {
	var d Saved
	if !s.Get(owner, &d) {
		return Saved{}, false
	}
	return d, true
}

// Get reads owner's value into v; false when there is none.
func (s *Store) Get(owner string, v any) bool {
	if s == nil || owner == "" {
		return false
	}
	path := s.path(owner)
	s.pmu.Lock()
	b, queued := s.pending[path]
	s.pmu.Unlock()
	if !queued {
		var err error
		if b, err = os.ReadFile(path); err != nil {
			return false
		}
	}
	return json.Unmarshal(b, v) == nil
}
