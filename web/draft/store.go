package draft

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
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

// Store keeps each session's last form, so a reload, or a restart, brings
// the work back: in the database's rows (OpenIn: one row per session, by a
// hash of its id) or in the data directory (OpenNamed: one file per
// session, named by the hash, mode 0600). Forms hold prompts, never keys.
type Store struct {
	dir string
	// rows and kind, when rows is set, keep the values in a database;
	// files in dir are then only read (those written before).
	rows Rows
	kind string
	// shared: other instances write the same rows (Rows.StateShared), so what
	// this one wrote last may not be what the row holds: every save is
	// written.
	shared bool
	// MaxBytes bounds one saved form.
	MaxBytes int

	// written remembers, per key, a hash of what was last written and
	// when, so saving the same form again (every Run saves the form the
	// preview already saved) costs no write. Only the writer goroutine
	// writes.
	mu      sync.Mutex
	written map[string]writtenFile

	// pending holds the values saved and not yet written (by key): a
	// save returns at once and a writer goroutine, started when there is
	// something to write and gone when there is not, writes them after
	// writeDelay, each file once however often it was saved meanwhile
	// (a preview saves the form at every pause in typing). failed is a
	// write's error, returned by the next Put; unwritten holds the values
	// it did not write, still what Get returns, written again with the
	// next Put's batch (not retried on their own: a database that is down
	// would keep the writer, and Flush at shutdown, waiting). inflight is
	// the batch being written: no longer pending, not yet in its file or
	// row, so Get returns it and Put does not take it for written.
	pmu       sync.Mutex
	pending   map[string][]byte
	inflight  map[string][]byte
	unwritten map[string][]byte
	writing   bool
	idle      *sync.Cond
	failed    error
}

// Rows keeps sessions' values in a database (history.Store), one row per
// kind of value and session key: a row costs the database's writer a
// statement in a transaction it makes anyway, where a file costs the file
// system an inode (0.35 to 1.1 ms of system time per new file on this
// project's test machine: docs/performance.md).
type Rows interface {
	ReadState(kind, key string) ([]byte, bool, error)
	WriteState(kind string, vals map[string][]byte) error
	// StateShared reports whether other instances write the same rows
	// (a database several playgrounds share).
	StateShared() bool
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
	st := &Store{dir: dir, MaxBytes: 4 << 20, written: map[string]writtenFile{}, pending: map[string][]byte{}}
	st.idle = sync.NewCond(&st.pmu)
	return st, nil
}

// OpenIn opens a store of kind name whose values are rows of rows; the
// files an earlier version kept under dataDir/name are still read (and
// those older than 30 days deleted) until each session saves again.
func OpenIn(rows Rows, dataDir, name string) (*Store, error) {
	st, err := OpenNamed(dataDir, name)
	if err != nil {
		return nil, err
	}
	st.rows, st.kind, st.shared = rows, name, rows.StateShared()
	return st, nil
}

// key is owner's key: a hash of the session's id, which is not kept.
func key(owner string) string {
	h := sha256.Sum256([]byte(owner))
	return hex.EncodeToString(h[:16])
}

// file is the file of the value of key.
func (s *Store) file(key string) string { return filepath.Join(s.dir, key+".json") }

// Save keeps owner's form, replacing the last (written to a temporary file
// and renamed, so a crash leaves the old or the new, never half; written
// within writeDelay, see Put).
func (s *Store) Save(owner string, d Saved) error { return s.Put(owner, d) }

// Put keeps owner's value v (JSON), replacing the last. It does not wait
// for the file: Get sees the value at once, the file or row has it within
// writeDelay (Flush waits for it), and so do the other instances on a
// shared database. A write that failed is reported by the next Put.
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
	k := key(owner)
	s.pmu.Lock()
	defer s.pmu.Unlock()
	err, s.failed = s.failed, nil
	_, queued := s.pending[k]
	if _, writing := s.inflight[k]; !queued && !writing && !s.shared {
		s.mu.Lock()
		last, ok := s.written[k]
		s.mu.Unlock()
		if ok && last.sum == sha256.Sum256(b) && time.Since(last.at) < rewriteAfter {
			return err // the file or row has it already
		}
	}
	s.pending[k] = b
	for uk, ub := range s.unwritten {
		if _, newer := s.pending[uk]; !newer {
			s.pending[uk] = ub
		}
	}
	s.unwritten = nil
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
		s.pending, s.inflight = map[string][]byte{}, batch
		s.pmu.Unlock()
		s.writeBatch(batch)
		s.pmu.Lock()
		s.inflight = nil
		s.pmu.Unlock()
	}
}

// writeBatch writes batch: its values are then written (remembered) or
// unwritten (fail).
func (s *Store) writeBatch(batch map[string][]byte) {
	if s.rows != nil {
		// One transaction for the batch.
		if err := s.rows.WriteState(s.kind, batch); err != nil {
			s.fail(fmt.Errorf("drafts: %w", err), batch)
			return
		}
		for k, b := range batch {
			s.remember(k, b)
		}
		return
	}
	for k, b := range batch {
		if err := s.write(s.file(k), b); err != nil {
			s.fail(err, map[string][]byte{k: b})
			continue
		}
		s.remember(k, b)
	}
}

// remember notes that key's value b is written.
func (s *Store) remember(key string, b []byte) {
	s.mu.Lock()
	if len(s.written) >= maxRemembered {
		clear(s.written)
	}
	s.written[key] = writtenFile{sum: sha256.Sum256(b), at: time.Now()}
	s.mu.Unlock()
}

// fail keeps a write's error for the next Put, and the values it did not
// write (unwritten) for Get and the next Put's batch. On a shared
// database they are not kept: another instance may write a newer value
// meanwhile, which this older one must not overwrite (the session's next
// save, a whole form, writes it again anyway).
func (s *Store) fail(err error, batch map[string][]byte) {
	for k := range batch {
		s.forget(k)
	}
	s.pmu.Lock()
	s.failed = err
	if s.shared {
		s.pmu.Unlock()
		return
	}
	if s.unwritten == nil {
		s.unwritten = map[string][]byte{}
	}
	for k, b := range batch {
		if _, newer := s.pending[k]; !newer {
			s.unwritten[k] = b
		}
	}
	s.pmu.Unlock()
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

func (s *Store) forget(key string) {
	s.mu.Lock()
	delete(s.written, key)
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
	k := key(owner)
	s.pmu.Lock()
	b, queued := s.pending[k]
	if !queued {
		b, queued = s.inflight[k]
	}
	if !queued {
		b, queued = s.unwritten[k]
	}
	s.pmu.Unlock()
	if !queued {
		var ok bool
		if s.rows != nil {
			var err error
			if b, ok, err = s.rows.ReadState(s.kind, k); err != nil {
				return false
			}
		}
		if !ok {
			var err error
			if b, err = os.ReadFile(s.file(k)); err != nil {
				return false
			}
		}
	}
	return json.Unmarshal(b, v) == nil
}
