package checks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// pointerTokens splits a JSON Pointer (RFC 6901) into its reference
// tokens, unescaped (~1 is /, ~0 is ~). "" is the whole document.
func pointerTokens(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, fmt.Errorf("%q does not start with / (a JSON Pointer such as /items/0/price)", p)
	}
	tokens := strings.Split(p[1:], "/")
	for i, t := range tokens {
		for j := 0; j < len(t); j++ {
			if t[j] == '~' && (j+1 == len(t) || (t[j+1] != '0' && t[j+1] != '1')) {
				return nil, fmt.Errorf("%q has a ~ that is neither ~0 nor ~1", p)
			}
		}
		tokens[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return tokens, nil
}

// lookup reads the value at the pointer in a document decoded with
// decodeJSON (objects map[string]any, arrays []any, numbers json.Number).
func lookup(doc any, p string) (any, error) {
	tokens, err := pointerTokens(p)
	if err != nil {
		return nil, err
	}
	v := doc
	for i, t := range tokens {
		at := "/" + strings.Join(escapeTokens(tokens[:i]), "/")
		if i == 0 {
			at = "the answer"
		}
		switch c := v.(type) {
		case map[string]any:
			e, ok := c[t]
			if !ok {
				return nil, fmt.Errorf("%s has no member %q", at, t)
			}
			v = e
		case []any:
			n, ok := arrayIndex(t)
			if !ok {
				return nil, fmt.Errorf("%s is an array, and %q is not an index of it", at, t)
			}
			if n >= len(c) {
				return nil, fmt.Errorf("%s has %d items, none at %d", at, len(c), n)
			}
			v = c[n]
		default:
			return nil, fmt.Errorf("%s is %s, not an object or an array", at, jsonKind(v))
		}
	}
	return v, nil
}

// arrayIndex reads an array token: decimal digits, no leading zero.
func arrayIndex(t string) (int, bool) {
	if t == "" || (len(t) > 1 && t[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(t)
	return n, err == nil
}

// escapeTokens writes tokens as they stand in a pointer.
func escapeTokens(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
	}
	return out
}

// decodeJSON reads one JSON value, its numbers as written (json.Number).
func decodeJSON(s string) (any, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err == nil {
		return nil, errors.New("more follows the first JSON value")
	}
	return v, nil
}

// jsonValid says b holds one JSON value.
func jsonValid(b []byte) bool { return json.Valid(bytes.TrimSpace(b)) }

// jsonKind names the kind of a decoded JSON value.
func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}
