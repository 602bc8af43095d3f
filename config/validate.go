package config

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Validate checks every value of the configuration and returns an *Error
// listing all that are wrong, or nil. For a Config from Load or Parse each
// Problem names the file and line; for one built in code they carry only
// the key.
func (c *Config) Validate() error {
	ps := &problems{src: c.src}
	c.validateTop(ps)
	c.validateServers(ps)
	c.validateMailbox(ps)
	c.validateLocking(ps)
	c.validateNamespaces(ps)
	c.validateTLS(ps)
	c.validateAuth(ps)
	c.validateAccess(ps)
	c.validateBackends(ps)
	c.validateACL(ps)
	c.validateLMTP(ps)
	c.validateProxyAuth(ps)
	return ps.err()
}

// at returns the path of a key given by its dotted parts.
func at(keys ...string) keyPath {
	var p keyPath
	for _, k := range keys {
		p = p.key(k)
	}
	return p
}

// oneOf reports v at p unless it is one of allowed.
func oneOf[T ~string](ps *problems, p keyPath, v T, allowed ...T) {
	if slices.Contains(allowed, v) {
		return
	}
	want := make([]string, len(allowed))
	for i, a := range allowed {
		want[i] = fmt.Sprintf("%q", a)
	}
	ps.add(p, "%q is not valid; want %s", v, orList(want))
}

// notNegative reports n at p if it is below zero.
func notNegative[T ~int | ~int64](ps *problems, p keyPath, n T) {
	if n < 0 {
		ps.add(p, "%d is negative", n)
	}
}

// positive reports d at p unless it is above zero.
func positive(ps *problems, p keyPath, d time.Duration) {
	if d <= 0 {
		ps.add(p, "%q must be longer than zero", d.String())
	}
}

func (c *Config) validateTop(ps *problems) {
	oneOf(ps, at("mode"), c.Mode, ModeDaemon, ModeInetd)
	notNegative(ps, at("max-children"), c.MaxChildren)
	oneOf(ps, at("session-process"), c.SessionProcess, SessionProcessAuto, SessionProcessAlways, SessionProcessNever)
	notNegative(ps, at("max-sessions-per-user"), c.MaxSessionsPerUser)
	notNegative(ps, at("hibernate-after"), c.HibernateAfter)
	notNegative(ps, at("session-memory-limit"), c.SessionMemoryLimit)
	if l := c.SessionMemoryLimit; l > 0 && l < 256<<20 {
		ps.add(at("session-memory-limit"), "%s is too small for a session process; give at least 256MiB, or 0 for no limit", l)
	}
	for i, g := range c.RetainGroups {
		if g == "" {
			ps.add(at("retain-groups").index(i), "an empty group name")
		}
	}
	switch {
	case c.DataDir == "":
		ps.add(at("data-dir"), "empty, and no default can be found (not root, and neither XDG_DATA_HOME nor HOME is set); set data-dir")
	case !filepath.IsAbs(c.DataDir):
		ps.add(at("data-dir"), "%q is not an absolute path", c.DataDir)
	}
	valid := os.ModePerm | os.ModeSetuid | os.ModeSetgid | os.ModeSticky
	if m := c.HomeDirMode.FileMode(); m&^valid != 0 {
		ps.add(at("home-dir-mode"), "%v holds bits other than permissions", m)
	}
	if _, err := ParsePreauth(c.Preauth); err != nil {
		ps.addErr(at("preauth"), err)
	}
	if c.IdentEncryptOnly && c.IdentKeyFile == "" {
		ps.add(at("ident-encrypt-only"), "true needs ident-keyfile, the key that decrypts the replies")
	}
	for i, a := range c.IdentServerAddresses {
		if ip, err := netip.ParseAddr(a); err != nil || !ip.Unmap().Is4() {
			ps.add(at("ident-server-addresses").index(i), "%q is not an IPv4 address (encrypted ident replies name IPv4 addresses only)", a)
		}
	}
	seen := map[string]bool{}
	if len(c.IDFields) > 30 {
		ps.add(at("id-fields"), "%d fields; RFC 2971 allows at most 30", len(c.IDFields))
	}
	for i, f := range c.IDFields {
		p := at("id-fields").index(i)
		_, _, custom, err := IDField(f)
		switch {
		case err != nil:
			ps.addErr(p, err)
		case custom:
		case !contains(idFieldNames(), f):
			ps.add(p, "%q is not an ID field; want %s, or \"NAME=VALUE\"", f, orList(quoteAll(idFieldNames())))
		case seen[f]:
			ps.add(p, "%q is listed twice", f)
		}
		seen[f] = true
	}
	positive(ps, at("shutdown-grace"), c.ShutdownGrace)
	c.validateLogging(ps)
	c.validateMetrics(ps)
}

// validateMetrics checks [metrics]: a host:port, on loopback unless
// allow-remote.
func (c *Config) validateMetrics(ps *problems) {
	m := c.Metrics
	if m.Listen == "" {
		return
	}
	if _, port, err := net.SplitHostPort(m.Listen); err != nil || port == "" {
		ps.add(at("metrics", "listen"), "%q is not host:port, such as \"127.0.0.1:9154\"", m.Listen)
		return
	}
	if !m.AllowRemote && !loopbackHostPort(m.Listen) {
		ps.add(at("metrics", "listen"), "%q is not a loopback address; the metrics tell of users' activity: listen on 127.0.0.1 or ::1, or set allow-remote = true", m.Listen)
	}
}

func (c *Config) validateLogging(ps *problems) {
	l := c.Logging
	oneOf(ps, at("logging", "level"), l.Level, LogDebug, LogInfo, LogWarn, LogError)
	oneOf(ps, at("logging", "format"), l.Format, LogText, LogJSON)
	switch d := l.Destination; {
	case d == LogStderr || d == LogSyslog:
	case !filepath.IsAbs(d):
		ps.add(at("logging", "destination"), "%q is not valid; want \"stderr\", \"syslog\" or the absolute path of a file", d)
	case filepath.Clean(d) != d || strings.HasSuffix(d, "/"):
		ps.add(at("logging", "destination"), "%q is not a clean file path", d)
	}
	if _, ok := SyslogFacility(l.SyslogFacility); !ok {
		ps.add(at("logging", "syslog-facility"), "%q is not a syslog facility; want %s", l.SyslogFacility, orList(quoteAll(syslogFacilityNames())))
	}
}
