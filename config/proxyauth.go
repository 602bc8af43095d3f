package config

import (
	"net/netip"
	"path"
	"strings"
	"time"
)

// ProxyAuth is the [proxy-auth] table, mailgate's own: the endpoints that
// let nginx's mail proxy and Postfix spread users over several mailgate
// nodes, each user's mail on one node (see docs/scale-out.md).
type ProxyAuth struct {
	// Listen is where nginx's auth_http requests are answered
	// (host:port); "" (the default) serves none.
	Listen string `toml:"listen"`
	// SocketmapListen is where Postfix's socketmap lookups are answered
	// (host:port); "" (the default) serves none.
	SocketmapListen string `toml:"socketmap-listen"`
	// Secret, or the first line of SecretFile, must arrive in the
	// X-Auth-Key header (nginx's auth_http_header); "" asks for none,
	// which only a Listen on a loopback address may do.
	Secret     string `toml:"secret"`
	SecretFile string `toml:"secret-file"`
	// OwnersFile lists "user node" lines that override the patterns and
	// the hashing; it is read again when it changes. "" means none.
	OwnersFile string `toml:"owners-file"`
	// CheckTimeout bounds the connection made to the owner node before
	// a login is routed to it, so that the users of a node that is down
	// get a clean failure; "0s" skips the check. Default 1s.
	CheckTimeout time.Duration `toml:"check-timeout"`
	// MaxAttempts is the login attempt of one connection from which a
	// failure makes nginx close it. Default 5.
	MaxAttempts int `toml:"max-attempts"`
	// Nodes are the [[proxy-auth.node]] tables.
	Nodes []ProxyNode `toml:"node"`
}

// ProxyNode is one [[proxy-auth.node]] table: a mailgate node and the
// users it owns. A table starts from [DefaultProxyNode].
type ProxyNode struct {
	// Name identifies the node in the owners file and in the hashing.
	// Required, unique.
	Name string `toml:"name"`
	// IMAP is the node's IMAP address as nginx reaches it, an IP
	// address and a port (nginx takes no host name here). Required.
	IMAP string `toml:"imap"`
	// POP3 is the node's POP3 address; "" when it serves none.
	POP3 string `toml:"pop3"`
	// LMTP is where Postfix delivers the node's mail: host:port or an
	// absolute unix socket path; "" when the socketmap is not used.
	LMTP string `toml:"lmtp"`
	// Users are patterns of user names the node owns ("*", "?" and
	// "[a-f]" as in shell globs, without regard to case).
	Users []string `toml:"users"`
	// Hash puts the node among those that the remaining users are
	// spread over by rendezvous hashing. Default true.
	Hash bool `toml:"hash"`
}

// DefaultProxyNode returns the values of a [[proxy-auth.node]] table that
// sets nothing: it takes hashed users.
func DefaultProxyNode() ProxyNode { return ProxyNode{Users: []string{}, Hash: true} }

func (c *Config) validateProxyAuth(ps *problems) {
	pa := c.ProxyAuth
	base := at("proxy-auth")
	for _, l := range []struct{ key, addr string }{{"listen", pa.Listen}, {"socketmap-listen", pa.SocketmapListen}} {
		if l.addr == "" {
			continue
		}
		if err := checkHostPort(l.addr); err != nil {
			ps.addErr(base.key(l.key), err)
		} else if l.key == "listen" && pa.Secret == "" && pa.SecretFile == "" && !loopbackHostPort(l.addr) {
			// The endpoint checks passwords for whoever asks and keys the
			// login throttle on the Client-IP header it is sent: open to
			// others, it lets anyone guess passwords without limit and
			// block any user.
			ps.add(base.key(l.key), "%q is not a loopback address, and no secret is set: anyone who reaches it could check passwords without limit; set secret or secret-file (nginx: auth_http_header X-Auth-Key), or listen on 127.0.0.1 or ::1", l.addr)
		}
		if len(pa.Nodes) == 0 {
			ps.add(base.key(l.key), "needs at least one [[proxy-auth.node]] to route to")
		}
	}
	if pa.Secret != "" && pa.SecretFile != "" {
		ps.add(base.key("secret-file"), "set secret or secret-file, not both")
	}
	absolutePath(ps, base.key("secret-file"), pa.SecretFile, false)
	absolutePath(ps, base.key("owners-file"), pa.OwnersFile, false)
	notNegative(ps, base.key("check-timeout"), pa.CheckTimeout)
	if pa.MaxAttempts < 1 {
		ps.add(base.key("max-attempts"), "%d is too small; at least 1", pa.MaxAttempts)
	}
	names := map[string]int{}
	for i, n := range pa.Nodes {
		p := base.key("node").index(i)
		switch j, dup := names[n.Name]; {
		case n.Name == "":
			ps.add(p.key("name"), "missing; every node needs a name")
		case strings.ContainsAny(n.Name, " \t#"):
			ps.add(p.key("name"), "%q: a node name has no blanks and no '#'", n.Name)
		case dup:
			ps.add(p.key("name"), "%q is already the name of node number %d", n.Name, j+1)
		default:
			names[n.Name] = i
		}
		if n.IMAP == "" {
			ps.add(p.key("imap"), "missing; the node's IMAP address, such as \"10.0.0.2:143\"")
		} else if _, err := netip.ParseAddrPort(n.IMAP); err != nil {
			ps.add(p.key("imap"), "%q is not an IP address and port, such as \"10.0.0.2:143\" (nginx takes no host name here)", n.IMAP)
		}
		if _, err := netip.ParseAddrPort(n.POP3); n.POP3 != "" && err != nil {
			ps.add(p.key("pop3"), "%q is not an IP address and port, such as \"10.0.0.2:110\"", n.POP3)
		}
		switch {
		case n.LMTP == "":
		case strings.HasPrefix(n.LMTP, "/"):
			if path.Clean(n.LMTP) != n.LMTP {
				ps.add(p.key("lmtp"), "%q is not a clean socket path", n.LMTP)
			}
		default:
			if err := checkHostPort(n.LMTP); err != nil {
				ps.add(p.key("lmtp"), "%v; want host:port or an absolute unix socket path", err)
			}
		}
		if pa.SocketmapListen != "" && n.LMTP == "" {
			ps.add(p.key("lmtp"), "missing; socketmap-listen routes mail to each node's LMTP address")
		}
		for _, u := range n.Users {
			if _, err := path.Match(u, ""); err != nil {
				ps.add(p.key("users"), "pattern %q: %v", u, err)
			}
		}
	}
}
