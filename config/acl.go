package config

import (
	"fmt"
	"net/netip"
)

// Prefix returns the addresses the entry's From matches. For "any" it
// returns ok == false with a nil error: the entry matches every client.
func (a ACL) Prefix() (p netip.Prefix, ok bool, err error) {
	return parseACLFrom(a.From)
}

// Matches reports whether a client at addr falls under the entry. "any"
// matches every client, even one without an IP address (a unix socket,
// standard input); other entries match only IP addresses.
func (a ACL) Matches(addr netip.Addr) bool {
	p, ok, err := parseACLFrom(a.From)
	if err != nil {
		return false
	}
	if !ok {
		return true
	}
	return addr.IsValid() && p.Contains(addr.Unmap())
}

// parseACLFrom reads an ACL's from: "any", a CIDR prefix or an address.
func parseACLFrom(s string) (netip.Prefix, bool, error) {
	if s == "any" {
		return netip.Prefix{}, false, nil
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), true, nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true, nil
	}
	return netip.Prefix{}, false, fmt.Errorf("%q is not \"any\", a CIDR prefix such as \"10.0.0.0/8\" or an IP address", s)
}

// ACLAllows applies an access list to a client address: the first entry
// that matches decides; a client no entry matches is allowed.
func ACLAllows(acl []ACL, addr netip.Addr) bool {
	for _, a := range acl {
		if a.Matches(addr) {
			return a.Action == ACLAllow
		}
	}
	return true
}
