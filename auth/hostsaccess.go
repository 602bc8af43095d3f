package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// HostsAccess applies tcp-wrappers' access control files, hosts.allow
// and hosts.deny, as hosts_access(5) describes them (the seed's
// tcp-wrappers statement):
//
//   - access is granted when a (daemon, client) pair matches a rule of
//     the allow file; otherwise denied when it matches a rule of the deny
//     file; otherwise granted. A missing file is an empty one.
//   - a rule is "daemon_list : client_list [ : option ... ]", continued
//     on the next line after a backslash; lines starting with '#' are
//     comments. The options extension's last option "allow" or "deny"
//     (hosts_options(5)) grants or denies whatever file the rule is in;
//     other options and shell commands are ignored, with a warning when
//     the file is read: mailgate runs no commands.
//   - lists are separated by blanks and commas; "list_1 EXCEPT list_2"
//     matches what list_1 matches unless list_2 matches it.
//   - daemon patterns: ALL, the daemon name, or name@host where host is
//     a pattern for the server's address.
//   - client patterns: ALL, LOCAL (a host name without a dot), KNOWN,
//     UNKNOWN, PARANOID (a host whose name and address disagree), a
//     ".domain" suffix, an "n.n.n." address prefix, "net/mask" or
//     "net/len", "[ipv6]/len", a name or address with '*' and '?'
//     wildcards, a "/file" of patterns, and user@host, of which only the
//     host part is checked, and only when the user part is ALL or
//     UNKNOWN (mailgate does not ask the client's user). "@netgroup"
//     (NIS) never matches.
//
// A host name is looked up (reverse, then forward to confirm it) only
// when a rule needs one. The files are read again when they change. A
// file that exists but cannot be read denies everyone, and says so in
// the log.
type HostsAccess struct {
	// Daemon is the name rules are matched against.
	Daemon string
	// AllowFile and DenyFile are the tables; usually /etc/hosts.allow and
	// /etc/hosts.deny.
	AllowFile, DenyFile string
	// LookupAddr and LookupHost resolve names; net.DefaultResolver's when
	// nil. Tests set them.
	LookupAddr func(ctx context.Context, addr string) ([]string, error)
	LookupHost func(ctx context.Context, host string) ([]string, error)
	// Logger hears of malformed lines, ignored options and denials;
	// slog.Default() when nil.
	Logger *slog.Logger

	mu    sync.Mutex
	files map[string]*hostsTable
}

// hostsTable is one access file as last read.
type hostsTable struct {
	info  os.FileInfo // nil for a missing file
	rules []hostsRule
}

// hostsRule is one rule of an access file.
type hostsRule struct {
	file    string
	line    int
	daemons []string
	clients []string
	verdict string // "allow", "deny" or "" (the file's own)
}

// hostsLookupTimeout bounds the name lookups of one check.
const hostsLookupTimeout = 3 * time.Second

// Allowed tells whether a client at client, connected to server, may be
// served, and which rule decided ("" when none matched).
func (h *HostsAccess) Allowed(ctx context.Context, client, server netip.Addr) (bool, string) {
	ctx, cancel := context.WithTimeout(ctx, hostsLookupTimeout)
	defer cancel()
	c := &hostsClient{h: h, ctx: ctx, addr: client.Unmap(), server: server.Unmap()}
	for _, f := range []struct {
		path  string
		grant bool
	}{{h.AllowFile, true}, {h.DenyFile, false}} {
		if f.path == "" {
			continue
		}
		rules, err := h.table(f.path)
		if err != nil {
			h.log().Error("auth: tcp-wrappers: cannot read an access file; denying every client", "err", err)
			return false, f.path
		}
		for _, r := range rules {
			if h.matchList(r.daemons, func(p string) bool { return c.matchDaemon(p) }) &&
				h.matchList(r.clients, func(p string) bool { return c.matchClient(p, 0) }) {
				grant := f.grant
				if r.verdict != "" {
					grant = r.verdict == "allow"
				}
				return grant, r.file + ":" + strconv.Itoa(r.line)
			}
		}
	}
	return true, ""
}

func (h *HostsAccess) log() *slog.Logger {
	if h.Logger == nil {
		return slog.Default()
	}
	return h.Logger
}

