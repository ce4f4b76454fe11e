package draft

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/playground-dev/playground/web/account"
	"github.com/playground-dev/playground/web/catalog"
	formpkg "github.com/playground-dev/playground/web/form"
)

func TestKeyPrecedence(t *testing.T) {
	base := newService(t, map[string]string{"OPENAI_API_KEY": "sk-operator", "MY_MINE_API_KEY": "sk-operator-mine"})
	acct := account.Account{Providers: []account.Provider{{ID: "my-1", Name: "Mine", BaseURL: "https://mine.example/v1", Styles: []catalog.Style{catalog.Chat}}}}
	cat := account.Catalog(base.Catalog, acct, func(account.Provider) ([]string, error) { return []string{"m"}, nil })
	mine, _ := cat.Provider("my-1")
	openai, _ := cat.Provider("openai")
	sim, _ := cat.Provider("sim")
	evolink, _ := cat.Provider("evolink")
	if mine.APIKeyEnv != "MY_MINE_API_KEY" {
		t.Fatalf("the test needs the added provider's variable to exist in the environment, got %s", mine.APIKeyEnv)
	}
	tests := []struct {
		name    string
		keys    map[string]string
		p       *catalog.Provider
		wantKey string
		wantSrc KeySource
	}{
		{"operator key when the session has none", nil, openai, "sk-operator", KeyOperator},
		{"session key first", map[string]string{"openai": "sk-session"}, openai, "sk-session", KeySession},
		{"no key at all", nil, evolink, "", KeyNone},
		{"simulator needs none", nil, sim, SimulatorKey, KeySimulator},
		// An added provider must never get the operator's key, even when
		// its curl variable happens to name one in the environment.
		{"added provider never reads the environment", nil, mine, "", KeyNone},
		{"added provider with the session's key", map[string]string{"my-1": "sk-mine"}, mine, "sk-mine", KeySession},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base.With(cat, tt.keys)
			key, src := s.key(tt.p)
			if key != tt.wantKey || src != tt.wantSrc {
				t.Fatalf("key %q from %q, want %q from %q", key, src, tt.wantKey, tt.wantSrc)
			}
		})
	}
}

func TestSpecUsesSessionKeyAndMarksAddedProvidersUntrusted(t *testing.T) {
	base := newService(t, map[string]string{"OPENAI_API_KEY": "sk-operator"})
	acct := account.Account{Providers: []account.Provider{{ID: "my-1", Name: "Mine", BaseURL: "https://mine.example/v1", Styles: []catalog.Style{catalog.Chat}}}}
	cat := account.Catalog(base.Catalog, acct, func(account.Provider) ([]string, error) { return []string{"gpt-4o-mini"}, nil })
	s := base.With(cat, map[string]string{"my-1": "sk-mine-123456789", "openai": "sk-session-openai"})

	r := s.Prepare(Input{Provider: "my-1", Model: "gpt-4o-mini"})
	if r.KeySource != KeySession || r.KeyMask != "••••6789" {
		t.Errorf("source %q mask %q", r.KeySource, r.KeyMask)
	}
	if !strings.Contains(r.Curl, "https://mine.example/v1/chat/completions") || !strings.Contains(r.Curl, "$MY_MINE_API_KEY") || strings.Contains(r.Curl, "sk-mine") {
		t.Errorf("curl:\n%s", r.Curl)
	}
	spec, err := s.Spec(r, "owner")
	if err != nil || spec.Key != "sk-mine-123456789" || !spec.Untrusted {
		t.Fatalf("spec key %q untrusted %v err %v", spec.Key, spec.Untrusted, err)
	}
	r = s.Prepare(Input{Provider: "openai", Model: "gpt-4o-mini"})
	spec, err = s.Spec(r, "owner")
	if err != nil || spec.Key != "sk-session-openai" || spec.Untrusted || !strings.Contains(spec.KeyHint, "Settings") {
		t.Fatalf("spec key %q untrusted %v hint %q err %v", spec.Key, spec.Untrusted, spec.KeyHint, err)
	}
	// Without a session key for the added provider, no run.
	r = base.With(cat, nil).Prepare(Input{Provider: "my-1", Model: "gpt-4o-mini"})
	if _, err := base.With(cat, nil).Spec(r, "owner"); err == nil || !strings.Contains(err.Error(), "No API key for Mine") {
		t.Fatalf("err %v", err)
	}
}

