package handlers

import (
	"net"
	"testing"
	"time"
)

// TestLimitPerIP: past n connections from one address, new ones are
// closed at once; a closed one (however often it is closed) frees its
// place.
func TestLimitPerIP(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := LimitPerIP(inner, 2)
	defer ln.Close()
	accepted := make(chan net.Conn, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	dial := func() net.Conn {
		c, err := net.DialTimeout("tcp", inner.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// Closed: the read ends before the deadline with an error other than
	// the deadline's. A connection expected closed is given long, one
	// expected open a moment (an open one always waits it out).
	closedWithin := func(c net.Conn, d time.Duration) bool {
		c.SetReadDeadline(time.Now().Add(d))
		_, err := c.Read(make([]byte, 1))
		ne, timeout := err.(net.Error)
		return err != nil && !(timeout && ne.Timeout())
	}
	a, b := dial(), dial()
	sa, sb := <-accepted, <-accepted
	third := dial()
	if !closedWithin(third, 5*time.Second) {
		t.Fatal("a third connection from one address was kept")
	}
	if closedWithin(a, 200*time.Millisecond) || closedWithin(b, 200*time.Millisecond) {
		t.Fatal("the first two were closed")
	}
	sa.Close()
	sa.Close() // a second close gives nothing back twice, and does not panic
	fourth := dial()
	s4 := <-accepted
	if closedWithin(fourth, 200*time.Millisecond) {
		t.Fatal("a place freed by a close was not given again")
	}
	if fifth := dial(); !closedWithin(fifth, 5*time.Second) {
		t.Fatal("a double close gave its place back twice")
	}
	sb.Close()
	s4.Close()
	for _, c := range []net.Conn{a, b, third, fourth} {
		c.Close()
	}
	if got := connKey(&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:3:4:5:6"), Port: 9}); got != "2001:db8:1:2::/64" {
		t.Errorf("IPv6 key %q", got)
	}
}
