package config

import (
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"

	"github.com/mailgate/mailgate/tlsmgr"
)

func (c *Config) validateServers(ps *problems) {
	// A daemon that only answers nginx and Postfix for other nodes needs
	// no IMAP listener of its own.
	proxyOnly := c.ProxyAuth.Listen != "" || c.ProxyAuth.SocketmapListen != ""
	if c.Mode == ModeDaemon && len(c.Servers) == 0 && !proxyOnly {
		ps.add(at("server"), "daemon mode needs at least one [[server]] to listen on")
	}
	seen := map[string]int{}
	for i, s := range c.Servers {
		p := at("server").index(i)
		if err := checkHostPort(s.Address); err != nil {
			ps.addErr(p.key("address"), err)
		} else if j, dup := seen[s.Address]; dup {
			ps.add(p.key("address"), "%q is already the address of [[server]] number %d", s.Address, j+1)
		} else {
			seen[s.Address] = i
		}
		if !s.TLSMode.Valid() {
			ps.add(p.key("tls-mode"), "%v is not valid; want \"no\", \"ondemand\", \"required\" or \"connection\"", s.TLSMode)
		} else if s.TLSMode == tlsmgr.ModeRequired && s.AllowPlaintext {
			// As Dovecot refuses auth_allow_cleartext with ssl = required.
			ps.add(p.key("allow-plaintext"), "true has no effect with tls-mode = \"required\", which refuses every login before STARTTLS; remove one of them")
		}
		notNegative(ps, p.key("timeout"), s.Timeout)
		positive(ps, p.key("login-timeout"), s.LoginTimeout)
		positive(ps, p.key("write-timeout"), s.WriteTimeout)
		if s.MaxLineLength < 8192 {
			ps.add(p.key("max-line-length"), "%d is too small; accept at least 8192 bytes (RFC 7162, section 4)", s.MaxLineLength)
		}
		if s.MaxLiteralSize < 1 {
			ps.add(p.key("max-literal-size"), "%d is too small; it must be at least 1 byte", s.MaxLiteralSize)
		}
		notNegative(ps, p.key("max-connections-per-address"), s.MaxConnectionsPerAddress)
		notNegative(ps, p.key("max-auth-failures"), s.MaxAuthFailures)
		for _, tp := range s.TrustedProxies {
			if _, err := parsePrefix(tp); err != nil {
				ps.add(p.key("trusted-proxies"), "%q is not an address or a CIDR prefix, such as \"10.0.0.5\" or \"10.0.0.0/24\"", tp)
			}
		}
		notNegative(ps, p.key("command-rate"), s.CommandRate)
	}
}

// checkHostPort checks a listening address, host:port.
func checkHostPort(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port, such as \"127.0.0.1:143\" or \"[::]:993\"", addr)
	}
	if !isPort(port) {
		return fmt.Errorf("%q: port %q is not a number from 0 to 65535 or a service name", addr, port)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("%q: host %q is not a host name or an IP address", addr, host)
	}
	return nil
}

func (c *Config) validateACL(ps *problems) {
	for i, a := range c.ACL {
		p := at("acl").index(i)
		if a.Action == "" {
			ps.add(p.key("action"), "missing; want \"allow\" or \"deny\"")
		} else {
			oneOf(ps, p.key("action"), a.Action, ACLAllow, ACLDeny)
		}
		if a.From == "" {
			ps.add(p.key("from"), "missing; want a CIDR prefix, an address or \"any\"")
		} else if _, _, err := parseACLFrom(a.From); err != nil {
			ps.addErr(p.key("from"), err)
		}
	}
}

func (c *Config) validateLMTP(ps *problems) {
	seen := map[string]bool{}
	for i, l := range c.LMTP.Listen {
		p := at("lmtp", "listen").index(i)
		switch {
		case seen[l]:
			ps.add(p, "%q is listed twice", l)
		case strings.HasPrefix(l, "/"):
			if filepath.Clean(l) != l {
				ps.add(p, "%q is not a clean socket path", l)
			}
		default:
			if err := checkHostPort(l); err != nil {
				ps.add(p, "%v; want an absolute unix socket path or host:port", err)
			}
		}
		seen[l] = true
	}
	l := c.LMTP
	if m := l.SocketMode.FileMode(); m&^0o777 != 0 {
		ps.add(at("lmtp", "socket-mode"), "%q has bits beyond the permissions; want three octal digits such as \"660\"", l.SocketMode)
	}
	for i, d := range l.Domains {
		if d == "" || strings.ContainsAny(d, " \t@<>") {
			ps.add(at("lmtp", "domains").index(i), "%q is not a domain name", d)
		}
	}
	for _, r := range l.RecipientDelimiter {
		if r <= ' ' || r == 0x7f || r == '@' || r == '"' {
			ps.add(at("lmtp", "recipient-delimiter"), "%q cannot separate a detail; use characters such as \"+\" or \"-\"", l.RecipientDelimiter)
			break
		}
	}
	if l.MaxMessageSize <= 0 {
		ps.add(at("lmtp", "max-message-size"), "must be above zero")
	}
	positive(ps, at("lmtp", "timeout"), l.Timeout)
	if l.DeliveryProcesses < 0 {
		ps.add(at("lmtp", "delivery-processes"), "must not be negative; 0 is four per CPU")
	}
	positive(ps, at("lmtp", "delivery-wait"), l.DeliveryWait)
}

// parsePrefix parses an address ("10.0.0.5", one host) or a CIDR prefix.
func parsePrefix(s string) (netip.Prefix, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	return p.Masked(), err
}

// TrustedProxyPrefixes returns trusted-proxies, which Validate checked,
// as prefixes.
func (s Server) TrustedProxyPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, tp := range s.TrustedProxies {
		if p, err := parsePrefix(tp); err == nil {
			out = append(out, p)
		}
	}
	return out
}
