package catalog

import (
	"bytes"
	"cmp"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed default.json
var defaultJSON []byte

// document is the on-disk shape of a catalog file.
type document struct {
	Providers []*Provider        `json:"providers"`
	Schemas   map[string][]Field `json:"schemas,omitempty"`
	// GenericSchemas names, per API style, the schema a model gets when
	// the catalog does not know it (models listed by a person's provider).
	GenericSchemas map[Style]string `json:"generic_schemas,omitempty"`
	Models         []*Model         `json:"models"`
}

// Default loads the embedded default catalog.
func Default() (*Catalog, error) {
	d, err := parse("default.json", defaultJSON)
	if err != nil {
		return nil, err
	}
	return build("default.json", d)
}

// DefaultJSON returns the embedded default catalog document.
func DefaultJSON() []byte { return bytes.Clone(defaultJSON) }

// Load returns the default catalog with the operator's file (if path is not
// empty) merged over it. Entries in the file with an id the default already
// has replace it. Errors name the file and the field path.
func Load(path string) (*Catalog, error) {
	base, err := parse("default.json", defaultJSON)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return build("default.json", base)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	name := filepath.Base(path)
	extra, err := parse(name, data)
	if err != nil {
		return nil, err
	}
	// The default's schemas are expanded first: a model of the file may
	// name one that includes another (chat-openai includes
	// chat-openai-compatible).
	if err := resolveSchemas("default.json", base, nil); err != nil {
		return nil, err
	}
	if err := resolveSchemas(name, extra, base.Schemas); err != nil {
		return nil, err
	}
	if err := validateEntries(name, extra); err != nil {
		return nil, err
	}
	return build(name, merge(base, extra))
}

// Parse reads one catalog document (JSON, or YAML when name ends in .yaml or
// .yml) and validates it on its own. It is exported for tests and tools.
func Parse(name string, data []byte) (*Catalog, error) {
	d, err := parse(name, data)
	if err != nil {
		return nil, err
	}
	return build(name, d)
}

func parse(name string, data []byte) (*document, error) {
	if ext := strings.ToLower(filepath.Ext(name)); ext == ".yaml" || ext == ".yml" {
		// YAML 1.2 (yaml/v3), so that a value such as n or no stays a string.
		var doc any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("catalog %s: %w", name, err)
		}
		j, err := json.Marshal(doc)
		if err != nil {
			return nil, fmt.Errorf("catalog %s: %w", name, err)
		}
		data = j
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d document
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("catalog %s: %s", name, describeJSONError(data, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("catalog %s: unexpected data after the top-level object", name)
	}
	return &d, nil
}

// describeJSONError turns a decoding error into "line L, column C: ..." with
// the field path where encoding/json knows it.
func describeJSONError(data []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		l, c := lineCol(data, syn.Offset)
		return fmt.Sprintf("line %d, column %d: %s", l, c, syn.Error())
	case errors.As(err, &typ):
		l, c := lineCol(data, typ.Offset)
		return fmt.Sprintf("line %d, column %d: %s: %s is not a %s", l, c, typ.Field, typ.Value, typ.Type)
	}
	// Unknown fields: `json: unknown field "x"`; the decoder gives no offset.
	return strings.TrimPrefix(err.Error(), "json: ")
}

func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

func build(name string, d *document) (*Catalog, error) {
	if err := resolveSchemas(name, d, nil); err != nil {
		return nil, err
	}
	if err := validateEntries(name, d); err != nil {
		return nil, err
	}
	c := &Catalog{Providers: d.Providers, Models: d.Models, generic: map[Style][]Field{}}
	if err := c.check(name); err != nil {
		return nil, err
	}
	for style, schema := range d.GenericSchemas {
		fields, ok := d.Schemas[schema]
		if !style.Valid() || !ok {
			return nil, fmt.Errorf("catalog %s: generic_schemas.%s: want an API style naming a schema (have: %s)", name, style, schemaNames(d))
		}
		if err := validateSchema("generic_schemas."+string(style), style, fields); err != nil {
			return nil, fmt.Errorf("catalog %s: %w", name, err)
		}
		c.generic[style] = fields
	}
	for _, m := range c.Models {
		m.Schema.complete()
	}
	c.index()
	return c, nil
}

// resolveSchemas replaces schema names with their fields; names are looked
// up in the document first, then in fallback (the default's schemas).
func resolveSchemas(name string, d *document, fallback map[string][]Field) error {
	for sname, fields := range d.Schemas {
		expanded, err := expandIncludes(fields, d.Schemas, fallback, 0)
		if err != nil {
			return fmt.Errorf("catalog %s: form_schemas.%s: %w", name, sname, err)
		}
		d.Schemas[sname] = expanded
	}
	for i, m := range d.Models {
		if m == nil || m.Schema.Name == "" {
			continue
		}
		fields, ok := d.Schemas[m.Schema.Name]
		if !ok {
			fields, ok = fallback[m.Schema.Name]
		}
		if !ok {
			return fmt.Errorf("catalog %s: %s", name, errorf(fmt.Sprintf("models[%d].form_schema", i),
				"no schema named %q (have: %s)", m.Schema.Name, schemaNames(d)))
		}
		m.Schema.Fields = fields
	}
	return nil
}

// expandIncludes replaces each {"include": NAME} entry of a field list with
// the fields of that schema (from the same document, else fallback), so a
// schema can extend another without repeating it.
func expandIncludes(fields []Field, own, fallback map[string][]Field, depth int) ([]Field, error) {
	if depth > 4 {
		return nil, fmt.Errorf("includes nest more than 4 deep")
	}
	var out []Field
	for _, f := range fields {
		if f.Include == "" {
			out = append(out, f)
			continue
		}
		if f.Name != "" || f.Type != "" {
			return nil, fmt.Errorf("an include entry has only \"include\" (got name %q)", f.Name)
		}
		inc, ok := own[f.Include]
		if !ok {
			inc, ok = fallback[f.Include]
		}
		if !ok {
			return nil, fmt.Errorf("includes %q, which is no schema", f.Include)
		}
		more, err := expandIncludes(inc, own, fallback, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	return out, nil
}

var (
	idRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]*$`)
	envRE = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)
	// Field names become form input names and body keys.
	fieldRE    = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	targetRE   = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)
	currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
)

// validateEntries checks each provider and model on its own.
func validateEntries(name string, d *document) error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("catalog %s: %w", name, err))
		}
	}
	for i, p := range d.Providers {
		add(validateProvider(fmt.Sprintf("providers[%d]", i), p))
	}
	for i, m := range d.Models {
		add(validateModel(fmt.Sprintf("models[%d]", i), m))
	}
	return errors.Join(errs...)
}

// check validates references across the whole catalog.
func (c *Catalog) check(name string) error {
	var errs []error
	seenP := map[string]bool{}
	for i, p := range c.Providers {
		if seenP[p.ID] {
			errs = append(errs, fmt.Errorf("catalog %s: providers[%d].id: duplicate id %q", name, i, p.ID))
		}
		seenP[p.ID] = true
	}
	seenM := map[string]bool{}
	byID := map[string]*Provider{}
	for _, p := range c.Providers {
		byID[p.ID] = p
	}
	for i, m := range c.Models {
		path := fmt.Sprintf("models[%d]", i)
		p, ok := byID[m.Provider]
		if !ok {
			errs = append(errs, fmt.Errorf("catalog %s: %s.provider: unknown provider %q", name, path, m.Provider))
			continue
		}
		if !p.Supports(m.Style) {
			errs = append(errs, fmt.Errorf("catalog %s: %s.api_style: provider %q does not list %q in api_styles", name, path, p.ID, m.Style))
		}
		if m.SimShape != "" && !p.Simulated {
			errs = append(errs, fmt.Errorf("catalog %s: %s.sim_shape: only the simulator's models have one (provider %q is not simulated)", name, path, p.ID))
		}
		if seenM[m.Key()] {
			errs = append(errs, fmt.Errorf("catalog %s: %s.id: duplicate model %q for provider %q", name, path, m.ID, m.Provider))
		}
		seenM[m.Key()] = true
	}
	if len(c.Providers) == 0 {
		errs = append(errs, fmt.Errorf("catalog %s: providers: at least one provider is needed", name))
	}
	return errors.Join(errs...)
}

func validateProvider(path string, p *Provider) error {
	if p == nil {
		return errorf(path, "must be an object")
	}
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, errorf(path+"."+field, format, args...))
	}
	switch {
	case !idRE.MatchString(p.ID):
		bad("id", "must be letters, digits, '.', '_', ':' or '-' (got %q)", p.ID)
	case strings.HasPrefix(p.ID, OwnProviderPrefix):
		bad("id", "must not start with %s, which names the providers people add (got %q)", OwnProviderPrefix, p.ID)
	}
	if strings.TrimSpace(p.Name) == "" {
		bad("name", "is required")
	}
	if p.BaseURL == "" && p.BaseURLEnv == "" {
		bad("base_url", "is required (or set base_url_env)")
	}
	if p.BaseURL != "" {
		if err := checkBaseURL(p.BaseURL); err != nil {
			bad("base_url", "%v", err)
		}
	}
	for i, u := range p.FallbackBaseURLs {
		if err := checkBaseURL(u); err != nil {
			bad(fmt.Sprintf("fallback_base_urls[%d]", i), "%v", err)
		}
	}
	for i, u := range p.MultimodalBaseURLs {
		if err := checkBaseURL(u); err != nil {
			bad(fmt.Sprintf("multimodal_base_urls[%d]", i), "%v", err)
		}
	}
	errs = append(errs, validateHeaders(path+".headers", p.Headers)...)
	if p.BaseURLEnv != "" && !envRE.MatchString(p.BaseURLEnv) {
		bad("base_url_env", "must be an environment variable name like ACME_BASE_URL (got %q)", p.BaseURLEnv)
	}
	switch {
	case !envRE.MatchString(p.APIKeyEnv):
		bad("api_key_env", "must be an environment variable name like ACME_API_KEY (got %q)", p.APIKeyEnv)
	case strings.HasPrefix(p.APIKeyEnv, OwnKeyEnvPrefix):
		// A shared curl of a provider someone added names $MY_…; the
		// operator's own must never read the same variable.
		bad("api_key_env", "must not start with %s, which names the keys of providers people add (got %q)", OwnKeyEnvPrefix, p.APIKeyEnv)
	}
	if len(p.APIStyles) == 0 {
		bad("api_styles", "must list at least one of completions, chat, responses")
	}
	for i, s := range p.APIStyles {
		if !s.Valid() {
			bad(fmt.Sprintf("api_styles[%d]", i), "unknown style %q (want completions, chat or responses)", s)
		}
	}
	if !currencyRE.MatchString(p.Currency) {
		bad("currency", "must be a three-letter ISO 4217 code like USD (got %q)", p.Currency)
	}
	if p.CreditsPerUnit < 0 || math.IsNaN(p.CreditsPerUnit) {
		bad("credits_per_unit", "must not be negative")
	}
	return errors.Join(errs...)
}

func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("must be an http(s) URL (got %q)", s)
	}
	if strings.HasSuffix(s, "/") {
		return fmt.Errorf("must not end with '/' (got %q)", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("must not have a query or fragment (got %q)", s)
	}
	return nil
}

func validateModel(path string, m *Model) error {
	if m == nil {
		return errorf(path, "must be an object")
	}
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, errorf(path+"."+field, format, args...))
	}
	if !idRE.MatchString(m.ID) {
		bad("id", "must be letters, digits, '.', '_', ':' or '-' (got %q)", m.ID)
	}
	if m.Provider == "" {
		bad("provider", "is required")
	}
	if !m.Style.Valid() {
		bad("api_style", "must be completions, chat or responses (got %q)", m.Style)
	}
	if m.ContextWindow < 0 {
		bad("context_window", "must not be negative")
	}
	if m.MaxOutputTokens < 0 {
		bad("max_output_tokens", "must not be negative")
	}
	if p := m.Price; p != nil {
		for _, x := range []struct {
			name string
			v    *float64
		}{{"input", p.Input}, {"cached_input", p.CachedInput}, {"output", p.Output}} {
			if x.v != nil && (*x.v < 0 || math.IsNaN(*x.v) || math.IsInf(*x.v, 0)) {
				bad("price."+x.name, "must be a non-negative number")
			}
		}
	}
	if m.BasePath != "" && (!strings.HasPrefix(m.BasePath, "/") || strings.HasSuffix(m.BasePath, "/")) {
		bad("base_path", "must start with '/' and not end with it (got %q)", m.BasePath)
	}
	if m.SimShape != "" && (m.SimShape != "chat" || m.Style != Responses) {
		bad("sim_shape", `must be "chat", on a responses model (got %q on %s)`, m.SimShape, m.Style)
	}
	if p := m.Price; p != nil && p.Currency != "" && !currencyRE.MatchString(p.Currency) {
		bad("price.currency", "must be a three-letter ISO 4217 code (got %q)", p.Currency)
	}
	if len(m.Schema.Fields) == 0 {
		bad("form_schema", "must list at least one field")
	}
	errs = append(errs, validateSchema(path+".form_schema", m.Style, m.Schema.Fields))
	return errors.Join(errs...)
}

// impliedRole is the role of a field that names none but is sent where
// the API reads it: a boolean sent as stream streams, a string sent as
// previous_response_id continues a stored response, and messages, images,
// a prompt text, an input, a system message or the Responses instructions
// are the prompt (so catalogs written before these roles existed keep
// working).
func impliedRole(f Field) string {
	switch {
	case f.Type == TypeBoolean && f.Transform == "" && f.BodyPath() == "stream":
		return RoleStream
	case f.Type == TypeString && f.Transform == "" && f.BodyPath() == "previous_response_id":
		return RolePreviousResponse
	case f.Type == TypeMessages || f.Type == TypeImageURLs:
		return RolePrompt
	}
	switch f.Transform {
	case TransformPrompt, TransformInput, TransformSystemMessage, TransformMessages, TransformImageURLs:
		return RolePrompt
	case "":
		if f.BodyPath() == "instructions" {
			return RolePrompt
		}
	}
	return ""
}

// validateSchema checks a schema's fields (and gives a field the role its
// body path implies, impliedRole).
func validateSchema(path string, style Style, fields []Field) error {
	var errs []error
	names := map[string]int{}
	for i, f := range fields {
		names[f.Name] = i
	}
	for i := range fields {
		fields[i].Role = cmp.Or(fields[i].Role, impliedRole(fields[i]))
	}
	targets := map[string]string{}
	for i, f := range fields {
		fp := fmt.Sprintf("%s[%d]", path, i)
		bad := func(field, format string, args ...any) {
			errs = append(errs, errorf(fp+"."+field, format, args...))
		}
		if !fieldRE.MatchString(f.Name) {
			bad("name", "must be lower-case letters, digits and '_' (got %q)", f.Name)
		}
		if names[f.Name] != i {
			bad("name", "duplicate field %q", f.Name)
		}
		if f.Name == "model" {
			bad("name", `"model" is set from the model entry, not the form`)
		}
		if f.Name == ExtraFieldName {
			bad("name", "%q is the extra body field every form has", ExtraFieldName)
		}
		if !slices.Contains(FieldTypes, f.Type) {
			bad("type", "unknown type %q", f.Type)
		}
		if f.Group != "" && f.Group != "basic" && f.Group != "advanced" {
			bad("group", `must be "basic" or "advanced" (got %q)`, f.Group)
		}
		if f.Min != nil && f.Max != nil && *f.Max < *f.Min {
			bad("max", "must not be less than min")
		}
		if f.Step != nil && *f.Step <= 0 {
			bad("step", "must be positive")
		}
		if (f.Min != nil || f.Max != nil) && f.Type != TypeNumber && f.Type != TypeInteger && f.JSONKind != "logit_bias" {
			bad("min", "min and max apply to number and integer fields")
		}
		if f.Type == TypeEnum && len(f.Enum) == 0 {
			bad("enum", "an enum field needs values")
		}
		if f.DefaultText != "" && f.Default != nil {
			bad("default_text", "a field states its default as a value (default) or in words (default_text), not both")
		}
		if f.MaxItems < 0 {
			bad("max_items", "must not be negative")
		}
		if f.Type == TypeJSON {
			switch f.JSONKind {
			case "", "object", "array", "tools", "logit_bias", "response_format", "json_schema", "audio":
			default:
				bad("json_kind", "must be object, array, tools, logit_bias, response_format, json_schema or audio (got %q)", f.JSONKind)
			}
		}
		if f.Transform != "" {
			types, ok := transforms[f.Transform]
			if !ok {
				bad("transform", "unknown transform %q", f.Transform)
			} else if !slices.Contains(types, f.Type) {
				bad("transform", "transform %q does not apply to a %s field", f.Transform, f.Type)
			}
			if f.Target != "" && f.Transform != TransformTextFormat && f.Transform != TransformToolChoice {
				bad("target", "a field with a transform takes no target")
			}
		} else if !targetRE.MatchString(f.BodyPath()) {
			bad("target", "must be a dotted path like reasoning.effort (got %q)", f.BodyPath())
		} else if f.Type == TypeMessages || f.Type == TypeImageURLs || f.Type == TypeFunctions {
			bad("transform", "a %s field needs a transform", f.Type)
		}
		if f.Transform == "" {
			t := f.BodyPath()
			if other, dup := targets[t]; dup {
				bad("target", "body path %q is already set by field %q", t, other)
			}
			targets[t] = f.Name
		}
		if f.OnlyWith != "" {
			j, ok := names[f.OnlyWith]
			if !ok || fields[j].Type != TypeBoolean {
				bad("only_with", "must name a boolean field of this schema (got %q)", f.OnlyWith)
			}
		}
		if f.RequiredWith != "" {
			other, value, ok := f.RequiredWithRule()
			j, found := names[other]
			if !ok || !found || (len(fields[j].Enum) > 0 && !slices.Contains(fields[j].Enum, value)) {
				bad("required_with", "must be field=value, naming a field of this schema and one of its values (got %q)", f.RequiredWith)
			}
		}
		for k, c := range f.ConflictsWith {
			if _, ok := names[c]; !ok {
				bad(fmt.Sprintf("conflicts_with[%d]", k), "no field %q in this schema", c)
			}
		}
		for k, c := range f.Requires {
			if _, ok := names[c]; !ok {
				bad(fmt.Sprintf("requires[%d]", k), "no field %q in this schema", c)
			}
		}
		for c := range f.RefusedWith {
			if _, ok := names[c]; !ok {
				bad("refused_with", "no field %q in this schema", c)
			}
		}
		switch f.Role {
		case "", RoleMaxOutput, RoleN:
		case RoleStream:
			if f.Type != TypeBoolean {
				bad("role", "stream is a boolean's role")
			}
		case RolePreviousResponse:
			if f.Type != TypeString {
				bad("role", "previous_response is a string's role")
			}
		case RolePrompt:
			if !slices.Contains([]FieldType{TypeMessages, TypeImageURLs, TypeText, TypeString, TypeStringList}, f.Type) {
				bad("role", "prompt is the role of messages, images or a text")
			}
		default:
			bad("role", "must be max_output, n, stream, previous_response or prompt (got %q)", f.Role)
		}
		if f.Transform == TransformMessages && style != Chat {
			bad("transform", "messages apply to chat models only")
		}
		if f.Transform == TransformPrompt && style != Completions {
			bad("transform", "prompt applies to completions models only")
		}
		if f.Transform == TransformInput && style != Responses {
			bad("transform", "input applies to responses models only")
		}
		for _, v := range []struct {
			name string
			val  any
		}{{"default", f.Default}, {"initial", f.Initial}, {"example", f.Example}} {
			if v.val != nil {
				if err := checkValue(f, v.val); err != nil {
					bad(v.name, "%v", err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// checkValue checks a default or initial value against the field.
func checkValue(f Field, v any) error {
	switch f.Type {
	case TypeNumber, TypeInteger:
		n, ok := v.(float64)
		if !ok {
			return fmt.Errorf("must be a number")
		}
		if f.Type == TypeInteger && n != math.Trunc(n) {
			return fmt.Errorf("must be a whole number")
		}
		if f.Min != nil && n < *f.Min || f.Max != nil && n > *f.Max {
			return fmt.Errorf("%v is out of range", n)
		}
	case TypeBoolean:
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("must be true or false")
		}
	case TypeEnum:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("must be a string")
		}
		for _, e := range f.Enum {
			if e == s {
				return nil
			}
		}
		return fmt.Errorf("%q is not one of the enum values", s)
	case TypeString, TypeText:
		if _, ok := v.(string); !ok {
			return fmt.Errorf("must be a string")
		}
	}
	return nil
}
