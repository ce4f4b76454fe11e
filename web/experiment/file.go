package experiment

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/playground-dev/playground/web/checks"
)

// File is an experiment as written in its YAML (or JSON) file: the draft
// (a provider, a model and a request body as the API takes it, with
// {{variables}} in its texts), the panes (each a model and the
// parameters it sets itself), the cases, the checks and the repeats.
//
//	name: Capitals
//	provider: sim
//	model: seed001.gpt-5.4
//	request:
//	  messages:
//	    - {role: user, content: "The capital of {{country}}, in one word?"}
//	panes:
//	  - {params: {temperature: 0}}
//	  - {params: {temperature: 1.4}}
//	repeats: 2
//	cases:
//	  - {country: France, expected: Paris}
//	checks:
//	  - {type: contains, values: ["{{expected}}"]}
//	min_pass_rate: 0.8
type File struct {
	Name        string `json:"name,omitempty" yaml:"name,omitempty"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	// Provider and Model are the draft's (a catalog provider id and a
	// model id of it).
	Provider string `json:"provider" yaml:"provider"`
	Model    string `json:"model" yaml:"model"`
	// Request is the request body the draft sends, as the API's
	// reference writes it (model may be left out).
	Request map[string]any `json:"request" yaml:"request"`
	// Panes are the settings compared; none is one pane of the draft as
	// it is.
	Panes []Pane `json:"panes,omitempty" yaml:"panes,omitempty"`
	// Repeats is how many times each cell runs (1 to MaxRepeats; left
	// out, 1).
	Repeats int `json:"repeats,omitempty" yaml:"repeats,omitempty"`
	// Cases are the rows: inline (a list of maps, a column each), or the
	// path of a CSV, TSV or JSONL file beside the experiment file.
	Cases Cases `json:"cases,omitempty" yaml:"cases,omitempty"`
	// Checks are made on every answer; a case may add its own.
	Checks []checks.Check `json:"checks,omitempty" yaml:"checks,omitempty"`
	// MinPassRate (0 to 1) is the share of cells that must pass for the
	// experiment to pass; unset: every cell must.
	MinPassRate *float64 `json:"min_pass_rate,omitempty" yaml:"min_pass_rate,omitempty"`
	// Concurrency is how many runs go at once on one provider (default
	// DefaultPerProvider).
	Concurrency int `json:"concurrency,omitempty" yaml:"concurrency,omitempty"`

	// src is the file as parsed, for the lines of Load's errors.
	src fileNode
}

// Pane is one setting compared: its provider and model (the draft's when
// empty) and the parameters it sets itself, by body name.
type Pane struct {
	Name     string         `json:"name,omitempty" yaml:"name,omitempty"`
	Provider string         `json:"provider,omitempty" yaml:"provider,omitempty"`
	Model    string         `json:"model,omitempty" yaml:"model,omitempty"`
	Params   map[string]any `json:"params,omitempty" yaml:"params,omitempty"`
}

// Cases are the case rows inline, or the path of the file that has them.
type Cases struct {
	Path string
	Rows []Case
}

// Case is one inline row: the variables' values, and checks of its own.
type Case struct {
	Vars   map[string]string
	Checks []checks.Check
}

// Limits of a file.
const (
	MaxRepeats = 10
	MaxPanes   = 6
	MaxChecks  = 50
	// MaxFileBytes bounds an experiment file (its cases file has the case
	// table's own limits).
	MaxFileBytes = 4 << 20
)

// FileError is a bad experiment file: where (the line, 0 when unknown,
// and the field's path such as panes[1].params.temperature) and what.
type FileError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *FileError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// fileNode keeps the parsed YAML beside the File, to say on which line a
// field is.
type fileNode struct {
	root *yaml.Node
	name string
}

// errAt is a FileError for the field at path (dotted, with [i] indices).
func (n fileNode) errAt(path, format string, a ...any) *FileError {
	return &FileError{File: n.name, Line: n.line(path), Field: path, Msg: fmt.Sprintf(format, a...)}
}

// line is the line of the field at path, or of its nearest parent.
func (n fileNode) line(path string) int {
	node := n.root
	if node == nil {
		return 0
	}
	if node.Kind == yaml.DocumentNode && len(node.Content) > 0 {
		node = node.Content[0]
	}
	line := node.Line
	for _, seg := range splitPath(path) {
		next := child(node, seg)
		if next == nil {
			break
		}
		node, line = next, next.Line
	}
	return line
}

// has says the file writes the top-level key (a 0 written differs from
// one left out).
func (n fileNode) has(key string) bool {
	node := n.root
	if node != nil && node.Kind == yaml.DocumentNode && len(node.Content) > 0 {
		node = node.Content[0]
	}
	return node != nil && node.Kind == yaml.MappingNode && hasKey(node, key)
}

// unknownField is yaml's "field colour not found in type experiment.Pane".
var unknownField = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)

// fieldsOf are the fields of the file and of a pane, for an unknown
// key's message.
var fieldsOf = map[string]struct{ what, fields string }{
	"experiment.File": {"an experiment file", yamlFields(reflect.TypeFor[File]())},
	"experiment.Pane": {"a pane", yamlFields(reflect.TypeFor[Pane]())},
}

// yamlFields are the YAML names of t's fields, comma-separated.
func yamlFields(t reflect.Type) string {
	var names []string
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); name != "" {
			names = append(names, name)
		}
	}
	return strings.Join(names, ", ")
}

// fieldOf names the field of a YAML error that has only a line (an
// unknown key, a value of the wrong type): the key on that line, the
// unknown one by its name.
func (n fileNode) fieldOf(fe *FileError) *FileError {
	if fe.Field != "" || fe.Line == 0 || n.root == nil {
		return fe
	}
	key := ""
	if m := unknownField.FindStringSubmatch(fe.Msg); m != nil {
		key = m[1]
		if f, ok := fieldsOf[m[2]]; ok {
			fe.Msg = fmt.Sprintf("%q is not a field of %s (the fields are %s)", m[1], f.what, f.fields)
		}
	} else if m := quotedUnknown.FindStringSubmatch(fe.Msg); m != nil {
		key = m[1] // a check's unknown field
	}
	fe.Field = pathAtLine(n.root, "", fe.Line, key)
	return fe
}

// quotedUnknown is a check's `"colour" is not a field of a check …`.
var quotedUnknown = regexp.MustCompile(`^"([^"]+)" is not a field`)

