package form

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/playground-dev/playground/web/catalog"
)

// The inverse of the request builder: a request body read back into the
// draft that sends it. Each field type's value at its body path is read
// by its kind (kind.fromJSON in kinds.go); the transforms, which reshape
// the body (messages with their images, a Responses input, a prompt, the
// tools, the tool choice, text.format), are inverted here, as
// web/request writes them.

// Unread is a part of a body that no field of the model's form reads:
// listed for the person ("not in this model's form: …") with its JSON.
type Unread struct {
	// Path is where it was: "reasoning", "text.format.name",
	// "messages[2].name", "tools[1]".
	Path string
	JSON json.RawMessage
	// Key is the body's top-level key when the whole parameter is one (a
	// part of an object, a message or an image has none): only such a
	// parameter can be kept in the extra field (Keep).
	Key string
}

// FromBody reads a request body of the given style into the draft of
// fields that request.Build would send it from. The draft holds an input
// for every field the body sets, and for the fields whose initial value
// would otherwise send something the body does not (a stream switch that
// starts on, the messages); errs says, by field, what could not be read;
// unread lists what no field of the schema reads, which the draft leaves
// out: Keep puts the top-level ones into the extra field. The error is
// for a body that is not a JSON object.
func FromBody(fields []catalog.Field, style catalog.Style, body []byte) (d Draft, unread []Unread, errs Errors, err error) {
	obj, err := parseObject(body)
	if err != nil {
		return nil, nil, nil, err
	}
	r := &reader{fields: fields, style: style, obj: obj, d: Draft{}, errs: Errors{}}
	r.obj.take("model")
	for _, f := range fields {
		r.field(f)
	}
	r.images()
	r.absent()
	r.unread = append(r.unread, obj.left("")...)
	return r.d, r.unread, r.errs, nil
}

// reader is one body being read.
type reader struct {
	fields []catalog.Field
	style  catalog.Style
	obj    *object
	d      Draft
	errs   Errors
	unread []Unread
	// imgs are the images the messages or the input carried, for the
	// image_urls field.
	imgs []ImageRow
}

func (r *reader) fail(f catalog.Field, format string, a ...any) {
	if r.errs[f.Name] == "" {
		r.errs[f.Name] = fmt.Sprintf(format, a...)
	}
}

func (r *reader) drop(path string, v json.RawMessage) {
	r.unread = append(r.unread, Unread{Path: path, JSON: compact(v)})
}

// array reads raw as a JSON array, or says msg beside f.
func (r *reader) array(f catalog.Field, raw json.RawMessage, msg string) ([]json.RawMessage, bool) {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		r.fail(f, "%s", msg)
		return nil, false
	}
	return list, true
}

// field reads f from the body, by its transform.
func (r *reader) field(f catalog.Field) {
	var raw json.RawMessage
	var ok bool
	if f.Role == catalog.RoleExtra {
		return // it holds what no other field reads: Keep
	}
	switch f.Transform {
	case catalog.TransformImageURLs, catalog.TransformImageDetail, catalog.TransformSystemMessage, catalog.TransformJSONSchema:
		return // read with the messages, the input or text.format
	case catalog.TransformPrompt:
		raw, ok = r.obj.take("prompt")
	case catalog.TransformMessages:
		raw, ok = r.obj.take("messages")
	case catalog.TransformInput:
		raw, ok = r.obj.take("input")
	default:
		raw, ok = r.obj.take(f.BodyPath())
	}
	if !ok || isNull(raw) {
		return
	}
	switch f.Transform {
	case "", catalog.TransformPrompt:
		k, known := kinds[f.Type]
		if !known || k.fromJSON == nil {
			r.fail(f, "The form cannot read this field from a body.")
			return
		}
		in, msg := k.fromJSON(f, raw)
		if msg != "" {
			r.fail(f, "%s", msg)
			return
		}
		r.d[f.Name] = in
	case catalog.TransformMessages:
		r.chatMessages(f, raw)
	case catalog.TransformInput:
		r.input(f, raw)
	case catalog.TransformTools:
		r.tools(f, raw)
	case catalog.TransformToolChoice:
		r.toolChoice(f, raw)
	case catalog.TransformTextFormat:
		r.textFormat(f, raw)
	default:
		r.fail(f, "The form cannot read the transform %q from a body.", f.Transform)
	}
}