// table returns the rules of the file at p, reading it again when it
// changed.
func (h *HostsAccess) table(p string) ([]hostsRule, error) {
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if t, ok := h.files[p]; ok && t.info != nil && sameVersion(t.info, fi) {
		return t.rules, nil
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	rules, problems := parseHostsFile(data, p)
	for _, e := range problems {
		h.log().Warn("auth: tcp-wrappers: " + e.Error())
	}
	if h.files == nil {
		h.files = map[string]*hostsTable{}
	}
	h.files[p] = &hostsTable{info: fi, rules: rules}
	return rules, nil
}

// parseHostsFile parses an access file. Lines that cannot be parsed are
// skipped and reported, as tcpd skips them; so are options mailgate
// ignores.
func parseHostsFile(data []byte, file string) ([]hostsRule, []error) {
	var rules []hostsRule
	var problems []error
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		start := i + 1
		line := strings.TrimRight(lines[i], "\r")
		for strings.HasSuffix(line, "\\") && i+1 < len(lines) {
			i++
			line = line[:len(line)-1] + strings.TrimRight(lines[i], "\r")
		}
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' {
			continue
		}
		fields := splitRuleFields(t)
		if len(fields) < 2 {
			problems = append(problems, fmt.Errorf("%s:%d: want \"daemon_list : client_list\"", file, start))
			continue
		}
		r := hostsRule{file: file, line: start, daemons: listTokens(fields[0]), clients: listTokens(fields[1])}
		if len(r.daemons) == 0 || len(r.clients) == 0 {
			problems = append(problems, fmt.Errorf("%s:%d: empty daemon or client list", file, start))
			continue
		}
		options := fields[2:]
		if n := len(options); n > 0 {
			last := strings.ToLower(strings.TrimSpace(options[n-1]))
			if last == "allow" || last == "deny" {
				r.verdict = last
				options = options[:n-1]
			}
		}
		if len(options) > 0 {
			problems = append(problems, fmt.Errorf("%s:%d: options or shell command %q ignored: mailgate runs no commands",
				file, start, strings.TrimSpace(strings.Join(options, ":"))))
		}
		rules = append(rules, r)
	}
	return rules, problems
}

// splitRuleFields splits a rule at its colons, except those inside
// brackets (IPv6 addresses).
func splitRuleFields(s string) []string {
	var fields []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			if depth > 0 {
				depth--
			}
		case ':':
			if depth == 0 {
				fields = append(fields, s[start:i])
				start = i + 1
			}
		}
	}
	return append(fields, s[start:])
}

// listTokens splits a list at blanks and commas.
func listTokens(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' })
}

// matchList applies hosts_access's list matching: a pattern before the
// first EXCEPT that matches makes the list match, unless the list after
// that EXCEPT matches too.
func (h *HostsAccess) matchList(list []string, match func(string) bool) bool {
	for i, tok := range list {
		if strings.EqualFold(tok, "EXCEPT") {
			return false
		}
		if match(tok) {
			for j := i + 1; j < len(list); j++ {
				if strings.EqualFold(list[j], "EXCEPT") {
					return !h.matchList(list[j+1:], match)
				}
			}
			return true
		}
	}
	return false
}

// hostsClient is the client of one check, with its host name looked up
// when first needed.
type hostsClient struct {
	h            *HostsAccess
	ctx          context.Context
	addr, server netip.Addr
	looked       bool
	name         string // "" when unknown
	paranoid     bool   // the name found does not map back to the address
}

// hostName returns the client's confirmed host name, or "" when it has
// none or the name does not map back to its address.
func (c *hostsClient) hostName() string {
	if c.looked {
		return c.name
	}
	c.looked = true
	if !c.addr.IsValid() {
		return ""
	}
	lookupAddr, lookupHost := c.h.LookupAddr, c.h.LookupHost
	if lookupAddr == nil {
		lookupAddr = net.DefaultResolver.LookupAddr
	}
	if lookupHost == nil {
		lookupHost = net.DefaultResolver.LookupHost
	}
	names, err := lookupAddr(c.ctx, c.addr.String())
	if err != nil || len(names) == 0 {
		return ""
	}
	name := strings.ToLower(strings.TrimSuffix(names[0], "."))
	addrs, err := lookupHost(c.ctx, name)
	if err != nil {
		c.paranoid = true
		return ""
	}
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); err == nil && ip.Unmap() == c.addr {
			c.name = name
			return name
		}
	}
	c.paranoid = true
	return ""
}

// matchDaemon matches a daemon pattern: ALL, the name, or name@host.
func (c *hostsClient) matchDaemon(p string) bool {
	name, host, at := strings.Cut(p, "@")
	if !strings.EqualFold(name, "ALL") && name != c.h.Daemon {
		return false
	}
	if !at {
		return true
	}
	return c.server.IsValid() && matchAddress(host, c.server)
}

// Bounds on "/file" patterns: how deep files may name other files, and
// how large one may be.
const (
	maxPatternFileDepth = 4
	maxPatternFile      = 1 << 20
)

