package sse

import (
	"bytes"
	"strconv"
)

// AppendEvent appends one event in SSE framing to dst: "id:", "event:" and
// one "data:" line per line of data, then a blank line. An empty name or an
// id < 0 is left out.
func AppendEvent(dst []byte, id int, name string, data []byte) []byte {
	if id >= 0 {
		dst = append(dst, "id: "...)
		dst = strconv.AppendInt(dst, int64(id), 10)
		dst = append(dst, '\n')
	}
	return appendNameData(dst, name, data)
}

// AppendEventID is AppendEvent with a text id (no line breaks, no NUL:
// the caller's own format).
func AppendEventID(dst []byte, id, name string, data []byte) []byte {
	if id != "" {
		dst = append(dst, "id: "...)
		dst = append(dst, id...)
		dst = append(dst, '\n')
	}
	return appendNameData(dst, name, data)
}

func appendNameData(dst []byte, name string, data []byte) []byte {
	if name != "" {
		dst = append(dst, "event: "...)
		dst = append(dst, name...)
		dst = append(dst, '\n')
	}
	for {
		i := bytes.IndexAny(data, "\r\n")
		dst = append(dst, "data: "...)
		if i < 0 {
			dst = append(dst, data...)
			dst = append(dst, '\n')
			break
		}
		dst = append(dst, data[:i]...)
		dst = append(dst, '\n')
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	return append(dst, '\n')
}

// AppendComment appends a ": text" comment line and a blank line (used as a
// keep-alive).
func AppendComment(dst []byte, text string) []byte {
	dst = append(dst, ": "...)
	dst = append(dst, text...)
	return append(dst, "\n\n"...)
}