// fieldWith is the first field of the transform.
func (r *reader) fieldWith(transform string) (catalog.Field, bool) {
	for _, f := range r.fields {
		if f.Transform == transform {
			return f, true
		}
	}
	return catalog.Field{}, false
}

// chatMessages inverts request's chatMessages: a leading system message
// for a system_message field, the rows, and the image_url parts of the
// user's content for the image_urls field.
func (r *reader) chatMessages(f catalog.Field, raw json.RawMessage) {
	msgs, ok := r.array(f, raw, "messages must be an array of {\"role\", \"content\"} objects.")
	if !ok {
		return
	}
	var rows []MessageRow
	for i, m := range msgs {
		path := fmt.Sprintf("messages[%d]", i)
		o, err := parseObject(m)
		if err != nil {
			r.fail(f, "Message %d is not an object.", i+1)
			continue
		}
		role := o.str("role")
		o.take("role")
		if sys, ok := r.fieldWith(catalog.TransformSystemMessage); ok && i == 0 && role == "system" {
			if c, isText := o.get("content"); isText && isString(c) {
				o.take("content")
				r.d[sys.Name] = Text(o.str("content"))
				r.unread = append(r.unread, o.left(path)...)
				continue
			}
		}
		row := MessageRow{Role: role}
		text, hasText, imgs := r.content(f, o, path, i)
		row.Content = text
		if calls, ok := o.take("tool_calls"); ok && !isNull(calls) {
			row.ToolCalls = string(compact(calls))
		}
		if id, ok := o.take("tool_call_id"); ok {
			_ = json.Unmarshal(id, &row.ToolCallID)
		}
		// Reasoning goes back only with the calls it led to (and only to a
		// model that carries it): without calls it is listed.
		if rc, ok := o.get("reasoning_content"); ok && row.ToolCalls != "" && json.Unmarshal(rc, &row.Reasoning) == nil {
			o.take("reasoning_content")
		}
		r.unread = append(r.unread, o.left(path)...)
		r.imgs = append(r.imgs, imgs...)
		if !hasText && len(imgs) > 0 && role == "user" {
			continue // images alone: they ride on the last user message
		}
		rows = append(rows, row)
	}
	r.d[f.Name] = Messages(rows...)
}

// content reads a message's content: a string, null, or parts (text
// parts joined, image parts as images).
func (r *reader) content(f catalog.Field, o *object, path string, i int) (text string, hasText bool, imgs []ImageRow) {
	raw, ok := o.take("content")
	if !ok || isNull(raw) {
		return "", false, nil
	}
	if json.Unmarshal(raw, &text) == nil {
		return text, true, nil
	}
	var parts []json.RawMessage
	if json.Unmarshal(raw, &parts) != nil {
		r.fail(f, "Message %d: content must be a string or an array of parts.", i+1)
		return "", false, nil
	}
	var texts []string
	for j, p := range parts {
		po, err := parseObject(p)
		if err != nil {
			r.drop(fmt.Sprintf("%s.content[%d]", path, j), p)
			continue
		}
		switch po.str("type") {
		case "text", "input_text", "output_text":
			texts = append(texts, po.str("text"))
			hasText = true
		case "image_url": // Chat: {"image_url": {"url", "detail"}}
			u, _ := po.get("image_url")
			uo, err := parseObject(u)
			if err != nil {
				r.drop(fmt.Sprintf("%s.content[%d]", path, j), p)
				continue
			}
			imgs = append(imgs, ImageRow{URL: uo.str("url"), Detail: uo.str("detail")})
		case "input_image": // Responses: {"image_url": "…", "detail"}
			imgs = append(imgs, ImageRow{URL: po.str("image_url"), Detail: po.str("detail")})
		default:
			r.drop(fmt.Sprintf("%s.content[%d]", path, j), p)
		}
	}
	return strings.Join(texts, "\n\n"), hasText, imgs
}

