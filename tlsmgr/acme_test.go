package tlsmgr

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/tlsmgr/tlsmgrtest"
)

const testDomain = "mail.example.org"

// certEvent is a certmagic event the tests wait for.
type certEvent struct {
	name    string
	renewal bool
	err     error
}

// newACMEManager builds a Manager for testDomain against p, with fresh
// storage; mod adjusts the options.
func newACMEManager(t *testing.T, p *tlsmgrtest.Pebble, mod func(*Options)) (*Manager, chan certEvent) {
	t.Helper()
	events := make(chan certEvent, 100)
	opts := Options{
		ACME: ACMEOptions{
			Domains: []string{testDomain},
			Email:   "postmaster@example.org",
			CA:      p.Directory,
			CARoot:  p.CARoot,
			Profile: "default",
			Storage: acmeStorage(t),
		},
		Logger: testLogger(t),
		onEvent: func(event string, data map[string]any) {
			name, _ := data["identifier"].(string)
			renewal, _ := data["renewal"].(bool)
			switch event {
			case "cached_managed_cert":
				// After "cert_obtained" comes the cache, which handshakes use.
				sans, _ := data["sans"].([]string)
				for _, n := range sans {
					events <- certEvent{name: n}
				}
			case "cert_failed":
				err, _ := data["error"].(error)
				events <- certEvent{name: name, renewal: renewal, err: fmt.Errorf("obtaining %s: %v", name, err)}
			}
		},
	}
	if mod != nil {
		mod(&opts)
	}
	m, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return m, events
}

// waitObtained waits for name's certificate to be in the cache that
// handshakes use, failing on an error.
func waitObtained(t *testing.T, events chan certEvent, name string) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.err != nil {
				t.Fatal(ev.err)
			}
			if ev.name == name {
				return
			}
		case <-deadline:
			t.Fatalf("no certificate for %s", name)
		}
	}
}

// startManager starts m and stops it at the end of the test.
// acmeStorage is a new directory for a manager's ACME storage, removed
// after the test. certmagic's goroutines (an order against a CA that
// never answers, its locks) may still write there for a moment after
// Stop, which made t.TempDir's cleanup fail with "directory not empty":
// the removal is tried again for a while instead.
func acmeStorage(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tlsmgr-acme-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var err error
		for range 100 {
			if err = os.RemoveAll(dir); err == nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Errorf("removing the ACME storage: %v", err)
	})
	return dir
}

func startManager(t *testing.T, m *Manager) {
	t.Helper()
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
}

// newHTTP01Manager is newACMEManager answering HTTP-01 only, on a
// loopback port of its own.
func newHTTP01Manager(t *testing.T, mod func(*Options)) (*tlsmgrtest.Pebble, *Manager, chan certEvent) {
	t.Helper()
	httpPort := tlsmgrtest.FreePort(t)
	p := tlsmgrtest.StartPebble(t, httpPort, 1)
	m, events := newACMEManager(t, p, func(o *Options) {
		o.ACME.Challenges = []string{HTTP01}
		o.ACME.HTTPAddress = "127.0.0.1:" + strconv.Itoa(httpPort)
		if mod != nil {
			mod(o)
		}
	})
	return p, m, events
}

// dialIMAP connects as an IMAP client would, verifying testDomain's
// certificate against Pebble's root and asking for ALPN imap.
func dialIMAP(t *testing.T, addr string, p *tlsmgrtest.Pebble) *tls.Conn {
	t.Helper()
	c, _, err := dialTLS(t, addr, &tls.Config{RootCAs: p.Roots, ServerName: testDomain, NextProtos: []string{"imap"}})
	if err != nil {
		t.Fatalf("verified handshake: %v", err)
	}
	if got := c.ConnectionState().NegotiatedProtocol; got != "imap" {
		t.Errorf("ALPN = %q, want imap", got)
	}
	return c
}

// TestACMEHTTP01: a certificate obtained through a real HTTP-01
// validation is served on the TLS listener and verifies against Pebble's
// root, with ALPN imap; a client without SNI gets it too.
func TestACMEHTTP01(t *testing.T) {
	p, m, events := newHTTP01Manager(t, nil)
	addr := serveTLS(t, m.TLSConfig("imap"))
	startManager(t, m)
	waitObtained(t, events, testDomain)

	dialIMAP(t, addr, p)
	verifyServed(t, addr, "", testDomain, p.Roots)
	if ln, err := net.Listen("tcp", m.opts.ACME.HTTPAddress); err != nil {
		t.Errorf("the HTTP-01 responder still holds its port after the challenge: %v", err)
	} else {
		ln.Close()
	}
}

// TestACMETLSALPN01: the challenge is answered by the "IMAPS" listener
// itself, through the tls.Config TLSConfig("imap") returned; then a forced
// renewal swaps the certificate in without a restart, and a connection
// opened before goes on working.
func TestACMETLSALPN01(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := tlsmgrtest.StartPebble(t, 1, ln.Addr().(*net.TCPAddr).Port)
	m, events := newACMEManager(t, p, func(o *Options) {
		o.ACME.Challenges = []string{TLSALPN01}
		o.ACME.TLSALPNAddress = ln.Addr().String()
	})
	cfg := m.TLSConfig("imap")
	if want := []string{"imap", ACMETLS1}; strings.Join(cfg.NextProtos, ",") != strings.Join(want, ",") {
		t.Fatalf("NextProtos = %q, want %q", cfg.NextProtos, want)
	}
	addr := serveTLSOn(t, ln, cfg)
	startManager(t, m)
	waitObtained(t, events, testDomain)

	old := dialIMAP(t, addr, p)
	first := old.ConnectionState().PeerCertificates[0]

	if err := m.Renew(context.Background()); err != nil {
		t.Fatal(err)
	}
	second := verifyServed(t, addr, testDomain, testDomain, p.Roots)
	if second.SerialNumber.Cmp(first.SerialNumber) == 0 {
		t.Fatal("Renew did not swap the certificate")
	}
	if noSNI := verifyServed(t, addr, "", testDomain, p.Roots); noSNI.SerialNumber.Cmp(second.SerialNumber) != 0 {
		t.Error("a client without SNI still gets the old certificate")
	}
	echo(t, old)
}

