package redact

import (
	"bytes"
	"io"
)

// ValuesReader replaces, in what r reads, every occurrence of each of
// values (as sent: secret header values, which are one line of printable
// text) with Mask, also across reads: a tail that could begin a value is
// held back until the next read shows it is not one. Values shorter than
// MinKey are left alone, as keys are. With no such value r is returned as
// it is. Only the plain spelling is found; the key's Redactor knows its
// escapes.
func ValuesReader(r io.ReadCloser, values []string) io.ReadCloser {
	var vs [][]byte
	for _, v := range values {
		if len(v) >= MinKey {
			vs = append(vs, []byte(v))
		}
	}
	if len(vs) == 0 {
		return r
	}
	return &valuesReader{rc: r, values: vs}
}

type valuesReader struct {
	rc      io.ReadCloser
	values  [][]byte
	pending []byte // read, not yet known to hold no value's start
	out     []byte // ready to be returned
	err     error
	buf     [32 << 10]byte
}

func (v *valuesReader) Read(p []byte) (int, error) {
	for len(v.out) == 0 {
		if v.err != nil {
			return 0, v.err
		}
		n, err := v.rc.Read(v.buf[:])
		v.pending = append(v.pending, v.buf[:n]...)
		if err != nil {
			v.err = err
		}
		if n == 0 && err == nil {
			return 0, nil
		}
		for _, val := range v.values {
			if bytes.Contains(v.pending, val) {
				v.pending = bytes.ReplaceAll(v.pending, val, []byte(Mask))
			}
		}
		keep := 0
		if v.err == nil {
			keep = v.heldTail(v.pending)
		}
		cut := len(v.pending) - keep
		v.out = append(v.out, v.pending[:cut]...)
		v.pending = append(v.pending[:0:0], v.pending[cut:]...)
	}
	n := copy(p, v.out)
	v.out = v.out[n:]
	return n, nil
}

// heldTail is the length of the longest end of b that begins one of the
// values.
func (v *valuesReader) heldTail(b []byte) int {
	best := 0
	for _, val := range v.values {
		for k := min(len(val)-1, len(b)); k > best; k-- {
			if bytes.HasSuffix(b, val[:k]) {
				best = k
				break
			}
		}
	}
	return best
}

func (v *valuesReader) Close() error { return v.rc.Close() }