// input inverts a Responses input: the prompt string, or items (messages
// with their role, an assistant's reasoning and function_call items as
// its row's reasoning and tool calls, function_call_output items as tool
// rows; images on a user message).
func (r *reader) input(f catalog.Field, raw json.RawMessage) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if f.Type == catalog.TypeMessages {
			r.d[f.Name] = Messages(MessageRow{Role: "user", Content: s})
		} else {
			r.d[f.Name] = Text(s)
		}
		return
	}
	items, ok := r.array(f, raw, "input must be a string or an array of items.")
	if !ok {
		return
	}
	var rows []MessageRow
	open := -1                      // the assistant row reasoning and calls still join
	reasoning := map[int][]Unread{} // by row: the items, where they were
	calls := map[int][]ToolCall{}
	assistant := func() int {
		if open < 0 {
			rows = append(rows, MessageRow{Role: "assistant"})
			open = len(rows) - 1
		}
		return open
	}
	for i, it := range items {
		path := fmt.Sprintf("input[%d]", i)
		o, err := parseObject(it)
		if err != nil {
			r.drop(path, it)
			continue
		}
		switch t := o.str("type"); {
		case t == "function_call":
			a := assistant()
			var c ToolCall
			c.ID, c.Type = o.str("call_id"), "function"
			c.Function.Name, c.Function.Arguments = o.str("name"), o.str("arguments")
			for _, k := range []string{"type", "call_id", "name", "arguments"} {
				o.take(k)
			}
			calls[a] = append(calls[a], c)
			r.unread = append(r.unread, o.left(path)...)
		case t == "reasoning" && o.has("id"):
			a := assistant()
			// The keys request's reasoningItems sends back, in its order.
			item := o.pick("type", "id", "summary", "encrypted_content")
			reasoning[a] = append(reasoning[a], Unread{Path: path, JSON: item})
			r.unread = append(r.unread, o.left(path)...)
		case t == "function_call_output":
			open = -1
			row := MessageRow{Role: "tool", ToolCallID: o.str("call_id")}
			out, _ := o.get("output")
			if json.Unmarshal(out, &row.Content) != nil {
				r.drop(path+".output", out)
			}
			for _, k := range []string{"type", "call_id", "output"} {
				o.take(k)
			}
			r.unread = append(r.unread, o.left(path)...)
			rows = append(rows, row)
		case t == "message" || (t == "" && o.has("role")):
			o.take("type")
			role := o.str("role")
			o.take("role")
			text, _, imgs := r.content(f, o, path, i)
			r.unread = append(r.unread, o.left(path)...)
			r.imgs = append(r.imgs, imgs...)
			open = -1
			if role == "user" && len(imgs) > 0 && text == "" {
				continue // images alone ride on the last user message
			}
			rows = append(rows, MessageRow{Role: role, Content: text})
			if role == "assistant" {
				open = len(rows) - 1
			}
		default:
			open = -1
			r.drop(path, it)
		}
	}
	kept := rows[:0]
	for i, row := range rows {
		if cs := calls[i]; len(cs) > 0 {
			b, _ := json.Marshal(cs)
			row.ToolCalls = string(b)
		}
		if rs := reasoning[i]; len(rs) > 0 && row.ToolCalls == "" {
			// The form sends reasoning back only with the calls it led to.
			r.unread = append(r.unread, rs...)
			if row.Content == "" {
				continue
			}
		} else if len(rs) > 0 {
			items := make([]string, len(rs))
			for j, x := range rs {
				items[j] = string(x.JSON)
			}
			row.Reasoning = "[" + strings.Join(items, ",") + "]"
		}
		kept = append(kept, row)
	}
	rows = kept
	if f.Type == catalog.TypeMessages {
		r.d[f.Name] = Messages(rows...)
		return
	}
	if len(rows) == 1 && rows[0].Role == "user" {
		r.d[f.Name] = Text(rows[0].Content)
		return
	}
	r.fail(f, "This form's input is one text: a conversation cannot be written in it.")
}