func TestStoreKeepsLastForm(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Load("owner-a"); ok {
		t.Fatal("a fresh store has a form")
	}
	saved := Saved{Provider: "evolink", Model: "gpt-5.4", Form: formpkg.Decode(map[string][]string{"messages.content": {"a prompt"}, "temperature": {"0.3"}})}
	if err := st.Save("owner-a", saved); err != nil {
		t.Fatal(err)
	}
	got, ok := st.Load("owner-a")
	if !ok || got.Provider != "evolink" || got.Form.Values().Get("temperature") != "0.3" {
		t.Fatalf("loaded %+v", got)
	}
	if _, ok := st.Load("owner-b"); ok {
		t.Fatal("another session sees the form")
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "drafts"))
	for _, e := range entries {
		info, _ := e.Info()
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v", e.Name(), info.Mode().Perm())
		}
		if strings.Contains(e.Name(), "owner") {
			t.Errorf("file name %s shows the session id", e.Name())
		}
	}
	st.MaxBytes = 10
	if err := st.Save("owner-a", saved); err == nil {
		t.Fatal("an oversized form was kept")
	}
	if got, _ := st.Load("owner-a"); got.Form.Values().Get("temperature") != "0.3" {
		t.Fatal("a failed save lost the last form")
	}
}

func TestReloadCarriesSavedFormToAnotherModel(t *testing.T) {
	s := newService(t, nil)
	saved := Saved{Provider: "evolink", Model: "gpt-5.4", Form: formpkg.Decode(map[string][]string{
		"messages.role": {"system", "user"}, "messages.content": {"Be brief.", "Kept prompt"}, "temperature": {"0.3"}, "top_k": {"5"}})}
	r := s.Prepare(Input{Provider: "chatgw", Model: "gpt-5.4", Form: saved.Form, PrevProvider: saved.Provider, PrevModel: saved.Model})
	if r.Form.Values().Get("temperature") != "0.3" || !strings.Contains(strings.Join(r.Form.Values()["messages.content"], "|"), "Kept prompt") {
		t.Errorf("form %v", r.Form)
	}
	if _, ok := r.Form.Values()["top_k"]; ok {
		t.Error("a field the new model lacks was carried")
	}
}

// Saving the form that is already saved does no file system work; any
// change, including back to an earlier form, is written.
func TestStoreSkipsUnchangedForms(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := Saved{Provider: "sim", Model: "m", Form: formpkg.Decode(map[string][]string{"temperature": {"0.3"}})}
	b := Saved{Provider: "sim", Model: "m", Form: formpkg.Decode(map[string][]string{"temperature": {"0.9"}})}
	if err := st.Save("o", a); err != nil {
		t.Fatal(err)
	}
	st.Flush()
	file := st.path("o")
	// A file changed behind the store's back shows whether Save wrote.
	mark := func() { os.WriteFile(file, []byte(`{"provider":"marked"}`), 0o600) }
	mark()
	if err := st.Save("o", a); err != nil {
		t.Fatal(err)
	}
	st.Flush()
	if got, _ := st.Load("o"); got.Provider != "marked" {
		t.Fatalf("an unchanged form was written again: %+v", got)
	}
	for _, next := range []Saved{b, a} {
		if err := st.Save("o", next); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.Load("o"); got.Form.Values().Get("temperature") != next.Form.Values().Get("temperature") {
			t.Fatalf("saved %v, loaded %+v", next.Form, got)
		}
	}
}