// matchClient matches a client pattern.
func (c *hostsClient) matchClient(p string, depth int) bool {
	switch {
	case strings.HasPrefix(p, "/"):
		return c.matchFile(p, depth)
	case strings.HasPrefix(p, "@"):
		return false // NIS netgroups are not supported
	case strings.Contains(p, "@"):
		user, host, _ := strings.Cut(p, "@")
		if !strings.EqualFold(user, "ALL") && !strings.EqualFold(user, "UNKNOWN") {
			return false
		}
		return c.matchClient(host, depth)
	}
	switch strings.ToUpper(p) {
	case "ALL":
		return true
	case "KNOWN":
		return c.addr.IsValid() && c.hostName() != ""
	case "UNKNOWN":
		return !c.addr.IsValid() || c.hostName() == ""
	case "PARANOID":
		c.hostName()
		return c.paranoid
	case "LOCAL":
		n := c.hostName()
		return n != "" && !strings.Contains(n, ".")
	}
	if !c.addr.IsValid() {
		return false
	}
	if matchAddress(p, c.addr) {
		return true
	}
	if !isHostNamePattern(p) {
		return false
	}
	n := c.hostName()
	if n == "" {
		return false
	}
	p = strings.ToLower(p)
	if strings.HasPrefix(p, ".") {
		return strings.HasSuffix(n, p)
	}
	ok, _ := path.Match(p, n)
	return ok
}

// matchFile matches the patterns listed in a file.
func (c *hostsClient) matchFile(p string, depth int) bool {
	if depth >= maxPatternFileDepth {
		return false
	}
	fi, err := os.Stat(p)
	if err == nil && (!fi.Mode().IsRegular() || fi.Size() > maxPatternFile) {
		err = fmt.Errorf("%s is not a regular file of at most %d bytes", p, maxPatternFile)
	}
	var data []byte
	if err == nil {
		data, err = os.ReadFile(p)
	}
	if err != nil {
		c.h.log().Warn("auth: tcp-wrappers: pattern file", "err", err)
		return false
	}
	for _, tok := range listTokens(string(bytes.ReplaceAll(data, []byte("\n"), []byte(" ")))) {
		if c.matchClient(tok, depth+1) {
			return true
		}
	}
	return false
}

// isHostNamePattern tells whether p can only match a host name: it has a
// letter (addresses, even IPv6 ones in brackets, are matched by
// matchAddress).
func isHostNamePattern(p string) bool {
	if strings.HasPrefix(p, "[") {
		return false
	}
	return strings.IndexFunc(p, func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_'
	}) >= 0 && !strings.Contains(p, "/")
}

// matchAddress matches an address pattern: an address, "n.n.n." prefix,
// "net/mask", "net/len", "[ipv6]" or "[ipv6]/len", or an address with '*'
// and '?' wildcards.
func matchAddress(p string, a netip.Addr) bool {
	if inner, ok := strings.CutPrefix(p, "["); ok {
		v6, rest, ok := strings.Cut(inner, "]")
		if !ok {
			return false
		}
		if rest == "" {
			ip, err := netip.ParseAddr(v6)
			return err == nil && ip.Unmap() == a
		}
		pref, err := netip.ParsePrefix(v6 + rest)
		return err == nil && pref.Contains(a)
	}
	if net, mask, ok := strings.Cut(p, "/"); ok {
		ip, err := netip.ParseAddr(net)
		if err != nil || !ip.Is4() {
			return false
		}
		bits := -1
		if m, err := netip.ParseAddr(mask); err == nil && m.Is4() {
			ones, total := netMaskBits(m)
			if ones < 0 || total != 32 {
				return false
			}
			bits = ones
		} else if n, err := strconv.Atoi(mask); err == nil && n >= 0 && n <= 32 {
			bits = n
		}
		if bits < 0 {
			return false
		}
		pref, err := ip.Prefix(bits)
		return err == nil && pref.Contains(a)
	}
	text := a.String()
	if strings.HasSuffix(p, ".") && strings.Trim(p, "0123456789.") == "" {
		return a.Is4() && strings.HasPrefix(text, p)
	}
	if strings.ContainsAny(p, "*?") {
		ok, _ := path.Match(p, text)
		return ok
	}
	ip, err := netip.ParseAddr(p)
	return err == nil && ip.Unmap() == a
}

// netMaskBits returns the prefix length of a contiguous IPv4 net mask,
// or -1 when it is not contiguous.
func netMaskBits(m netip.Addr) (ones, total int) {
	b := m.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for v&0x80000000 != 0 {
		n++
		v <<= 1
	}
	if v != 0 {
		return -1, 32
	}
	return n, 32
}