// images writes the images the messages or input carried into the
// image_urls field, with their detail per row (a field with detail) or
// as the image_detail field's one level.
func (r *reader) images() {
	if len(r.imgs) == 0 {
		return
	}
	f, ok := r.fieldWith(catalog.TransformImageURLs)
	if !ok {
		for i, im := range r.imgs {
			b, _ := json.Marshal(im)
			r.unread = append(r.unread, Unread{Path: fmt.Sprintf("images[%d]", i), JSON: b})
		}
		return
	}
	rows := make([]ImageRow, len(r.imgs))
	detail := r.imgs[0].Detail
	for i, im := range r.imgs {
		rows[i] = ImageRow{URL: im.URL}
		if f.Detail {
			rows[i].Detail = im.Detail
		} else if im.Detail != detail {
			r.fail(f, "The images ask for different details (%s, %s): this form sets one for all.", detail, im.Detail)
		}
	}
	r.d[f.Name] = Input{Shape: ShapeImages, Images: rows}
	if f.Detail || detail == "" {
		return
	}
	df, ok := r.fieldWith(catalog.TransformImageDetail)
	switch {
	case !ok:
		r.fail(f, "The images ask for %s detail: this form has no detail level.", detail)
	case detail == "auto" && r.style == catalog.Responses:
		// Sent for every image without a level (the API requires one).
	default:
		r.d[df.Name] = Text(detail)
	}
}

// emptyParameters is the parameters request's flatTools gives a Responses
// function that has none.
const emptyParameters = `{"type":"object","properties":{}}`

// tools inverts the tools transform: Chat-shaped ({type, function: {…}})
// or Responses-flat ({type, name, …}) function tools into a functions
// field's rows or a JSON field's Chat-shaped array.
func (r *reader) tools(f catalog.Field, raw json.RawMessage) {
	list, ok := r.array(f, raw, "tools must be an array.")
	if !ok {
		return
	}
	var rows []FunctionRow
	var chat []json.RawMessage
	for i, t := range list {
		path := fmt.Sprintf("tools[%d]", i)
		o, err := parseObject(t)
		if err != nil || o.str("type") != "function" {
			if f.Type == catalog.TypeJSON {
				chat = append(chat, compact(t))
			} else {
				r.drop(path, t)
			}
			continue
		}
		fn, fpath := o, path
		if inner, ok := o.get("function"); ok {
			if f.Type == catalog.TypeJSON {
				chat = append(chat, compact(t)) // the shape the field holds
				continue
			}
			if fn, err = parseObject(inner); err != nil {
				r.drop(path, t)
				continue
			}
			fpath = path + ".function"
			o.take("type")
			o.take("function")
			r.unread = append(r.unread, o.left(path)...)
		} else {
			o.take("type")
			if s, _ := o.get("strict"); string(compact(s)) == "false" {
				o.take("strict") // flatTools' default
			}
			if p, _ := o.get("parameters"); string(compact(p)) == emptyParameters {
				o.take("parameters")
			}
			if f.Type == catalog.TypeJSON {
				chat = append(chat, json.RawMessage(`{"type":"function","function":`+string(fn.rest())+`}`))
				continue
			}
		}
		row := FunctionRow{Name: fn.str("name"), Description: fn.str("description")}
		if p, ok := fn.raw["parameters"]; ok && !fn.read["parameters"] && !isNull(p) {
			row.Parameters = string(compact(p))
		}
		fn.take("parameters")
		fn.take("name")
		fn.take("description")
		r.unread = append(r.unread, fn.left(fpath)...)
		rows = append(rows, row)
	}
	if f.Type == catalog.TypeJSON {
		b, _ := json.Marshal(chat)
		r.d[f.Name] = Text(string(b))
		return
	}
	r.d[f.Name] = Input{Shape: ShapeFunctions, Functions: rows}
}

