// Package redact removes an API key from what a provider sends back. It is
// the one home of "the spellings of a key": a provider that echoes the key
// may send it as is, JSON-escaped (sk\u002d…, \/), URL-encoded (%2D…),
// as HTML character references (&#45;, &#x2d;), base64-encoded, or cut
// into pieces that arrive in separate deltas. Every place that redacts
// (browser events, the run's output, the transcript, the inspector's
// headers and raw events, the history) goes through a Redactor.
package redact

import (
	"bytes"
	"encoding/base64"
	"strings"
	"unsafe"
)

// MinKey is the shortest key that is redacted: a shorter one (a test
// value, a placeholder) would match ordinary text everywhere.
const MinKey = 8

// Mask replaces every spelling of the key.
const Mask = "[redacted]"

// Redactor finds the spellings of one key, and of the other secrets it
// was given (a provider's secret header values): every one of them in all
// the spellings a key has. The zero value and nil redact nothing.
type Redactor struct {
	key string
	// also are the redactors of the other secrets, applied after this
	// one's key.
	also []*Redactor
	// first holds the bytes a spelling can start with: the key's first
	// byte and the escape characters.
	first string
	// b64 are the base64 cores of the key (both alphabets, every
	// alignment): any base64 text that encodes the key contains one.
	b64 []string
	// span is the longest a spelling can be, in bytes.
	span int
}

// New returns the redactor of key and of the other secrets; a secret
// shorter than MinKey is not redacted (it would match ordinary text
// everywhere).
func New(key string, secrets ...string) *Redactor {
	r := single(key)
	for _, s := range secrets {
		if len(s) >= MinKey && s != key {
			r.also = append(r.also, single(s))
		}
	}
	return r
}

// single is the redactor of one key.
func single(key string) *Redactor {
	if len(key) < MinKey {
		return &Redactor{}
	}
	r := &Redactor{key: key, first: string(key[0]) + `\%&`}
	r.span = len(key) * maxUnit
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for off := range 3 {
			if core := base64Core(enc, key, off); len(core) >= MinKey {
				r.b64 = append(r.b64, core)
			}
		}
	}
	return r
}

// maxUnit is the longest spelling of one byte this package knows
// (&#x0002d; is 9; a few more backslashes before \u00XX are allowed).
const maxUnit = 12

// base64Core is the part of base64(pad + key + …) that depends only on the
// key's bytes, where pad is off bytes: the quanta that hold key bytes
// alone.
func base64Core(enc *base64.Encoding, key string, off int) string {
	s := enc.EncodeToString(append(make([]byte, off), key...))
	start := 0
	if off > 0 {
		start = 4
	}
	end := 4 * ((off + len(key)) / 3)
	if end <= start {
		return ""
	}
	return s[start:end]
}

// Active reports whether r redacts anything.
func (r *Redactor) Active() bool { return r != nil && (r.key != "" || len(r.also) > 0) }

// String returns s with every spelling of the key replaced by Mask.
func (r *Redactor) String(s string) string {
	if !r.Active() {
		return s
	}
	if r.key != "" {
		out, held := r.scan(s, false)
		s = r.base64(out + held)
	}
	for _, o := range r.also {
		s = o.String(s)
	}
	return s
}

// Bytes is String for a byte slice; b is returned as is when nothing
// matched.
func (r *Redactor) Bytes(b []byte) []byte {
	if !r.Active() {
		return b
	}
	if len(b) == 0 {
		return b
	}
	// Scanned in place: a copy only when something is replaced.
	s := unsafe.String(unsafe.SliceData(b), len(b))
	if out := r.String(s); unsafe.StringData(out) != unsafe.StringData(s) || len(out) != len(s) {
		return []byte(out)
	}
	return b
}

func (r *Redactor) base64(s string) string {
	for _, core := range r.b64 {
		if strings.Contains(s, core) {
			s = strings.ReplaceAll(s, core, Mask)
		}
	}
	return s
}

