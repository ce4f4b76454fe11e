package experiment

// The promptfoo export. What it writes was checked against promptfoo's own
// documentation and source (github.com/promptfoo/promptfoo):
//
//   - site/docs/configuration/reference.md: description, prompts,
//     providers, tests, defaultTest, and evaluateOptions.repeat ("Number
//     of times to run each test case").
//   - site/docs/configuration/chat.md: a prompt may be a JSON list of
//     {role, content} messages; src/evaluatorHelpers.ts renderPrompt parses
//     a raw prompt that is JSON and renders each string in it with
//     Nunjucks, so a case's value holding quotes or line breaks cannot
//     break the JSON.
//   - site/docs/providers/openai.md: the ids openai:chat:MODEL,
//     openai:responses:MODEL and openai:completion:MODEL, and the config
//     keys apiBaseUrl, apiKeyEnvar ("used exclusively", no fallback to
//     OPENAI_API_KEY), headers, inputCost and outputCost (per token),
//     passthrough ("merged into the final API request"), omitDefaults (no
//     temperature or max tokens of promptfoo's own; chat and responses
//     only), and '{{ env.VAR }}' in a provider's config.
//   - src/providers/openai/chat.ts, responses.ts and completion.ts: the body is
//     built from the config keys they know, then passthrough; responses
//     parses a JSON list prompt as its input and joins function_call items
//     as JSON lines in the output; completion always sends its defaults;
//     chat deletes max_tokens, passthrough's too, for GPT-5 and reasoning
//     model names.
//   - site/docs/configuration/expected-outputs/deterministic.md: equals,
//     contains, contains-any, contains-all, regex, starts-with, is-json
//     (value: a JSON schema), latency (threshold in milliseconds; it needs
//     --no-cache), cost (threshold), finish-reason (value, compared case
//     insensitively after promptfoo normalizes the provider's reason), and
//     "every test type can be negated by prepending not-"
//     (not-contains-any, not-contains-all).
//   - site/docs/configuration/expected-outputs/javascript.md: a javascript
//     assertion sees output (already parsed when it is tool calls) and
//     context.vars; a multi-line value is a function body that returns a
//     boolean or {pass, score, reason}.
//   - site/docs/configuration/expected-outputs/model-graded/llm-rubric.md:
//     llm-rubric's grader is set by the assertion's provider.
//   - src/assertions/index.ts: a string (or each string of a list) given
//     as an assertion's value is rendered with Nunjucks against the test's
//     vars before it is used, javascript code included; so every such
//     string here is written with Nunjucks' specials escaped.
//   - PROMPTFOO_PASS_RATE_THRESHOLD (src/envars.ts) is the pass rate, as a
//     percentage, below which promptfoo eval fails; the config has no key
//     for it.

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/checks"
	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/vars"
)