// pick takes the keys o has of keys into an object in that order.
func (o *object) pick(keys ...string) json.RawMessage {
	out := &object{raw: map[string]json.RawMessage{}, read: map[string]bool{}}
	for _, k := range keys {
		if v, ok := o.take(k); ok {
			out.keys = append(out.keys, k)
			out.raw[k] = v
		}
	}
	return out.rest()
}

// rest is the object of o's keys not read, compacted, in order.
func (o *object) rest() json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	n := 0
	for _, k := range o.keys {
		if o.read[k] {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(compact(o.raw[k]))
	}
	b.WriteByte('}')
	return b.Bytes()
}

// toolChoice inverts the tool_choice transform: none/auto/required as
// they are, a named function ({"type": "function", "function": {"name"}}
// or Responses' {"type": "function", "name"}) as its name.
func (r *reader) toolChoice(f catalog.Field, raw json.RawMessage) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		r.d[f.Name] = Text(s)
		return
	}
	o, err := parseObject(raw)
	if err == nil && o.str("type") == "function" {
		name := o.str("name")
		if fn, ok := o.get("function"); ok {
			if fo, err := parseObject(fn); err == nil {
				name = fo.str("name")
			}
		}
		if name != "" {
			r.d[f.Name] = Text(name)
			return
		}
	}
	r.drop(f.BodyPath(), raw)
}

// textFormat inverts the text_format transform: text.format's type is
// the field's value, and a json_schema format's name, description,
// schema and strict are the json_schema field's definition.
func (r *reader) textFormat(f catalog.Field, raw json.RawMessage) {
	o, err := parseObject(raw)
	if err != nil || !o.has("type") {
		r.fail(f, "text.format must be an object with a type.")
		return
	}
	typ := o.str("type")
	o.take("type")
	r.d[f.Name] = Text(typ)
	if typ == "json_schema" {
		if sf, ok := r.fieldWith(catalog.TransformJSONSchema); ok {
			// The keys request's textFormat folds in, in its order.
			r.d[sf.Name] = Text(string(o.pick("name", "description", "schema", "strict")))
		}
	}
	r.unread = append(r.unread, o.left(f.BodyPath())...)
}