// scan redacts s. With hold, a tail of s that could be the start of a
// spelling of the key is not in out but returned as held; without it,
// held is always empty.
func (r *Redactor) scan(s string, hold bool) (out, held string) {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		j := strings.IndexAny(s[i:], r.first)
		if j < 0 {
			break
		}
		i += j
		end, st := r.matchAt(s, i)
		switch {
		case st == matched:
			b.WriteString(s[last:i])
			b.WriteString(Mask)
			i, last = end, end
			continue
		case st == partial && hold:
			// The rest of s may become the key: keep it back.
			if last == 0 && b.Len() == 0 {
				return s[:i], s[i:]
			}
			b.WriteString(s[last:i])
			return b.String(), s[i:]
		}
		i++
	}
	if last == 0 {
		return s, ""
	}
	b.WriteString(s[last:])
	return b.String(), ""
}

const (
	nomatch = iota
	matched
	partial // s ended while it still spelled the key
)

// matchAt reports whether a spelling of the key starts at s[i], and where
// it ends.
func (r *Redactor) matchAt(s string, i int) (int, int) {
	p := i
	for j := 0; j < len(r.key); j++ {
		if p >= len(s) {
			return 0, partial
		}
		n, st := unit(s[p:], r.key[j])
		if st != matched {
			return 0, st
		}
		p += n
	}
	return p, matched
}

// unit reports whether s starts with a spelling of the byte k, and its
// length: k itself, a JSON escape (\u00XX, any number of backslashes
// before it, as in JSON inside JSON; \/ and \"), a URL escape (%XX) or an
// HTML character reference (&#DD; or &#xHH;).
func unit(s string, k byte) (int, int) {
	switch c := s[0]; {
	case c == k:
		return 1, matched
	case c == '\\':
		b := 1
		for b < len(s) && s[b] == '\\' && b < maxUnit {
			b++
		}
		if b == len(s) {
			return 0, partial
		}
		switch s[b] {
		case 'u':
			v, n, st := hexDigits(s[b+1:], 4)
			if st != matched {
				return 0, st
			}
			if v != int(k) {
				return 0, nomatch
			}
			return b + 1 + n, matched
		case k:
			if k == '/' || k == '"' {
				return b + 1, matched
			}
		}
		return 0, nomatch
	case c == '%':
		v, n, st := hexDigits(s[1:], 2)
		if st != matched {
			return 0, st
		}
		if v != int(k) {
			return 0, nomatch
		}
		return 1 + n, matched
	case c == '&':
		return entity(s, k)
	}
	return 0, nomatch
}