// pathAtLine is the path of the first key on line (named key, when not
// empty) under node, or "".
func pathAtLine(node *yaml.Node, path string, line int, key string) string {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch node.Kind {
	case yaml.DocumentNode:
		for _, c := range node.Content {
			if p := pathAtLine(c, path, line, key); p != "" {
				return p
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, v := node.Content[i], node.Content[i+1]
			if k.Line == line && (key == "" && v.Kind == yaml.ScalarNode || k.Value == key) {
				return join(k.Value)
			}
			if p := pathAtLine(v, join(k.Value), line, key); p != "" {
				return p
			}
		}
	case yaml.SequenceNode:
		for i, c := range node.Content {
			if p := pathAtLine(c, fmt.Sprintf("%s[%d]", path, i), line, key); p != "" {
				return p
			}
		}
	}
	return ""
}

// splitPath splits "panes[1].params.temperature" into panes, 1, params,
// temperature.
func splitPath(p string) []string {
	var out []string
	for _, part := range strings.Split(p, ".") {
		for part != "" {
			i := strings.IndexByte(part, '[')
			if i < 0 {
				out = append(out, part)
				break
			}
			if i > 0 {
				out = append(out, part[:i])
			}
			j := strings.IndexByte(part[i:], ']')
			if j < 0 {
				out = append(out, part[i+1:])
				break
			}
			out = append(out, part[i+1:i+j])
			part = part[i+j+1:]
		}
	}
	return out
}

// child is the value of key seg of a mapping, or item seg of a sequence.
func child(n *yaml.Node, seg string) *yaml.Node {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == seg {
				// The key's line: a value on the lines after it (a list, a
				// map) is still said at its key.
				v := *n.Content[i+1]
				if v.Kind != yaml.ScalarNode {
					v.Line = n.Content[i].Line
				}
				return &v
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i]
		}
	}
	return nil
}

