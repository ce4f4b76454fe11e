// Package sse reads and writes Server-Sent Events. It knows only the SSE
// grammar (WHATWG HTML, "event stream interpretation"); what the data means
// is for package stream.
//
// The decoder is written here rather than taken from a library for two
// reasons: it sits on the hot path of every run (no allocation per event,
// data slices reused), and it keeps llama.cpp's non-standard "error:" field,
// which a spec-following parser drops.
package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxEventSize bounds one event's data (16 MiB): a Responses
// "response.completed" repeats the whole output and image events carry
// base64 images, so the 64 KiB of bufio.Scanner is far too small.
const DefaultMaxEventSize = 16 << 20

// ErrEventTooLarge is returned when an event or line exceeds the maximum.
var ErrEventTooLarge = errors.New("sse: event too large")

// Event is one dispatched event. Its byte slices are only valid until the
// next call to Next.
type Event struct {
	// Type is the event: field, or "" (the spec's "message").
	Type []byte
	Data []byte
	// ID is the last event ID seen so far (it persists across events).
	ID []byte
	// Error holds a non-standard "error:" field (llama.cpp), if any.
	Error []byte
	// Retry is the last valid retry: value in ms, or -1.
	Retry int
}

// Decoder reads events from a stream.
type Decoder struct {
	r       io.Reader
	buf     []byte
	start   int // unread bytes are buf[start:end]
	end     int
	max     int
	err     error // sticky read error
	started bool  // the BOM check is done
	skipLF  bool  // the previous line ended with CR: a leading LF is part of it

	typ   []byte
	data  []byte
	id    []byte
	errF  []byte
	hasD  bool
	hasE  bool
	retry int
	// dispatched: the buffers back the event last returned.
	dispatched bool

	line []byte // a line that spans reads
	// cut: the stream ended inside a line.
	cut bool
}

// Partial reports, after Next returned io.EOF, that the stream ended
// inside an event: a line with no terminator, or data or error fields
// with no blank line after them. Such a stream was cut, not ended; the
// event itself is discarded, as the spec says.
func (d *Decoder) Partial() bool { return d.cut || d.hasD || d.hasE }

// NewDecoder returns a decoder reading r; maxEventSize <= 0 means
// DefaultMaxEventSize.
func NewDecoder(r io.Reader, maxEventSize int) *Decoder {
	if maxEventSize <= 0 {
		maxEventSize = DefaultMaxEventSize
	}
	return &Decoder{r: r, buf: make([]byte, minReadBuffer), max: maxEventSize, retry: -1}
}

// The read buffer starts small (a slow stream of small events needs little,
// and a relay holds one per open stream) and doubles, up to maxReadBuffer,
// while reads fill it (a fast stream reads in bigger gulps).
const (
	minReadBuffer = 1 << 10
	maxReadBuffer = 32 << 10
)

// Buffered reports how many bytes are read but not yet decoded. Zero means
// the next Next will block on the reader: a good moment to flush.
func (d *Decoder) Buffered() int { return d.end - d.start }

// EventReady reports whether the bytes already read hold the rest of an
// event that Next will dispatch (an empty line after a data or error field;
// comments and empty events dispatch nothing), so that Next will return
// without reading. When it is false, the next Next waits for the network:
// a good moment to flush.
func (d *Decoder) EventReady() bool {
	b := d.buf[d.start:d.end]
	if d.skipLF && len(b) > 0 && b[0] == '\n' {
		b = b[1:]
	}
	// Next returns at a line start, so the bytes begin with whole lines.
	has := d.hasD || d.hasE
	for len(b) > 0 {
		i := indexEOL(b)
		if i < 0 {
			return false
		}
		switch line := b[:i]; {
		case len(line) == 0:
			if has {
				return true
			}
		case isField(line, "data"), isField(line, "error"):
			has = true
		}
		if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
			i++
		}
		b = b[i+1:]
	}
	return false
}

// isField reports whether line is the field name (with a value or not).
func isField(line []byte, name string) bool {
	return len(line) >= len(name) && string(line[:len(name)]) == name && (len(line) == len(name) || line[len(name)] == ':')
}

// Next returns the next event. At the end of the stream it returns io.EOF;
// an event not terminated by a blank line before EOF is discarded, as the
// spec says.
func (d *Decoder) Next() (Event, error) {
	if d.dispatched {
		// The last event's slices may be reused now.
		d.typ, d.data, d.errF, d.dispatched = d.typ[:0], d.data[:0], d.errF[:0], false
	}
	for {
		line, err := d.readLine()
		if err != nil {
			return Event{}, err
		}
		if len(line) == 0 {
			if !d.hasD && !d.hasE {
				d.typ = d.typ[:0]
				continue
			}
			ev := Event{Type: d.typ, ID: d.id, Retry: d.retry}
			if d.hasD {
				ev.Data = d.data[:len(d.data)-1] // drop the final LF
			}
			if d.hasE {
				ev.Error = d.errF
			}
			d.hasD, d.hasE, d.dispatched = false, false, true
			return ev, nil
		}
		if err := d.field(line); err != nil {
			return Event{}, err
		}
	}
}