// TestStoreLoadsUntypedForm: a form file saved before drafts were typed
// holds the posted inputs; it loads as the draft they post, and is saved
// again typed.
func TestStoreLoadsUntypedForm(t *testing.T) {
	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	old := `{"provider":"sim","model":"seed002.gpt-5.4","form":{"temperature":["0.30"],"stream":["false","true"],` +
		`"messages.role":["system","user"],"messages.content":["Be brief.","Hi"],"messages.tool_calls":["",""],` +
		`"messages.tool_call_id":["",""],"messages.reasoning":["",""]}}`
	if err := os.WriteFile(st.path("o"), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	got, ok := st.Load("o")
	if !ok || got.Provider != "sim" || got.Form.Text("temperature") != "0.30" {
		t.Fatalf("loaded %+v", got)
	}
	want := []formpkg.MessageRow{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi"}}
	if rows := got.Form.MessageRows("messages"); !slices.Equal(rows, want) {
		t.Errorf("rows %+v", rows)
	}
	r := newService(t, nil).Prepare(Input{Provider: got.Provider, Model: got.Model, Form: got.Form})
	if r.Form.Text("stream") != "true" || r.Values["temperature"] != 0.3 || len(r.Errors) > 0 {
		t.Errorf("prepared %+v %v %v", r.Form, r.Values, r.Errors)
	}
	if err := st.Save("o", Saved{Provider: r.Provider.ID, Model: r.Model.ID, Form: r.Form}); err != nil {
		t.Fatal(err)
	}
	st.Flush()
	b, _ := os.ReadFile(st.path("o"))
	if !strings.Contains(string(b), `"temperature":{"text":"0.30"}`) || !strings.Contains(string(b), `"messages":{"messages":[{"role":"system","content":"Be brief."}`) {
		t.Errorf("saved again as %s", b)
	}
	if again, _ := st.Load("o"); !again.Form.Equal(r.Form) {
		t.Errorf("typed file reads back %+v, want %+v", again.Form, r.Form)
	}
}

// Saves return before the file is written: a reload (Get) sees the last
// at once, the file has it after Flush, and many saves in a row are one
// write.
func TestStoreWritesBehind(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		d := Saved{Provider: "sim", Model: "m", Form: formpkg.Decode(map[string][]string{"temperature": {fmt.Sprint(i)}})}
		if err := st.Save("o", d); err != nil {
			t.Fatal(err)
		}
		if got, ok := st.Load("o"); !ok || got.Form.Text("temperature") != fmt.Sprint(i) {
			t.Fatalf("after save %d Load gives %+v", i, got)
		}
	}
	st.Flush()
	again, err := OpenStore(dir) // as after a restart
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := again.Load("o"); !ok || got.Form.Text("temperature") != "19" {
		t.Fatalf("the file holds %+v", got)
	}
	if left, _ := filepath.Glob(filepath.Join(st.dir, ".draft-*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// A write that fails is reported by the next save.
func TestStoreReportsAFailedWrite(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(st.dir); err != nil {
		t.Fatal(err)
	}
	d := Saved{Provider: "sim", Model: "m"}
	if err := st.Save("o", d); err != nil {
		t.Fatalf("the first save: %v", err)
	}
	st.Flush()
	if err := st.Save("o", d); err == nil {
		t.Error("a failed write was not reported")
	}
	st.Flush()
}

// memRows is a database's rows for the store's tests.
type memRows struct {
	mu     sync.Mutex
	vals   map[string]string
	writes int
	fail   error
	shared bool
}

func (m *memRows) StateShared() bool { return m.shared }

func (m *memRows) ReadState(kind, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.vals[kind+"/"+key]
	return []byte(v), ok, nil
}

func (m *memRows) WriteState(kind string, vals map[string][]byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.writes++
	for k, v := range vals {
		m.vals[kind+"/"+k] = string(v)
	}
	return nil
}

// A store in a database keeps each session's value as a row, writes a
// burst of saves as one batch, still reads the file an earlier version
// wrote, and reports a failed write at the next save.
func TestStoreInRows(t *testing.T) {
	dir := t.TempDir()
	files, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := files.Save("old", Saved{Provider: "sim", Model: "from-a-file"}); err != nil {
		t.Fatal(err)
	}
	files.Flush()
	rows := &memRows{vals: map[string]string{}}
	st, err := OpenIn(rows, dir, "drafts")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := st.Load("old"); !ok || got.Model != "from-a-file" {
		t.Fatalf("the earlier file reads as %+v %v", got, ok)
	}
	for i := range 5 {
		for _, o := range []string{"a", "b", "c"} {
			if err := st.Save(o, Saved{Provider: "sim", Model: fmt.Sprint(o, i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	st.Flush()
	if rows.writes != 1 || len(rows.vals) != 3 {
		t.Errorf("%d writes of %d rows, want one batch of 3", rows.writes, len(rows.vals))
	}
	again, _ := OpenIn(rows, dir, "drafts")
	if got, ok := again.Load("b"); !ok || got.Model != "b4" {
		t.Errorf("after a restart b reads as %+v %v", got, ok)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "drafts", "*.json")); len(left) != 1 {
		t.Errorf("files %v: only the earlier one should be there", left)
	}
	rows.fail = errors.New("disk full")
	st.Save("a", Saved{Provider: "sim", Model: "kept"})
	st.Flush()
	if got, _ := st.Load("a"); got.Model != "kept" {
		t.Errorf("a value whose write failed reads as %+v", got)
	}
	rows.fail = nil
	if err := st.Save("b", Saved{Provider: "sim", Model: "next"}); err == nil {
		t.Error("a failed write was not reported")
	}
	st.Flush()
	if got, _ := again.Load("a"); got.Model != "kept" {
		t.Errorf("the value whose write failed was not written with the next batch: %+v", got)
	}
	if got, _ := again.Load("b"); got.Model != "next" {
		t.Errorf("after the failure the next save gives %+v", got)
	}
}

// heldRows holds its next write until released: the batch is then in
// flight, no longer pending and not yet in its row.
type heldRows struct {
	*memRows
	held, release chan struct{}
	once          sync.Once
}

func (h *heldRows) WriteState(kind string, vals map[string][]byte) error {
	h.once.Do(func() {
		close(h.held)
		<-h.release
	})
	return h.memRows.WriteState(kind, vals)
}

// While a batch is being written, Get returns its values, not the rows'
// older ones (the compare view's panes, read, changed and saved again at
// each edit, lost a pane so), and saving the value the row still holds
// is not taken for written.
func TestStoreGetsTheValueBeingWritten(t *testing.T) {
	rows := &heldRows{memRows: &memRows{vals: map[string]string{}}, held: make(chan struct{}), release: make(chan struct{})}
	st, err := OpenIn(rows.memRows, t.TempDir(), "compare")
	if err != nil {
		t.Fatal(err)
	}
	a, b := Saved{Provider: "sim", Model: "a"}, Saved{Provider: "sim", Model: "b"}
	if err := st.Save("o", a); err != nil {
		t.Fatal(err)
	}
	st.Flush()
	st.rows = rows
	if err := st.Save("o", b); err != nil {
		t.Fatal(err)
	}
	<-rows.held
	got, ok := st.Load("o")
	if err := st.Save("o", a); err != nil { // the row's value, again
		t.Fatal(err)
	}
	close(rows.release)
	st.Flush()
	if !ok || got.Model != "b" {
		t.Errorf("while b was being written Load gave %+v %v", got, ok)
	}
	again, _ := OpenIn(rows.memRows, t.TempDir(), "compare")
	if got, _ := again.Load("o"); got.Model != "a" {
		t.Errorf("the last save was a, the row holds %+v", got)
	}
}

// path is the file of owner's value.
func (s *Store) path(owner string) string { return s.file(key(owner)) }

// Two instances on one shared database: a form saved again on the first
// after the second saved another is written, though the first wrote the
// same form before (what it wrote last is not what the row holds).
func TestStoreSharedByInstances(t *testing.T) {
	rows := &memRows{vals: map[string]string{}, shared: true}
	a, err := OpenIn(rows, t.TempDir(), "drafts")
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenIn(rows, t.TempDir(), "drafts")
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		st    *Store
		model string
	}{{a, "x"}, {b, "y"}, {a, "x"}} {
		if err := step.st.Save("alice", Saved{Provider: "sim", Model: step.model}); err != nil {
			t.Fatal(err)
		}
		step.st.Flush()
		for _, other := range []*Store{a, b} {
			if got, _ := other.Load("alice"); got.Model != step.model {
				t.Fatalf("after %s was saved, an instance reads %q", step.model, got.Model)
			}
		}
	}
	// A save whose write failed is not kept to overwrite, later, a newer
	// one another instance wrote meanwhile.
	rows.fail = errors.New("database away")
	a.Save("alice", Saved{Provider: "sim", Model: "older"})
	a.Flush()
	rows.fail = nil
	b.Save("alice", Saved{Provider: "sim", Model: "newer"})
	b.Flush()
	a.Save("bob", Saved{Provider: "sim", Model: "other session"})
	a.Flush()
	for _, other := range []*Store{a, b} {
		if got, _ := other.Load("alice"); got.Model != "newer" {
			t.Fatalf("an instance reads %q, not the newer save", got.Model)
		}
	}
}