// TestACMEOnDemand: a name the allow list accepts gets a certificate
// during its first handshake; another name gets the default one.
func TestACMEOnDemand(t *testing.T) {
	p, m, events := newHTTP01Manager(t, func(o *Options) {
		o.ACME.OnDemand = AllowList([]string{"*.example.org"})
	})
	addr := serveTLS(t, m.TLSConfig("imap"))
	startManager(t, m)
	waitObtained(t, events, testDomain)

	verifyServed(t, addr, "imap.example.org", "imap.example.org", p.Roots)
	if got := servedLeaf(t, addr, "imap.example.net").DNSNames; len(got) != 1 || got[0] != testDomain {
		t.Errorf("a name outside the allow list got %v, want the default %s", got, testDomain)
	}
}

// TestACMEStaticAndACME: with both, ACME's names get ACME's certificate
// and other names the static one.
func TestACMEStaticAndACME(t *testing.T) {
	f := newStaticFiles(t)
	p, m, events := newHTTP01Manager(t, func(o *Options) {
		o.CertificateFile, o.KeyFile = f.cert, f.key
	})
	addr := serveTLS(t, m.TLSConfig("imap"))
	if cn := servedLeaf(t, addr, testDomain).Subject.CommonName; cn != "one.example.org" {
		t.Errorf("before Start, %s got %s, want the static certificate", testDomain, cn)
	}
	startManager(t, m)
	waitObtained(t, events, testDomain)
	verifyServed(t, addr, testDomain, testDomain, p.Roots)
	verifyServed(t, addr, "", testDomain, p.Roots)
	if cn := servedLeaf(t, addr, "one.example.org").Subject.CommonName; cn != "one.example.org" {
		t.Errorf("one.example.org got %s, want the static certificate", cn)
	}
}

// TestACMEDNS01Exec: the exec hook is run as "present <fqdn> <value>" and
// "cleanup <fqdn> <value>"; the record it publishes (here through a file
// the DNS stub serves) is validated by Pebble for real.
func TestACMEDNS01Exec(t *testing.T) {
	p := tlsmgrtest.StartPebble(t, 1, 1)
	dir := t.TempDir()
	hookLog := filepath.Join(dir, "hook.log")
	hook := filepath.Join(dir, "hook")
	script := fmt.Sprintf(`#!/bin/sh
echo "$*" >> %[1]s
case "$1" in
present) echo "$2 $3" >> %[2]s ;;
cleanup) grep -v -F "$2 $3" %[2]s > %[2]s.new; mv %[2]s.new %[2]s ;;
*) exit 2 ;;
esac
`, hookLog, p.DNS.TXTFile)
	if err := os.WriteFile(hook, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	m, events := newACMEManager(t, p, func(o *Options) {
		o.ACME.Challenges = []string{DNS01}
		o.ACME.DNSProvider = "exec"
		o.ACME.DNSSettings = map[string]string{"command": hook}
		o.ACME.DNSResolvers = []string{p.DNS.Addr}
		o.ACME.DNSPropagationTimeout = -1
	})
	addr := serveTLS(t, m.TLSConfig("imap"))
	startManager(t, m)
	waitObtained(t, events, testDomain)
	verifyServed(t, addr, testDomain, testDomain, p.Roots)

	b, err := os.ReadFile(hookLog)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("hook calls:\n%s", b)
	}
	present, cleanup := strings.Fields(lines[0]), strings.Fields(lines[1])
	fqdn := "_acme-challenge." + testDomain + "."
	if len(present) != 3 || present[0] != "present" || present[1] != fqdn || len(present[2]) != 43 {
		t.Errorf("present call %q, want present %s <43-character value>", lines[0], fqdn)
	}
	if len(cleanup) != 3 || cleanup[0] != "cleanup" || cleanup[1] != fqdn || cleanup[2] != present[2] {
		t.Errorf("cleanup call %q, want the present call's arguments", lines[1])
	}
}

// TestACMEDNS01RFC2136: a wildcard certificate through DNS-01, with the
// record added by a TSIG-signed RFC 2136 update to the DNS stub.
func TestACMEDNS01RFC2136(t *testing.T) {
	p := tlsmgrtest.StartPebble(t, 1, 1)
	m, events := newACMEManager(t, p, func(o *Options) {
		o.ACME.Domains = []string{"*.example.org"}
		o.ACME.Challenges = []string{DNS01}
		o.ACME.DNSProvider = "rfc2136"
		o.ACME.DNSSettings = map[string]string{"server": p.DNS.Addr, "key-name": "tlsmgr-test", "key": p.DNS.TSIG["tlsmgr-test."]}
		o.ACME.DNSResolvers = []string{p.DNS.Addr}
		o.ACME.DNSPropagationTimeout = -1
	})
	addr := serveTLS(t, m.TLSConfig("imap"))
	startManager(t, m)
	waitObtained(t, events, "*.example.org")
	verifyServed(t, addr, "imap.example.org", "imap.example.org", p.Roots)
	verifyServed(t, addr, "", "anything.example.org", p.Roots)
}