// PromptfooConfig is the experiment of p as a promptfoo config (YAML): the
// draft's prompt, each pane a provider (its model's OpenAI API style, the
// provider's base URL and the name of its key's environment variable,
// never a key), a test for each case with the checks promptfoo can make,
// and the repeats. What promptfoo cannot check as the playground does is
// listed in a comment at the top (Not exported), as is what it checks
// somewhat differently (Differs).
func PromptfooConfig(p *Plan, cat *catalog.Catalog) ([]byte, error) {
	x := &pfExport{plan: p, cat: cat, names: pfNames(p)}
	root := pfMap()
	pfSet(root, "description", pfStr(cmp.Or(p.File.Name, "Playground experiment")+pfSuffix(p.File.Description)))
	prompt, err := x.prompt()
	if err != nil {
		return nil, err
	}
	pfSet(root, "prompts", pfSeq(prompt))
	providers := pfSeq()
	for i := range p.Panes {
		prov, err := x.provider(i)
		if err != nil {
			return nil, err
		}
		providers.Content = append(providers.Content, prov)
	}
	pfSet(root, "providers", providers)
	if def := x.defaultAsserts(); len(def.Content) > 0 {
		d := pfMap()
		pfSet(d, "assert", def)
		pfSet(root, "defaultTest", d)
	}
	tests := pfSeq()
	for i := range p.Cases {
		tests.Content = append(tests.Content, x.test(i))
	}
	pfSet(root, "tests", tests)
	if p.Repeats > 1 {
		opts := pfMap()
		pfSet(opts, "repeat", pfInt(p.Repeats))
		pfSet(root, "evaluateOptions", opts)
	}
	if r := p.File.MinPassRate; r != nil {
		x.skip("min_pass_rate", fmt.Sprintf("min_pass_rate %s: promptfoo's config has no pass rate; run promptfoo eval with PROMPTFOO_PASS_RATE_THRESHOLD=%s (a percentage of its results, each a cell)",
			strconv.FormatFloat(*r, 'f', -1, 64), strconv.FormatFloat(*r*100, 'g', 12, 64)))
	}
	root.HeadComment = x.header()
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func pfSuffix(desc string) string {
	if desc == "" {
		return ""
	}
	return ": " + desc
}

// pfExport is one export under way: the notes it gathers for the header.
type pfExport struct {
	plan *Plan
	cat  *catalog.Catalog
	// names maps each variable and case column to its Nunjucks name.
	names map[string]string

	notExported, differs []string
	seen                 map[string]bool
}

func (x *pfExport) note(list *[]string, key, msg string) {
	if x.seen == nil {
		x.seen = map[string]bool{}
	}
	if !x.seen[key] {
		x.seen[key] = true
		*list = append(*list, msg)
	}
}

func (x *pfExport) skip(key, msg string)   { x.note(&x.notExported, "skip:"+key, msg) }
func (x *pfExport) differ(key, msg string) { x.note(&x.differs, "differ:"+key, msg) }

// header is the comment at the top of the config.
func (x *pfExport) header() string {
	lines := []string{
		fmt.Sprintf("promptfoo config of the playground experiment %q (playground experiment promptfoo).", cmp.Or(x.plan.File.Name, "unnamed")),
		"Keys are read from the environment variables each provider's apiKeyEnvar names.",
	}
	for _, pane := range x.plan.Panes {
		if prov, ok := x.cat.Provider(pane.Provider); ok && prov.Simulated {
			lines = append(lines, "The simulator's panes call the catalog's address of it: start it there first with `go run ./cmd/llmsim` (the playground's own simulator listens on a port of its own while it runs).")
			break
		}
	}
	var renamed []string
	for _, k := range slices.Sorted(maps.Keys(x.names)) {
		if x.names[k] != k {
			renamed = append(renamed, k+" is "+x.names[k])
		}
	}
	if len(renamed) > 0 {
		x.differ("renamed", "variables renamed to Nunjucks names: "+strings.Join(renamed, ", "))
	}
	if len(x.notExported) == 0 {
		lines = append(lines, "Not exported: nothing; every check has a promptfoo assertion.")
	} else {
		lines = append(lines, "Not exported:")
		for _, n := range x.notExported {
			lines = append(lines, "  - "+n)
		}
	}
	if len(x.differs) > 0 {
		lines = append(lines, "Differs from the playground:")
		for _, n := range x.differs {
			lines = append(lines, "  - "+n)
		}
	}
	for i, l := range lines {
		lines[i] = "# " + strings.ReplaceAll(l, "\n", " ")
	}
	return strings.Join(lines, "\n")
}

// promptKeys are the request body's members that are the prompt, by API
// style; promptfoo sends the prompt itself.
var promptKeys = map[catalog.Style]string{
	catalog.Chat:        "messages",
	catalog.Responses:   "input",
	catalog.Completions: "prompt",
}

// draftStyle is the API style of the draft's model.
func (x *pfExport) draftStyle() catalog.Style {
	if m, ok := x.cat.Model(x.plan.File.Provider, x.plan.File.Model); ok {
		return m.Style
	}
	return catalog.Chat
}

// prompt is the draft's prompt: a chat prompt (a JSON list of messages)
// for messages or a list input, else the text.
func (x *pfExport) prompt() (*yaml.Node, error) {
	f := x.plan.File
	key := promptKeys[x.draftStyle()]
	v, ok := f.Request[key]
	if !ok {
		return nil, fmt.Errorf("the request has no %s, the prompt promptfoo sends", key)
	}
	out := pfMap()
	pfSet(out, "label", pfStr(cmp.Or(f.Name, "draft")))
	if s, ok := v.(string); ok {
		pfSet(out, "raw", pfStr(x.nunjucks(s)))
		return out, nil
	}
	raw, err := pfJSON(x.nunjucksAll(v), "  ")
	if err != nil {
		return nil, fmt.Errorf("the %s: %w", key, err)
	}
	pfSet(out, "raw", pfStr(raw))
	return out, nil
}

// provider is pane i as a promptfoo provider.
func (x *pfExport) provider(i int) (*yaml.Node, error) {
	pane := x.plan.Panes[i]
	m, ok := x.cat.Model(pane.Provider, pane.Model)
	if !ok {
		return nil, fmt.Errorf("pane %d: no model %s/%s in the catalog", i+1, pane.Provider, pane.Model)
	}
	prov, _ := x.cat.Provider(pane.Provider)
	out := pfMap()
	pfSet(out, "id", pfStr(pfProviderID(m)))
	pfSet(out, "label", pfStr(x.label(i)))
	config := pfMap()
	body := maps.Clone(x.plan.File.Request)
	if i < len(x.plan.File.Panes) {
		maps.Copy(body, x.plan.File.Panes[i].Params)
	}
	if i < len(x.plan.File.Panes) {
		if _, ok := x.plan.File.Panes[i].Params[promptKeys[m.Style]]; ok {
			x.skip("pane-prompt:"+strconv.Itoa(i), fmt.Sprintf("pane %d's own %s: promptfoo's prompt is shared by its providers, so the request's is written", i+1, promptKeys[m.Style]))
		}
	}
	delete(body, promptKeys[m.Style])
	for _, k := range []string{"model", "stream", "stream_options"} {
		delete(body, k)
	}
	// promptfoo's OpenAI providers send only the parameters they know
	// from config; passthrough is merged into the body as it is, so the
	// request's parameters go there, in the API's own shape.
	pass := pfMap()
	for _, k := range slices.Sorted(maps.Keys(body)) {
		if s, ok := body[k].(string); ok && strings.Contains(s, "{{") {
			x.differ("param:"+k, fmt.Sprintf("parameter %s is sent as written: promptfoo fills {{variables}} in the prompt, not in a provider's config", k))
		}
		n, err := pfValue(body[k])
		if err != nil {
			return nil, fmt.Errorf("pane %d: %s: %w", i+1, k, err)
		}
		pfSet(pass, k, n)
	}
	if len(pass.Content) > 0 {
		pfSet(config, "passthrough", pass)
	}
	if _, ok := body["max_tokens"]; ok && m.Style == catalog.Chat && regexp.MustCompile(`^(gpt-5|o[134])`).MatchString(m.SentModel()) {
		x.differ("max_tokens", fmt.Sprintf("max_tokens: promptfoo's chat provider drops it for %s (a GPT-5 or reasoning model name), passthrough's too; max_completion_tokens is sent", m.SentModel()))
	}
	if m.Style == catalog.Completions {
		x.differ("completion-defaults", "openai:completion sends its own values for the parameters the request leaves out (max_tokens 1024, temperature 0, top_p 1, stop, best_of 1, penalties 0)")
	} else {
		// Without it promptfoo sends temperature 0 and a max_tokens of its
		// own when the request leaves them out.
		pfSet(config, "omitDefaults", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	}
	x.connection(config, prov, m)
	pfSet(out, "config", config)
	return out, nil
}

// connection sets where a provider's requests go: the base URL, the name
// of the key's environment variable, extra headers (values from the
// environment as {{ env.VAR }}), and the model's price in US dollars.
func (x *pfExport) connection(config *yaml.Node, prov *catalog.Provider, m *catalog.Model) {
	if urls := x.cat.BaseURLs(prov, m, nil); len(urls) > 0 {
		pfSet(config, "apiBaseUrl", pfStr(urls[0]))
	} else if prov.BaseURLEnv != "" {
		pfSet(config, "apiBaseUrl", pfStr("{{ env."+prov.BaseURLEnv+" }}"))
	}
	if prov.APIKeyEnv != "" {
		pfSet(config, "apiKeyEnvar", pfStr(prov.APIKeyEnv))
	}
	if len(prov.Headers) > 0 {
		h := pfMap()
		for _, hd := range prov.Headers {
			if hd.Secret && !strings.Contains(hd.Value, "${") {
				x.skip("header:"+hd.Name, fmt.Sprintf("header %s of %s: a secret written in the catalog, not in the environment", hd.Name, prov.ID))
				continue
			}
			pfSet(h, hd.Name, pfStr(envRef.ReplaceAllString(hd.Value, "{{ env.$1 }}")))
		}
		if len(h.Content) > 0 {
			pfSet(config, "headers", h)
		}
	}
	if pr := m.Price; pr != nil && pr.Input != nil && pr.Output != nil && strings.EqualFold(cmp.Or(pr.Currency, prov.Currency), "USD") {
		pfSet(config, "inputCost", pfFloat(*pr.Input/1e6))
		pfSet(config, "outputCost", pfFloat(*pr.Output/1e6))
	}
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// pfProviderID is promptfoo's OpenAI provider for the model's API style.
func pfProviderID(m *catalog.Model) string {
	switch m.Style {
	case catalog.Responses:
		return "openai:responses:" + m.SentModel()
	case catalog.Completions:
		return "openai:completion:" + m.SentModel()
	}
	return "openai:chat:" + m.SentModel()
}

// label is pane i's label, made unique.
func (x *pfExport) label(i int) string {
	l := x.plan.Panes[i].Label
	n := 1
	for j := range i {
		if x.plan.Panes[j].Label == l {
			n++
		}
	}
	if n > 1 {
		l += fmt.Sprintf(" (%d)", n)
	}
	return l
}

// defaultAsserts are the file's checks with no variables, the same for
// every case.
func (x *pfExport) defaultAsserts() *yaml.Node {
	out := pfSeq()
	for _, c := range x.plan.File.Checks {
		if len(c.Vars()) == 0 {
			if a := x.assertion(c.Bind(nil)); a != nil {
				out.Content = append(out.Content, a)
			}
		}
	}
	return out
}

// test is case i: its values, and the checks that depend on them (the
// file's with variables, bound to the case, and the case's own).
func (x *pfExport) test(i int) *yaml.Node {
	c := x.plan.Cases[i]
	out := pfMap()
	vs := pfMap()
	for _, k := range slices.Sorted(maps.Keys(c.Vars)) {
		pfSet(vs, x.names[k], pfStr(c.Vars[k]))
	}
	pfSet(out, "vars", vs)
	as := pfSeq()
	var own []checks.Check
	for _, ch := range x.plan.File.Checks {
		if len(ch.Vars()) > 0 {
			own = append(own, ch)
		}
	}
	own = append(own, c.Checks...)
	for _, ch := range own {
		if a := x.assertion(ch.Bind(c.Vars)); a != nil {
			as.Content = append(as.Content, a)
		}
	}
	if len(as.Content) > 0 {
		pfSet(out, "assert", as)
	}
	return out
}

// assertion is check c (bound) as a promptfoo assertion, or nil when
// promptfoo has none for it (noted in the header).
func (x *pfExport) assertion(c checks.Check) *yaml.Node {
	a := pfMap()
	typ := func(t string) { pfSet(a, "type", pfStr(t)) }
	value := func(n *yaml.Node) { pfSet(a, "value", n) }
	lit := func(s string) *yaml.Node { return pfStr(nunjucksLiteral(s)) }
	switch c.Type {
	case checks.Equals:
		typ("equals")
		value(lit(strings.TrimSpace(c.Value)))
		x.differ("equals", "equals: promptfoo compares the whole answer; the playground trims white space at both ends first")
	case checks.Contains, checks.NotContains:
		mode := c.Match
		if mode == "" {
			mode = map[checks.Kind]string{checks.Contains: checks.All, checks.NotContains: checks.Any}[c.Type]
		}
		name := map[string]string{checks.Any: "contains-any", checks.All: "contains-all"}[mode]
		if c.Type == checks.NotContains {
			name = "not-" + name
		}
		if len(c.Values) == 1 {
			name = strings.TrimSuffix(strings.TrimSuffix(name, "-any"), "-all")
			typ(name)
			value(lit(c.Values[0]))
			break
		}
		typ(name)
		list := pfSeq()
		for _, v := range c.Values {
			list.Content = append(list.Content, lit(v))
		}
		value(list)
	case checks.Regex:
		if why := re2Only(c.Pattern); why != "" {
			x.skip("regex:"+c.Pattern, fmt.Sprintf("regex /%s/: %s, which JavaScript's RegExp does not read", c.Pattern, why))
			return nil
		}
		typ("regex")
		value(lit(c.Pattern))
		x.differ("regex", "regex: promptfoo matches with JavaScript's RegExp, the playground with Go's RE2 (the same for most patterns)")
	case checks.StartsWith:
		typ("starts-with")
		value(lit(c.Value))
		x.differ("starts-with", "starts-with: the playground skips the answer's leading white space first; promptfoo does not")
	case checks.IsJSON:
		typ("is-json")
	case checks.JSONSchema:
		typ("is-json")
		n, err := pfJSONNode(c.Schema)
		if err != nil {
			x.skip("schema:"+string(c.Schema), "json-schema: the schema does not read as JSON")
			return nil
		}
		value(n)
		x.differ("json-schema", "json-schema: promptfoo validates with its own JSON Schema validator (ajv), the playground with web/structured (draft 2020-12)")
	case checks.CloseTo:
		want, _ := new(big.Rat).SetString(strings.TrimSpace(c.Value))
		tol := new(big.Rat)
		if c.Tolerance != "" {
			tol, _ = new(big.Rat).SetString(strings.TrimSpace(c.Tolerance))
		}
		typ("javascript")
		value(pfStr(jsCloseTo(c.Pointer, want, tol)))
		x.differ("close-to", "close-to: the javascript assertion compares as floating point numbers, the playground as exact decimals")
	case checks.Length:
		typ("javascript")
		value(pfStr(jsLength(c.Min, c.Max)))
	case checks.MaxLatency:
		d, _ := time.ParseDuration(c.Duration)
		typ("latency")
		pfSet(a, "threshold", pfFloat(float64(d)/float64(time.Millisecond)))
		x.differ("latency", "latency: promptfoo times the provider call and needs promptfoo eval --no-cache; the playground times the whole run")
	case checks.MaxCost:
		if !strings.EqualFold(c.Currency, "USD") {
			x.skip("cost:"+c.Currency, fmt.Sprintf("max-cost %s %s: promptfoo's cost assertion is in US dollars only", c.Amount, c.Currency))
			return nil
		}
		amount, _ := new(big.Rat).SetString(strings.TrimSpace(c.Amount))
		f, _ := amount.Float64()
		typ("cost")
		pfSet(a, "threshold", pfFloat(f))
		x.differ("cost", "cost: promptfoo estimates the cost from the token counts and each provider's inputCost and outputCost (the catalog's US dollar prices); the playground counts it exactly, cached and audio tokens included")
	case checks.FinishReason:
		typ("finish-reason")
		value(lit(c.Value))
		x.differ("finish-reason", "finish-reason: promptfoo normalizes the provider's reason (stop, length, content_filter, tool_calls) and compares it ignoring case")
	case checks.ToolCalled:
		typ("javascript")
		value(pfStr(jsToolCalled(c.Tool, c.Arguments, c.Match == checks.Subset)))
		x.differ("tool-called", "tool-called: the javascript assertion reads the tool calls from promptfoo's output (a provider with no functionToolCallbacks returns them)")
	case checks.JudgeKind:
		m, ok := x.cat.Model(c.Provider, c.Model)
		if !ok {
			x.skip("judge:"+c.Provider+"/"+c.Model, fmt.Sprintf("judge %s/%s: no such model in the catalog (the playground's runner fails this check too)", c.Provider, c.Model))
			return nil
		}
		prov, _ := x.cat.Provider(m.Provider)
		typ("llm-rubric")
		value(lit(c.Rubric))
		grader := pfMap()
		pfSet(grader, "id", pfStr(pfProviderID(m)))
		config := pfMap()
		x.connection(config, prov, m)
		pfSet(grader, "config", config)
		pfSet(a, "provider", grader)
		x.differ("judge", "judge: promptfoo's llm-rubric asks the judge for a JSON verdict in its own words, not the playground's judge prompt; the simulator's judges answer only the playground's, so point a judge at a real model")
	default:
		x.skip("kind:"+string(c.Type), fmt.Sprintf("%s: no promptfoo assertion", c.Type))
		return nil
	}
	if c.Name != "" {
		pfSet(a, "metric", pfStr(c.Name))
	}
	return a
}

// re2Only says what RE2 syntax of pattern JavaScript does not read, or "".
func re2Only(pattern string) string {
	for _, s := range []struct{ re, what string }{
		{`\(\?P<`, "a (?P<name>…) group"},
		{`\(\?[imsU-]+\)`, "an inline (?flags)"},
		{`\\[zAQ]`, `\A, \z or \Q…\E`},
		{`\[\[:`, "a [[:class:]]"},
		{`\\[pP][A-Z]`, `a \pL class without braces`},
	} {
		if regexp.MustCompile(s.re).MatchString(pattern) {
			return "it has " + s.what
		}
	}
	return ""
}

// jsCloseTo is the javascript of a close-to check.
func jsCloseTo(pointer string, want, tol *big.Rat) string {
	w, _ := want.Float64()
	t, _ := tol.Float64()
	return strings.Join([]string{
		"const text = typeof output === 'string' ? output.trim() : JSON.stringify(output);",
		"let v;",
		"try { v = JSON.parse(text); } catch (e) { return { pass: false, score: 0, reason: 'the answer is not JSON' }; }",
		"const pointer = " + jsString(pointer) + ";",
		"for (const raw of pointer === '' ? [] : pointer.slice(1).split('/')) {",
		"  const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');",
		"  if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, key)) {",
		"    return { pass: false, score: 0, reason: 'nothing at ' + pointer };",
		"  }",
		"  v = v[key];",
		"}",
		"if (typeof v !== 'number') return { pass: false, score: 0, reason: (pointer || 'the answer') + ' is not a number' };",
		"const want = " + jsNumber(w) + ", tolerance = " + jsNumber(t) + ";",
		"return { pass: Math.abs(v - want) <= tolerance, score: Math.abs(v - want) <= tolerance ? 1 : 0, reason: (pointer || 'the answer') + ' is ' + v + ', want ' + want + ' within ' + tolerance };",
		"",
	}, "\n")
}

// jsLength is the javascript of a length check: characters (code points)
// of the trimmed answer.
func jsLength(lo, hi *int) string {
	var conds []string
	if lo != nil {
		conds = append(conds, fmt.Sprintf("n >= %d", *lo))
	}
	if hi != nil {
		conds = append(conds, fmt.Sprintf("n <= %d", *hi))
	}
	return strings.Join([]string{
		"const n = [...String(output).trim()].length;",
		"const pass = " + strings.Join(conds, " && ") + ";",
		"return { pass, score: pass ? 1 : 0, reason: 'the answer has ' + n + ' characters' };",
		"",
	}, "\n")
}

// jsToolCalled is the javascript of a tool-called check: a call of the
// tool, with the arguments (equal, or holding them with subset) when
// given. It reads Chat Completions' tool_calls and Responses' function_call
// items, as objects or JSON text.
func jsToolCalled(tool string, args checks.JSON, subset bool) string {
	want := "undefined"
	if len(args) > 0 {
		want = "JSON.parse(" + jsString(string(args)) + ")"
	}
	return strings.Join([]string{
		"const tool = " + jsString(tool) + ";",
		"const want = " + want + ";",
		"const subset = " + strconv.FormatBool(subset) + ";",
		"const parse = (v) => { if (typeof v !== 'string') return v; try { return JSON.parse(v); } catch (e) { return undefined; } };",
		"const calls = [];",
		"const collect = (v) => {",
		"  if (typeof v === 'string') {",
		"    const p = parse(v);",
		"    if (p === undefined) { if (v.includes('\\n')) v.split('\\n').forEach((line) => { const q = parse(line.trim()); if (q !== undefined) collect(q); }); return; }",
		"    v = p;",
		"  }",
		"  if (Array.isArray(v)) { v.forEach(collect); return; }",
		"  if (!v || typeof v !== 'object') return;",
		"  if (Array.isArray(v.tool_calls)) v.tool_calls.forEach(collect);",
		"  if (v.function && typeof v.function.name === 'string') calls.push({ name: v.function.name, args: v.function.arguments });",
		"  else if (typeof v.name === 'string' && 'arguments' in v) calls.push({ name: v.name, args: v.arguments });",
		"};",
		"collect(output);",
		"const match = (got, w) => {",
		"  if (Array.isArray(w)) return Array.isArray(got) && got.length === w.length && w.every((x, i) => match(got[i], x));",
		"  if (w !== null && typeof w === 'object') {",
		"    if (got === null || typeof got !== 'object' || Array.isArray(got)) return false;",
		"    const keys = Object.keys(w);",
		"    if (!subset && Object.keys(got).length !== keys.length) return false;",
		"    return keys.every((k) => Object.prototype.hasOwnProperty.call(got, k) && match(got[k], w[k]));",
		"  }",
		"  return got === w;",
		"};",
		"const named = calls.filter((c) => c.name === tool);",
		"if (named.length === 0) return { pass: false, score: 0, reason: calls.length === 0 ? 'no tool was called' : tool + ' was not called' };",
		"if (want === undefined) return true;",
		"const pass = named.some((c) => match(typeof c.args === 'string' ? parse(c.args) : c.args, want));",
		"return { pass, score: pass ? 1 : 0, reason: pass ? tool + ' was called so' : tool + ' was called with other arguments' };",
		"",
	}, "\n")
}

// jsString is s as a JavaScript string literal with no brace in it, so
// Nunjucks (which promptfoo runs over the code) leaves it alone.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return strings.NewReplacer("{", `\u007b`, "}", `\u007d`).Replace(string(b))
}

func jsNumber(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// nunjucksName matches a name Nunjucks reads as one variable.
var nunjucksName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// nunjucksReserved are words Nunjucks reads as something else.
var nunjucksReserved = map[string]bool{"and": true, "or": true, "not": true, "in": true, "is": true, "if": true,
	"else": true, "true": true, "false": true, "none": true, "null": true, "True": true, "False": true, "None": true}

// pfNames maps every variable and case column of p to a Nunjucks name:
// itself when Nunjucks reads it as one variable ({{item-2}} is item minus
// 2 there, {{user.name}} a member of user), else a name of letters,
// digits and _ that no other takes.
func pfNames(p *Plan) map[string]string {
	all := slices.Clone(p.Vars)
	for _, c := range p.Cases {
		all = append(all, slices.Sorted(maps.Keys(c.Vars))...)
	}
	out := map[string]string{}
	taken := map[string]bool{}
	for _, n := range all {
		if nunjucksName.MatchString(n) && !nunjucksReserved[n] {
			out[n], taken[n] = n, true
		}
	}
	for _, n := range all {
		if _, ok := out[n]; ok {
			continue
		}
		base := regexp.MustCompile(`[^A-Za-z0-9_]`).ReplaceAllString(n, "_")
		if base == "" || base[0] >= '0' && base[0] <= '9' || nunjucksReserved[base] {
			base = "_" + base
		}
		name := base
		for i := 2; taken[name]; i++ {
			name = fmt.Sprintf("%s_%d", base, i)
		}
		out[n], taken[name] = name, true
	}
	return out
}

// nunjucks is a playground template as a Nunjucks one: each {{name}} as
// {{ name }} (renamed as pfNames says), and every { that would open a
// Nunjucks tag ({{ {% {#) written {{ "{" }}. A text that does not parse
// as a template is taken as literal text.
func (x *pfExport) nunjucks(s string) string {
	t, err := vars.Parse(s)
	if err != nil {
		return nunjucksLiteral(s)
	}
	// Fill each variable with a mark the text does not hold, escape,
	// then turn the marks into Nunjucks variables.
	mark := '\uE000'
	for strings.ContainsRune(s, mark) {
		mark++
	}
	names := t.Names()
	values := map[string]string{}
	for i, n := range names {
		values[n] = string(mark) + strconv.Itoa(i) + string(mark)
	}
	filled, _ := t.Fill(values)
	var b strings.Builder
	for i := 0; i < len(filled); {
		r, size := utf8.DecodeRuneInString(filled[i:])
		if r == mark {
			end := strings.IndexRune(filled[i+size:], mark)
			k, _ := strconv.Atoi(filled[i+size : i+size+end])
			b.WriteString(x.variable(names[k]))
			i += 2*size + end
			continue
		}
		if r == '{' && i+1 < len(filled) && (strings.IndexByte("{%#", filled[i+1]) >= 0 || strings.HasPrefix(filled[i+1:], string(mark))) {
			b.WriteString(`{{ "{" }}`)
		} else {
			b.WriteString(filled[i : i+size])
		}
		i += size
	}
	return b.String()
}

// variable is {{ name }} in Nunjucks; a name that is no variable of the
// experiment (in a text the playground sends as written) stays literal.
func (x *pfExport) variable(name string) string {
	n, ok := x.names[name]
	if !ok {
		return nunjucksLiteral("{{" + name + "}}")
	}
	return "{{ " + n + " }}"
}

// nunjucksLiteral is s written so Nunjucks renders it as it is.
func nunjucksLiteral(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '{' && i+1 < len(s) && strings.IndexByte("{%#", s[i+1]) >= 0 {
			b.WriteString(`{{ "{" }}`)
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// nunjucksAll is v (JSON-like) with every string in it a Nunjucks
// template (promptfoo renders every string of a JSON prompt).
func (x *pfExport) nunjucksAll(v any) any {
	switch t := v.(type) {
	case string:
		return x.nunjucks(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = x.nunjucksAll(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = x.nunjucksAll(e)
		}
		return out
	}
	return v
}

// pfJSON is v as JSON text (no HTML escaping), indented, a message's
// role and content first and the other members by name.
func pfJSON(v any, indent string) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ordered(v)); err != nil {
		return "", err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, bytes.TrimSuffix(b.Bytes(), []byte("\n")), "", indent); err != nil {
		return "", err
	}
	return out.String(), nil
}

// ordered is v with every object's members in jsonRank order.
func ordered(v any) any {
	switch t := v.(type) {
	case map[string]any:
		o := &request.Object{}
		for _, k := range slices.SortedFunc(maps.Keys(t), func(a, c string) int {
			if r := jsonRank(a) - jsonRank(c); r != 0 {
				return r
			}
			return strings.Compare(a, c)
		}) {
			o.Set(k, ordered(t[k]))
		}
		return o
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = ordered(e)
		}
		return out
	}
	return v
}

// jsonRank orders a message's members: role, content, the others.
func jsonRank(k string) int {
	switch k {
	case "role":
		return 0
	case "content":
		return 1
	}
	return 2
}

// YAML nodes.

func pfMap() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }
func pfSeq(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}
}

func pfStr(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.Contains(s, "\n") {
		n.Style = yaml.LiteralStyle
	}
	return n
}

func pfInt(i int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(i)}
}

func pfFloat(f float64) *yaml.Node {
	tag := "!!float"
	if f == float64(int64(f)) {
		tag = "!!int"
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: strconv.FormatFloat(f, 'f', -1, 64)}
}

func pfSet(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, pfStr(key), v)
}

// pfValue is a decoded YAML or JSON value as a node, maps by sorted key.
func pfValue(v any) (*yaml.Node, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return pfJSONNode(raw)
}

// pfJSONNode is JSON text as a block YAML node.
func pfJSONNode(raw []byte) (*yaml.Node, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(raw, &n); err != nil {
		return nil, err
	}
	if len(n.Content) != 1 {
		return nil, fmt.Errorf("not one JSON value")
	}
	pfBlock(n.Content[0])
	return n.Content[0], nil
}

// pfBlock writes flow collections as block ones.
func pfBlock(n *yaml.Node) {
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		n.Style = 0
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		n.Style = 0
		if strings.Contains(n.Value, "\n") {
			n.Style = yaml.LiteralStyle
		}
	}
	for _, c := range n.Content {
		pfBlock(c)
	}
}
