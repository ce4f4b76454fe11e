// Package netguard keeps connections to addresses a person supplies (the
// base URL of a provider they add) away from the server's own network:
// loopback, private, link-local, cloud metadata and every other
// special-purpose range. The check runs on the address actually dialled,
// after DNS resolution, so a hostname that resolves to 127.0.0.1 is refused
// as surely as the literal. The IANA ranges come from code.dny.dev/ssrf.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"

	"code.dny.dev/ssrf"

	"github.com/playground-dev/playground/web/problem"
)

// Error is a refused address, with why in words a person understands.
type Error struct {
	Addr   string
	Reason string
}

func (e *Error) Error() string { return e.Addr + " is " + e.Reason }

// Guard vets addresses. The zero value is not usable; call New.
type Guard struct {
	g *ssrf.Guardian
	// Resolve looks a host up (net.DefaultResolver.LookupNetIP by default);
	// tests replace it.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
}

// New returns a guard that allows any port and only public unicast
// addresses.
func New() *Guard {
	return &Guard{
		g: ssrf.New(ssrf.WithAnyPort()),
		Resolve: func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		},
	}
}

// Control is a net.Dialer Control function: it refuses to connect to a
// forbidden address.
func (g *Guard) Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &Error{Addr: address, Reason: "not an IP address and port"}
	}
	if network != "tcp4" && network != "tcp6" {
		return &Error{Addr: address, Reason: "not reached over TCP"}
	}
	return g.Check(ap.Addr())
}

// Check reports whether ip may be connected to.
func (g *Guard) Check(ip netip.Addr) error {
	if err := g.g.SafeAddr(ip); err != nil {
		return &Error{Addr: ip.String(), Reason: reason(ip)}
	}
	return nil
}

// CheckURL checks a base URL before it is used: the scheme, and every
// address its host resolves to now. It gives a person an early, clear
// answer; Control is what actually holds at connect time (DNS can change).
// A refusal is a *problem.Error of kind Invalid, in the person's words.
func (g *Guard) CheckURL(ctx context.Context, raw string) error {
	if err := g.checkURL(ctx, raw); err != nil {
		return &problem.Error{Kind: problem.KindInvalid, Message: "Not allowed: " + err.Error() + ".", Err: err}
	}
	return nil
}

func (g *Guard) checkURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("want an http:// or https:// URL")
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return g.Check(ip)
	}
	addrs, err := g.Resolve(ctx, host)
	if err != nil {
		return fmt.Errorf("could not resolve %s", host)
	}
	for _, a := range addrs {
		if err := g.Check(a); err != nil {
			return fmt.Errorf("%s resolves to %w", host, err)
		}
	}
	return nil
}

// reason names the kind of address ip is, for the message.
func reason(ip netip.Addr) string {
	v4 := ip.Unmap()
	switch {
	case ip.Is4In6():
		return "an IPv4-mapped IPv6 address (" + v4.String() + "), which is not allowed"
	case v4 == netip.MustParseAddr("169.254.169.254") || ip == netip.MustParseAddr("fd00:ec2::254") || v4 == netip.MustParseAddr("100.100.100.200"):
		return "a cloud metadata address"
	case v4.IsLoopback():
		return "a loopback address"
	case v4.IsPrivate():
		return "a private network address"
	case v4.IsMulticast():
		return "a multicast address"
	case v4.IsLinkLocalUnicast():
		return "a link-local address"
	case v4.IsUnspecified():
		return "the unspecified address"
	}
	return "a reserved or non-public address"
}
