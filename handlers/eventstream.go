package handlers

import (
	"io"
	"reflect"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/views"
	"github.com/playground-dev/playground/web/run"
	"github.com/playground-dev/playground/web/sse"
)

// eventData is an event's payload as the browser gets it: the failure,
// meta and done events carry what views rendered of them, which the panel
// inserts (views.Event).
// The done event of a live run is rendered from its outcome, not decoded
// again from the event.
func eventData(rn run.Log, e run.Event) []byte {
	if e.Name == "done" {
		if o, ok := rn.Ended(); ok {
			return views.DoneEventOf(&o, e.Data)
		}
	}
	return views.Event(e.Name, e.Data)
}

// poll appends to buf what a browser event stream has new and says whether
// the stream is over; when nothing is new, the stream waits on more (any
// of them closing means there may be something).
type poll func(buf []byte) (out []byte, more []<-chan struct{}, done bool)

// streamEvents answers with an event stream that fasthttp's connection
// goroutine pulls: each Read returns what is new or waits for it, so an
// open stream costs no goroutine, pipe or write buffer of its own (which
// SetBodyStreamWriter would add), and events reach the socket in one write
// per batch. watch runs at the first read and its release when the stream
// ends, however it ends.
func streamEvents(c *fiber.Ctx, closed <-chan struct{}, watch func() (release func()), p poll) {
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no")
	c.Context().SetBodyStream(&eventBody{poll: p, closed: closed, watch: watch}, -1)
}

// eventBody is the io.ReadCloser behind streamEvents.
type eventBody struct {
	poll    poll
	closed  <-chan struct{}
	watch   func() (release func())
	release func()
	tick    *time.Ticker
	buf     []byte
	pending []byte
	done    bool
}

func (b *eventBody) Read(p []byte) (int, error) {
	if b.tick == nil {
		// The first read answers at once (a comment when nothing is new),
		// so the headers leave with it.
		b.tick = time.NewTicker(keepAlive)
		if b.watch != nil {
			b.release = b.watch()
		}
		b.fill()
		if len(b.pending) == 0 && !b.done {
			b.pending = sse.AppendComment(b.buf[:0], "ok")
		}
	}
	for len(b.pending) == 0 {
		if b.done {
			return 0, io.EOF
		}
		more := b.fill()
		if len(b.pending) > 0 || b.done {
			continue
		}
		switch wait(more, b.closed, b.tick.C) {
		case waitClosed:
			return 0, io.EOF
		case waitTick:
			b.pending = sse.AppendComment(b.buf[:0], "keep-alive")
		}
	}
	n := copy(p, b.pending)
	b.pending = b.pending[n:]
	if len(b.pending) == 0 {
		b.putBuf()
	}
	return n, nil
}

// fill polls into a buffer from the pool.
func (b *eventBody) fill() []<-chan struct{} {
	if b.buf == nil {
		if pb, ok := eventBufs.Get().(*[]byte); ok {
			b.buf = (*pb)[:0]
		}
	}
	out, more, done := b.poll(b.buf[:0])
	b.buf, b.pending, b.done = out, out, done
	if len(out) == 0 {
		b.putBuf()
	}
	return more
}

// eventBufs are the buffers streams format their events in: a stream
// holds one only while it has something to write, so a thousand streams
// waiting for their next token hold none.
var eventBufs sync.Pool

// putBuf gives the stream's buffer back to the pool; one grown past
// maxBatch (a batch of long events) is left to the collector.
func (b *eventBody) putBuf() {
	if b.buf == nil || cap(b.buf) > 2*maxBatch {
		b.buf = nil
		return
	}
	buf := b.buf[:0]
	b.buf, b.pending = nil, nil
	eventBufs.Put(&buf)
}

// Close ends the stream: fasthttp calls it when the body is written or the
// browser has gone.
func (b *eventBody) Close() error {
	b.putBuf()
	if b.tick != nil {
		b.tick.Stop()
	}
	if b.release != nil {
		b.release()
		b.release = nil
	}
	return nil
}

const (
	waitMore = iota
	waitClosed
	waitTick
)

// wait blocks until one of more closes, the server closes or the ticker
// ticks.
func wait(more []<-chan struct{}, closed <-chan struct{}, tick <-chan time.Time) int {
	if len(more) == 1 {
		select {
		case <-more[0]:
			return waitMore
		case <-closed:
			return waitClosed
		case <-tick:
			return waitTick
		}
	}
	cases := make([]reflect.SelectCase, 0, len(more)+2)
	cases = append(cases,
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(closed)},
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(tick)})
	for _, m := range more {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(m)})
	}
	switch chosen, _, _ := reflect.Select(cases); chosen {
	case 0:
		return waitClosed
	case 1:
		return waitTick
	}
	return waitMore
}