// absent gives the fields the body does not set the input that sends
// nothing, where their initial value would send something: a boolean
// that starts on is off (unless the switch it goes with is off, so it is
// not sent either way), a messages field has no rows, and a required or
// initialized text is empty (Check then says it is required).
func (r *reader) absent() {
	on := func(name string) bool {
		if in, ok := r.d[name]; ok {
			b, _ := strconv.ParseBool(in.String())
			return b
		}
		for _, g := range r.fields {
			if g.Name == name {
				if b, ok := g.Initial.(bool); ok {
					return b
				}
				b, _ := g.Default.(bool)
				return b
			}
		}
		return false
	}
	// The switches first: whether a gated field is sent depends on them.
	fields := slices.Clone(r.fields)
	gated := func(f catalog.Field) int {
		if f.OnlyWith != "" {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(fields, func(a, b catalog.Field) int { return cmp.Compare(gated(a), gated(b)) })
	for _, f := range fields {
		if r.d.Has(f.Name) { // a field that could not be read counts as absent
			continue
		}
		switch {
		case f.Type == catalog.TypeBoolean:
			if f.Initial == nil || (f.OnlyWith != "" && !on(f.OnlyWith)) {
				continue // its initial value is not sent
			}
			r.d[f.Name] = Text("false")
		case f.Type == catalog.TypeMessages:
			r.d[f.Name] = Messages()
		case f.Initial != nil || f.Required:
			if oneOrList(f) == ShapeList || f.Type == catalog.TypeStringList {
				r.d[f.Name] = List()
			} else if kinds[f.Type].shape != nil && kinds[f.Type].shape(f) == ShapeText {
				r.d[f.Name] = Text("")
			}
		}
	}
}

// object is a JSON object read with its keys in order; the keys taken
// are the ones a field read, the rest are left (Unread).
type object struct {
	keys []string
	raw  map[string]json.RawMessage
	read map[string]bool
	kids map[string]*object
}

// parseObject reads a JSON object (a later duplicate key wins, at the
// first one's place).
func parseObject(b []byte) (*object, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("the body is not a JSON object")
	}
	o := &object{raw: map[string]json.RawMessage{}, read: map[string]bool{}}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, errors.New("the body is not valid JSON")
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, errors.New("the body is not valid JSON")
		}
		if _, dup := o.raw[k]; !dup {
			o.keys = append(o.keys, k)
		}
		o.raw[k] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, errors.New("the body is not valid JSON")
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("the body has more after its JSON object")
	}
	return o, nil
}

func (o *object) has(k string) bool { _, ok := o.raw[k]; return ok }

// child is the object at key k, decoded once.
func (o *object) child(k string) (*object, bool) {
	if c, ok := o.kids[k]; ok {
		return c, true
	}
	raw, ok := o.raw[k]
	if !ok {
		return nil, false
	}
	c, err := parseObject(raw)
	if err != nil {
		return nil, false
	}
	if o.kids == nil {
		o.kids = map[string]*object{}
	}
	o.kids[k] = c
	return c, true
}

// get is the value at a dotted path.
func (o *object) get(path string) (json.RawMessage, bool) {
	head, rest, nested := strings.Cut(path, ".")
	if !nested {
		v, ok := o.raw[head]
		return v, ok
	}
	c, ok := o.child(head)
	if !ok {
		return nil, false
	}
	return c.get(rest)
}

// take is get, marking the value read.
func (o *object) take(path string) (json.RawMessage, bool) {
	head, rest, nested := strings.Cut(path, ".")
	if !nested {
		v, ok := o.raw[head]
		if ok {
			o.read[head] = true
		}
		return v, ok
	}
	c, ok := o.child(head)
	if !ok {
		return nil, false
	}
	return c.take(rest)
}

// str is the string at key k ("" when it is not one).
func (o *object) str(k string) string {
	var s string
	_ = json.Unmarshal(o.raw[k], &s)
	return s
}

// left lists what was not read, under prefix: a key not read at all
// whole, an object partly read by its parts left.
func (o *object) left(prefix string) []Unread {
	var out []Unread
	for _, k := range o.keys {
		if o.read[k] {
			continue
		}
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		if c, ok := o.kids[k]; ok && c.anyRead() {
			out = append(out, c.left(path)...)
			continue
		}
		if isNull(o.raw[k]) {
			continue // null is the API's default: nothing to keep
		}
		u := Unread{Path: path, JSON: compact(o.raw[k])}
		if prefix == "" {
			u.Key = k
		}
		out = append(out, u)
	}
	return out
}

func (o *object) anyRead() bool {
	for _, k := range o.keys {
		if o.read[k] {
			return true
		}
		if c, ok := o.kids[k]; ok && c.anyRead() {
			return true
		}
	}
	return false
}

func isNull(v json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(v), []byte("null")) }

func isString(v json.RawMessage) bool {
	t := bytes.TrimSpace(v)
	return len(t) > 0 && t[0] == '"'
}

func compact(v json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if json.Compact(&buf, v) != nil {
		return v
	}
	return buf.Bytes()
}
