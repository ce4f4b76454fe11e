package form

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/playground-dev/playground/web/catalog"
)

// The extra body field (catalog.ExtraField, role extra) is a JSON object
// of parameters the schema does not have. Its kind is the JSON kind's
// (an object); beside that its keys may not be ones the form sends
// itself (BodyKeys), nor empty, nor null (the API's default: leave the
// key out), and {} sends nothing.

// BodyKeys maps each top-level body key the fields send (not the extra
// field) to the field that sends it; "model" and "stream" are always
// the playground's (a zero Field when no field sends them).
func BodyKeys(fields []catalog.Field) map[string]catalog.Field {
	keys := map[string]catalog.Field{"model": {}, "stream": {}}
	for _, f := range fields {
		var key string
		switch f.Transform {
		case "", catalog.TransformTools, catalog.TransformToolChoice, catalog.TransformTextFormat:
			key, _, _ = strings.Cut(f.BodyPath(), ".")
		case catalog.TransformPrompt:
			key = "prompt"
		case catalog.TransformMessages:
			key = "messages"
		case catalog.TransformInput:
			key = "input"
		default:
			continue // folded into the messages, the input or text.format
		}
		if f.Role == catalog.RoleExtra {
			continue
		}
		if g := keys[key]; g.Name == "" || g.Name != key && f.Name == key {
			keys[key] = f
		}
	}
	return keys
}

// checkExtra says why an extra field's checked object cannot be sent, or
// "": a key another field sends (set there instead) or a null value.
func checkExtra(fields []catalog.Field, raw json.RawMessage) string {
	keys, err := objectKeys(raw)
	if err != nil {
		return "Must be a JSON object ({...})."
	}
	sent := BodyKeys(fields)
	for _, k := range keys.order {
		f, taken := sent[k]
		switch {
		case k == "":
			return "A key must not be empty."
		case taken && k == "model":
			return "model is the model picker's; pick the model there."
		case taken && f.Name == "":
			return fmt.Sprintf("%s is the playground's to send; leave it out.", k)
		case taken && f.Name == k:
			return fmt.Sprintf("%s is a field of this form; set it there.", k)
		case taken:
			return fmt.Sprintf("%s is sent by this form's field %s; set it there.", k, f.DisplayLabel())
		case isNull(keys.vals[k]):
			return fmt.Sprintf("%s is null, the API's default; leave it out.", k)
		}
	}
	return ""
}

// extraKeys is an object's keys in order, with their values.
type extraKeys struct {
	order []string
	vals  map[string]json.RawMessage
}

func objectKeys(raw json.RawMessage) (extraKeys, error) {
	o, err := parseObject(raw)
	if err != nil {
		return extraKeys{}, err
	}
	return extraKeys{order: o.keys, vals: o.raw}, nil
}

// Extra is the extra field's checked value as the body's keys in order
// with their JSON: what request.Build adds after the schema's fields.
// Nothing when the fields have no extra field or it is not set.
func Extra(fields []catalog.Field, vals Values) (keys []string, values map[string]json.RawMessage) {
	for _, f := range fields {
		if f.Role != catalog.RoleExtra {
			continue
		}
		raw, ok := vals[f.Name].(json.RawMessage)
		if !ok {
			return nil, nil
		}
		k, err := objectKeys(raw)
		if err != nil {
			return nil, nil
		}
		return k.order, k.vals
	}
	return nil, nil
}

// Keep puts the unread top-level parameters of an imported body into
// d's extra field, as one JSON object in the body's order (compacted, as
// a JSON field holds its value): kept are those it holds, dropped the
// rest (a nested part, an image, a key the form sends itself), which the
// draft cannot keep. Without an extra field in fields, all are dropped.
func Keep(fields []catalog.Field, d Draft, unread []Unread) (kept, dropped []Unread) {
	var extra catalog.Field
	found := false
	for _, f := range fields {
		if f.Role == catalog.RoleExtra {
			extra, found = f, true
		}
	}
	sent := BodyKeys(fields)
	var b bytes.Buffer
	for _, u := range unread {
		if _, taken := sent[u.Key]; !found || u.Key == "" || taken {
			dropped = append(dropped, u)
			continue
		}
		if len(kept) == 0 {
			b.WriteByte('{')
		} else {
			b.WriteByte(',')
		}
		b.Write(jsonString(u.Key))
		b.WriteByte(':')
		b.Write(compact(u.JSON))
		kept = append(kept, u)
	}
	if len(kept) > 0 {
		b.WriteByte('}')
		d[extra.Name] = Text(b.String())
	}
	return kept, dropped
}

// jsonString is s as a JSON string, without HTML escapes (as
// request.Build writes the body).
func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
