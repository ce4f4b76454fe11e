package handlers

import (
	"net"
	"net/netip"
	"sync"
)

// LimitPerIP wraps ln so that one client address (an IPv6 /64) holds at
// most n connections at once: past that, a new one is closed as soon as it
// is accepted. n <= 0 returns ln. (fasthttp's own MaxConnsPerIP closes a
// connection twice when the server shuts down, and panics; v1.51.)
func LimitPerIP(ln net.Listener, n int) net.Listener {
	if n <= 0 {
		return ln
	}
	return &perIPListener{Listener: ln, max: n, open: map[string]int{}}
}

type perIPListener struct {
	net.Listener
	max  int
	mu   sync.Mutex
	open map[string]int
}

func (l *perIPListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key := connKey(c.RemoteAddr())
		l.mu.Lock()
		ok := l.open[key] < l.max
		if ok {
			l.open[key]++
		}
		l.mu.Unlock()
		if ok {
			return &countedConn{Conn: c, release: func() { l.release(key) }}, nil
		}
		c.Close()
	}
}

func (l *perIPListener) release(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[key]--; l.open[key] <= 0 {
		delete(l.open, key)
	}
}

// connKey is the address a connection counts under.
func connKey(a net.Addr) string {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return a.String()
	}
	ip := ap.Addr().Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// countedConn gives its place back once, however often it is closed.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