// ParseFile reads an experiment file (YAML or JSON; name is said in its
// errors). It checks the file's own shape: known fields, the limits, the
// checks; what the catalog must say (the provider, model and parameters)
// is checked by Load.
func ParseFile(name string, data []byte) (*File, error) {
	if len(data) > MaxFileBytes {
		return nil, &FileError{File: name, Msg: fmt.Sprintf("the file is %d bytes, more than the %d an experiment may have", len(data), MaxFileBytes)}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(name, err)
	}
	n := fileNode{root: &root, name: name}
	if root.Kind == 0 {
		return nil, &FileError{File: name, Msg: "the file is empty"}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			if fe.File == "" {
				fe.File = name
			}
			return nil, fe
		}
		return nil, n.fieldOf(yamlError(name, err))
	}
	switch {
	case f.Provider == "":
		return nil, n.errAt("provider", "missing: the provider the draft runs on (a catalog provider's id, such as sim)")
	case f.Model == "":
		return nil, n.errAt("model", "missing: the model the draft runs on")
	case f.Request == nil:
		return nil, n.errAt("request", "missing: the request body, with the messages or the prompt")
	case f.Repeats < 0 || f.Repeats > MaxRepeats || (f.Repeats == 0 && n.has("repeats")):
		return nil, n.errAt("repeats", "%d: repeats are 1 to %d", f.Repeats, MaxRepeats)
	case len(f.Panes) > MaxPanes:
		return nil, n.errAt("panes", "%d panes: an experiment has at most %d", len(f.Panes), MaxPanes)
	case len(f.Checks) > MaxChecks:
		return nil, n.errAt("checks", "%d checks: at most %d", len(f.Checks), MaxChecks)
	case f.MinPassRate != nil && (*f.MinPassRate < 0 || *f.MinPassRate > 1 || math.IsNaN(*f.MinPassRate)):
		return nil, n.errAt("min_pass_rate", "%v: a pass rate is from 0 to 1", *f.MinPassRate)
	case f.Concurrency < 0 || f.Concurrency > MaxPerProvider || (f.Concurrency == 0 && n.has("concurrency")):
		return nil, n.errAt("concurrency", "%d: from 1 to %d runs at once per provider", f.Concurrency, MaxPerProvider)
	}
	if err := checks.Validate(f.Checks); err != nil {
		return nil, n.checkError("checks", err)
	}
	for i, c := range f.Cases.Rows {
		if err := checks.Validate(c.Checks); err != nil {
			return nil, n.checkError(fmt.Sprintf("cases[%d].checks", i), err)
		}
	}
	f.src = n
	return &f, nil
}

// checkError places a checks.Validate error ("checks[2].pattern: …") at
// its line under prefix.
func (n fileNode) checkError(prefix string, err error) *FileError {
	msg := err.Error()
	field := prefix
	// Validate names the check as checks[i].field: keep that path.
	if rest, ok := strings.CutPrefix(msg, "checks"); ok {
		if i := strings.Index(rest, ": "); i >= 0 {
			field, msg = prefix+rest[:i], rest[i+2:]
		}
	}
	return &FileError{File: n.name, Line: n.line(field), Field: field, Msg: msg}
}

// yamlError is a YAML syntax or type error as a FileError, its line read
// from yaml's "yaml: line N: …".
func yamlError(name string, err error) *FileError {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				line, msg = n, strings.TrimSpace(rest[i+1:])
			}
		}
	}
	return &FileError{File: name, Line: line, Msg: msg}
}

// UnmarshalYAML reads cases as a path (a string) or a list of rows, each
// a map of values, or {vars: {...}, checks: [...]}.
func (c *Cases) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		c.Path = n.Value
		return nil
	case yaml.SequenceNode:
		for i, item := range n.Content {
			row, err := caseOf(item)
			if err != nil {
				return &FileError{Line: item.Line, Field: fmt.Sprintf("cases[%d]", i), Msg: err.Error()}
			}
			c.Rows = append(c.Rows, row)
		}
		return nil
	}
	return &FileError{Line: n.Line, Field: "cases", Msg: "cases are a list of rows or the path of a CSV, TSV or JSONL file"}
}

// MarshalYAML writes cases back as they are read.
func (c Cases) MarshalYAML() (any, error) {
	if c.Path != "" {
		return c.Path, nil
	}
	out := make([]any, len(c.Rows))
	for i, r := range c.Rows {
		if len(r.Checks) == 0 {
			out[i] = r.Vars
		} else {
			out[i] = map[string]any{"vars": r.Vars, "checks": r.Checks}
		}
	}
	return out, nil
}

// caseOf reads one inline row.
func caseOf(n *yaml.Node) (Case, error) {
	if n.Kind != yaml.MappingNode {
		return Case{}, errors.New("a case is a map of its variables' values")
	}
	var c Case
	vars := n
	if hasKey(n, "vars") {
		for i := 0; i+1 < len(n.Content); i += 2 {
			switch k, v := n.Content[i].Value, n.Content[i+1]; k {
			case "vars":
				vars = v
			case "checks":
				if err := v.Decode(&c.Checks); err != nil {
					return Case{}, err
				}
			default:
				return Case{}, fmt.Errorf("%q: a case with vars has only vars and checks", k)
			}
		}
		if vars.Kind != yaml.MappingNode {
			return Case{}, errors.New("vars: a map of the variables' values")
		}
	}
	c.Vars = map[string]string{}
	for i := 0; i+1 < len(vars.Content); i += 2 {
		k, v := vars.Content[i].Value, vars.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return Case{}, fmt.Errorf("%s: a variable's value is a string, number or boolean", k)
		}
		c.Vars[k] = v.Value
	}
	return c, nil
}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}