func (d *Decoder) field(line []byte) error {
	if line[0] == ':' {
		return nil // comment
	}
	name, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(name) {
	case "data":
		if len(d.data)+len(value)+1 > d.max {
			return ErrEventTooLarge
		}
		d.data = append(d.data, value...)
		d.data = append(d.data, '\n')
		d.hasD = true
	case "event":
		d.typ = append(d.typ[:0], value...)
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			d.id = append(d.id[:0], value...)
		}
	case "retry":
		n := 0
		for _, c := range value {
			if c < '0' || c > '9' {
				return nil
			}
			n = n*10 + int(c-'0')
			if n > 1<<30 {
				return nil
			}
		}
		if len(value) > 0 {
			d.retry = n
		}
	case "error":
		d.errF = append(d.errF[:0], value...)
		d.hasE = true
	}
	return nil
}

// readLine returns the next line without its terminator (CR, LF or CRLF).
// The slice is valid until the next call.
func (d *Decoder) readLine() ([]byte, error) {
	d.line = d.line[:0]
	for {
		if d.start == d.end {
			if err := d.fill(); err != nil {
				if err == io.EOF && len(d.line) > 0 {
					// A last line with no terminator ends no event: drop it.
					d.line = d.line[:0]
					d.cut = true
				}
				return nil, err
			}
		}
		chunk := d.buf[d.start:d.end]
		if d.skipLF {
			d.skipLF = false
			if chunk[0] == '\n' {
				d.start++
				continue
			}
		}
		i := indexEOL(chunk)
		if i < 0 {
			if len(d.line)+len(chunk) > d.max {
				return nil, ErrEventTooLarge
			}
			d.line = append(d.line, chunk...)
			d.start = d.end
			continue
		}
		if chunk[i] == '\r' {
			if i+1 < len(chunk) {
				if chunk[i+1] == '\n' {
					d.start++
				}
			} else {
				d.skipLF = true // the LF, if any, is in the next read
			}
		}
		d.start += i + 1
		if len(d.line) == 0 {
			return chunk[:i], nil // no copy: the common case
		}
		if len(d.line)+i > d.max {
			return nil, ErrEventTooLarge
		}
		d.line = append(d.line, chunk[:i]...)
		return d.line, nil
	}
}

// indexEOL finds the first CR or LF.
func indexEOL(b []byte) int {
	// Two vectorized searches beat a loop over every byte: '\r' is rare.
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		i = len(b)
	}
	if j := bytes.IndexByte(b[:i], '\r'); j >= 0 {
		return j
	}
	if i == len(b) {
		return -1
	}
	return i
}

func (d *Decoder) fill() error {
	if d.err != nil {
		return d.err
	}
	if d.end == len(d.buf) && len(d.buf) < maxReadBuffer {
		// The last read filled the buffer: read more at once. Lines handed
		// out before keep the old buffer alive until they are dropped.
		d.buf = make([]byte, 2*len(d.buf))
	}
	d.start, d.end = 0, 0
	for {
		n, err := d.r.Read(d.buf)
		if n > 0 {
			d.end = n
			if !d.started {
				d.started = true
				if bytes.HasPrefix(d.buf[:n], []byte("\xEF\xBB\xBF")) {
					d.start = 3
				} else if n < 3 && bytes.HasPrefix([]byte("\xEF\xBB\xBF"), d.buf[:n]) {
					// A BOM split across reads: gather it first.
					return d.fillBOM(n)
				}
			}
			if err != nil {
				d.err = err
			}
			if d.start == d.end {
				if d.err != nil {
					return d.err
				}
				d.start, d.end = 0, 0 // the read was only a BOM
				continue
			}
			return nil
		}
		if err != nil {
			d.err = err
			return err
		}
	}
}

// fillBOM reads until three bytes are there to tell whether they are a BOM.
func (d *Decoder) fillBOM(n int) error {
	for n < 3 {
		m, err := d.r.Read(d.buf[n:])
		n += m
		if err != nil {
			d.err = err
			break
		}
	}
	d.end = n
	if bytes.HasPrefix(d.buf[:n], []byte("\xEF\xBB\xBF")) {
		d.start = 3
	}
	if d.start == d.end {
		if d.err != nil {
			return d.err
		}
		return d.fill()
	}
	return nil
}

// String is for debugging.
func (e Event) String() string {
	return fmt.Sprintf("event=%q id=%q data=%q", e.Type, e.ID, e.Data)
}