// hexDigits reads exactly n hex digits.
func hexDigits(s string, n int) (int, int, int) {
	v := 0
	for i := range n {
		if i >= len(s) {
			return 0, 0, partial
		}
		d := hexVal(s[i])
		if d < 0 {
			return 0, 0, nomatch
		}
		v = v*16 + d
	}
	return v, n, matched
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// entity reads &#DD; or &#xHH; spelling k.
func entity(s string, k byte) (int, int) {
	p := 1
	if p >= len(s) {
		return 0, partial
	}
	if s[p] != '#' {
		return 0, nomatch
	}
	p++
	if p >= len(s) {
		return 0, partial
	}
	base := 10
	if s[p] == 'x' || s[p] == 'X' {
		base = 16
		p++
	}
	v, digits := 0, 0
	for ; p < len(s) && digits <= 8; p++ {
		c := s[p]
		if c == ';' {
			if digits == 0 || v != int(k) {
				return 0, nomatch
			}
			return p + 1, matched
		}
		d := hexVal(c)
		if d < 0 || d >= base {
			return 0, nomatch
		}
		v = v*base + d
		digits++
		if v > 0x10FFFF {
			return 0, nomatch
		}
	}
	if p >= len(s) {
		return 0, partial
	}
	return 0, nomatch
}

// Stream redacts one channel of text that arrives in pieces (an answer's
// text, its reasoning, a tool call's arguments): a key cut across two
// pieces is still found. Write holds back the tail that could be the
// start of the key; Flush returns it once the channel ends, however it
// ends. The zero value with a nil Redactor passes text through.
type Stream struct {
	R    *Redactor
	held string
}

// Write takes the next piece and returns what can be shown now.
func (st *Stream) Write(s string) string {
	if !st.R.Active() {
		return s
	}
	if st.held != "" {
		s = st.held + s
	}
	out, held := st.R.hold(s)
	st.held = held
	return st.R.base64(out)
}

// hold splits s into what can be shown now (redacted, but for the key's
// base64) and a tail of s that could still become a spelling of the key
// or of another secret.
func (r *Redactor) hold(s string) (out, held string) {
	out = s
	if r.key != "" {
		out, held = r.holdKey(s)
	}
	for _, o := range r.also {
		var h string
		out, h = o.holdKey(out)
		out = o.base64(out)
		held = h + held
	}
	return out, held
}

// holdKey is hold for the key alone: plain, escaped or base64, the longer
// of the two kinds of tail is held.
func (r *Redactor) holdKey(s string) (out, held string) {
	// Whole base64 spellings first: one may end in the key's first byte,
	// which the plain scan would hold alone, letting the rest out.
	s = r.base64(s)
	out, held = r.scan(s, true)
	if len(r.b64) == 0 {
		return out, held
	}
	// What follows the last Mask is s as it came (a Mask holds no base64
	// run: its brackets are not in the alphabet).
	combined := out + held
	if k := r.base64Tail(combined); k > len(held) {
		out, held = combined[:len(combined)-k], combined[len(combined)-k:]
	}
	return out, held
}

// base64Tail is the length of the longest end of s that begins a base64
// core of the key (0 when none does).
func (r *Redactor) base64Tail(s string) int {
	best := 0
	for _, core := range r.b64 {
		for k := min(len(core)-1, len(s)); k > best; k-- {
			if strings.HasSuffix(s, core[:k]) {
				best = k
				break
			}
		}
	}
	return best
}

// Held is the text held back so far.
func (st *Stream) Held() string { return st.held }

// Flush returns the held tail (it is not the key: the key would have been
// matched whole) and empties it.
func (st *Stream) Flush() string {
	h := st.held
	st.held = ""
	return h
}

// Contains reports whether b holds a spelling of the key.
func (r *Redactor) Contains(b []byte) bool {
	if !r.Active() {
		return false
	}
	return !bytes.Equal(r.Bytes(b), b)
}

// Tokens redacts a channel that arrives as tokens (token probabilities):
// toks are the tokens held back so far followed by the new ones, read as
// one text, so a key spread over several tokens is found. Where a
// spelling of the key starts, that token reads Mask in its place; the
// rest of the spelling is removed from the tokens it covers. out holds
// every token so redacted; ready is how many of the first may be shown
// now. The others reach where the text could still become the key: the
// caller holds them, as out has them (a spelling they finish is already
// removed), for the next call. With final, every token is ready.
func (r *Redactor) Tokens(toks []string, final bool) (out []string, ready int) {
	out = make([]string, len(toks))
	copy(out, toks)
	ready = len(toks)
	if !r.Active() {
		return out, ready
	}
	if r.key != "" {
		out, ready = r.tokensKey(toks, final)
	}
	for _, o := range r.also {
		var rd int
		out, rd = o.tokensKey(out, final)
		ready = min(ready, rd)
	}
	return out, ready
}

// tokensKey is Tokens for the key alone.
func (r *Redactor) tokensKey(toks []string, final bool) (out []string, ready int) {
	out = make([]string, len(toks))
	joined := strings.Join(toks, "")
	holdAt, ready := len(joined), len(toks)
	if !final {
		_, held := r.holdKey(joined)
		holdAt -= len(held)
	}
	spans := r.spans(joined)
	pos, sp := 0, 0
	var b strings.Builder
	for k, t := range toks {
		end := pos + len(t)
		if end > holdAt && ready == len(toks) {
			ready = k
		}
		b.Reset()
		for i := pos; i < end; {
			for sp < len(spans) && spans[sp][1] <= i {
				sp++
			}
			switch {
			case sp < len(spans) && i == spans[sp][0]:
				b.WriteString(Mask)
				i = min(spans[sp][1], end)
			case sp < len(spans) && i > spans[sp][0]:
				i = min(spans[sp][1], end) // inside a spelling begun in an earlier token
			default:
				next := end
				if sp < len(spans) && spans[sp][0] < end {
					next = spans[sp][0]
				}
				b.WriteString(joined[i:next])
				i = next
			}
		}
		out[k] = r.String(b.String()) // spellings inside one token
		pos = end
	}
	return out, ready
}
