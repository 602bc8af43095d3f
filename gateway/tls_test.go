package gateway_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/gateway"
	"github.com/mailgate/mailgate/tlsmgr/tlsmgrtest"
)

// serverName is the name on the tests' certificates.
const serverName = "mail.example.org"

// pair is a certificate and key written for a test.
type pair struct {
	cert, key string
	serial    *big.Int
}

// writePair writes a certificate for serverName signed by ca, and its
// key, into dir (made if need be).
func writePair(t *testing.T, ca *tlsmgrtest.CA, dir string) pair {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	c, k := ca.Issue(t, serverName, x509.ExtKeyUsageServerAuth)
	p := pair{cert: filepath.Join(dir, "cert.pem"), key: filepath.Join(dir, "key.pem")}
	tlsmgrtest.WriteFile(t, p.cert, c, 0o644)
	tlsmgrtest.WriteFile(t, p.key, k, 0o600)
	b, _ := pem.Decode(c)
	leaf, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	p.serial = leaf.SerialNumber
	return p
}

// tlsSection is a [tls] table naming p.
func tlsSection(p pair) string {
	return "[tls]\ncertificate-file = " + quote(p.cert) + "\nkey-file = " + quote(p.key) + "\n"
}

// dialTLS connects to an implicit-TLS listener from the loopback address
// from ("" for any), verifying serverName's certificate against roots
// and asking for ALPN imap, and reads the greeting.
func dialTLS(t *testing.T, addr, from string, roots *x509.CertPool) *client {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	c, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{RootCAs: roots, ServerName: serverName, NextProtos: []string{"imap"}})
	if err != nil {
		t.Fatalf("TLS to %s: %v", addr, err)
	}
	if p := c.ConnectionState().NegotiatedProtocol; p != "imap" {
		t.Errorf("ALPN %q, want imap", p)
	}
	return greeted(t, c, addr)
}

// startTLS upgrades c with STARTTLS, verifying the certificate.
func (c *client) startTLS(roots *x509.CertPool) {
	c.t.Helper()
	if l := c.cmd("st STARTTLS"); !strings.HasPrefix(l, "st OK") {
		c.t.Fatalf("STARTTLS: %q", l)
	}
	tc := tls.Client(c.conn, &tls.Config{RootCAs: roots, ServerName: serverName, NextProtos: []string{"imap"}})
	if err := tc.Handshake(); err != nil {
		c.t.Fatalf("STARTTLS handshake: %v", err)
	}
	c.conn, c.r = tc, bufio.NewReader(tc)
}

// serial returns the serial number of the certificate c's server showed.
func (c *client) serial() *big.Int {
	return c.conn.(*tls.Conn).ConnectionState().PeerCertificates[0].SerialNumber
}

// capability returns the CAPABILITY line.
func (c *client) capability() string {
	c.t.Helper()
	lines := commandLines(c.t, c.conn, c.r, "cap CAPABILITY")
	if !strings.HasPrefix(lines[len(lines)-1], "cap OK") || !strings.HasPrefix(lines[0], "* CAPABILITY ") {
		c.t.Fatalf("CAPABILITY: %q", lines)
	}
	return lines[0] + " "
}

func (c *client) login(password string) {
	c.t.Helper()
	if l := c.cmd("li LOGIN " + gateway.FirstUser + " " + quote(password)); !strings.HasPrefix(l, "li OK") {
		c.t.Fatalf("LOGIN: %q", l)
	}
}

// TestTLSModes: the four tls-modes of [[server]], each on its own
// listener of one gateway with a [tls] certificate (issue 9, section 1).
func TestTLSModes(t *testing.T) {
	ca := tlsmgrtest.NewCA(t, "test CA")
	p := writePair(t, ca, filepath.Join(t.TempDir(), "tls"))
	var text string
	for i, mode := range []string{"no", "ondemand", "required", "connection"} {
		text += fmt.Sprintf("[[server]]\naddress = \"127.0.0.%d:0\"\ntls-mode = %q\n", i+1, mode)
	}
	tg := startGateway(t, text+tlsSection(p))
	roots := ca.Pool()

	t.Run("no", func(t *testing.T) {
		c := dial(t, tg.addrs[0], "")
		if caps := c.capability(); strings.Contains(caps, "STARTTLS") {
			t.Errorf("CAPABILITY %q", caps)
		}
		if l := c.cmd("s STARTTLS"); !strings.HasPrefix(l, "s NO") {
			t.Errorf("STARTTLS on a plaintext listener: %q", l)
		}
		c.login(tg.password)
	})
	t.Run("ondemand", func(t *testing.T) {
		c := dial(t, tg.addrs[1], "")
		if caps := c.capability(); !strings.Contains(caps, " STARTTLS ") || strings.Contains(caps, "XTLSREQUIRED") {
			t.Errorf("CAPABILITY %q", caps)
		}
		// A command sent behind STARTTLS, before the handshake, could
		// have been injected by a man in the middle: refused.
		lines := commandLines(t, c.conn, c.r, "i STARTTLS\r\nj NOOP")
		if !strings.HasPrefix(lines[0], "i BAD") {
			t.Fatalf("pipelined STARTTLS: %q", lines)
		}
		c.startTLS(roots)
		if caps := c.capability(); strings.Contains(caps, "STARTTLS") {
			t.Errorf("CAPABILITY after STARTTLS %q", caps)
		}
		if c.serial().Cmp(p.serial) != 0 {
			t.Error("STARTTLS did not show the [tls] certificate")
		}
		c.login(tg.password)
	})
	t.Run("required", func(t *testing.T) {
		c := dial(t, tg.addrs[2], "")
		// As imap4d 3.15: XTLSREQUIRED, and no password before TLS even
		// on loopback.
		if caps := c.capability(); !strings.Contains(caps, " XTLSREQUIRED STARTTLS ") || !strings.Contains(caps, "LOGINDISABLED") {
			t.Errorf("CAPABILITY %q", caps)
		}
		if l := c.cmd("b LOGIN " + gateway.FirstUser + " " + quote(tg.password)); !strings.HasPrefix(l, "b NO [PRIVACYREQUIRED]") {
			t.Errorf("LOGIN before STARTTLS: %q", l)
		}
		c.startTLS(roots)
		if caps := c.capability(); strings.Contains(caps, "TLSREQUIRED") || strings.Contains(caps, "STARTTLS") {
			t.Errorf("CAPABILITY after STARTTLS %q", caps)
		}
		c.login(tg.password)
	})
	t.Run("connection", func(t *testing.T) {
		c := dialTLS(t, tg.addrs[3], "", roots)
		if !strings.HasPrefix(c.greeting, "* OK") {
			t.Fatalf("greeting %q", c.greeting)
		}
		if caps := c.capability(); strings.Contains(caps, "STARTTLS") || strings.Contains(caps, "LOGINDISABLED") {
			t.Errorf("CAPABILITY %q", caps)
		}
		c.login(tg.password)
	})
}

// TestServerCertificate: a [[server]] that names its own certificate
// serves it; the others serve [tls]'s.
func TestServerCertificate(t *testing.T) {
	ca := tlsmgrtest.NewCA(t, "test CA")
	dir := t.TempDir()
	main, own := writePair(t, ca, filepath.Join(dir, "main")), writePair(t, ca, filepath.Join(dir, "own"))
	tg := startGateway(t, "[[server]]\naddress = \"127.0.0.1:0\"\ntls-mode = \"connection\"\n"+
		"[[server]]\naddress = \"127.0.0.2:0\"\ntls-mode = \"connection\"\ncertificate-file = "+quote(own.cert)+"\nkey-file = "+quote(own.key)+"\n"+
		tlsSection(main))
	if got := dialTLS(t, tg.addrs[0], "", ca.Pool()).serial(); got.Cmp(main.serial) != 0 {
		t.Error("the first listener does not serve [tls]'s certificate")
	}
	if got := dialTLS(t, tg.addrs[1], "", ca.Pool()).serial(); got.Cmp(own.serial) != 0 {
		t.Error("the second listener does not serve its own certificate")
	}
}

// TestReload: Reload (what SIGHUP does) swaps the certificate for new
// connections while a session opened before goes on with the old one; a
// new pair that does not load leaves the one in use. The files change as
// certbot's or a Kubernetes secret's do, by replacing a symbolic link to
// their directory, which the file watcher does not see: only Reload
// notices.
func TestReload(t *testing.T) {
	ca := tlsmgrtest.NewCA(t, "test CA")
	base := t.TempDir()
	one, two := writePair(t, ca, filepath.Join(base, "v1")), writePair(t, ca, filepath.Join(base, "v2"))
	live := filepath.Join(base, "live")
	point := func(target string) {
		t.Helper()
		tmp := live + ".new"
		os.Remove(tmp)
		if err := os.Symlink(target, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, live); err != nil {
			t.Fatal(err)
		}
	}
	point("v1")
	tg := startGateway(t, "[[server]]\naddress = \"127.0.0.1:0\"\ntls-mode = \"connection\"\n"+
		tlsSection(pair{cert: filepath.Join(live, "cert.pem"), key: filepath.Join(live, "key.pem")}))
	roots := ca.Pool()

	old := dialTLS(t, tg.addrs[0], "", roots)
	old.login(tg.password)
	if old.serial().Cmp(one.serial) != 0 {
		t.Fatal("the first certificate is not served")
	}
	point("v2")
	if dialTLS(t, tg.addrs[0], "", roots).serial().Cmp(one.serial) != 0 {
		t.Fatal("the certificate changed before Reload")
	}
	if err := tg.g.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if dialTLS(t, tg.addrs[0], "", roots).serial().Cmp(two.serial) != 0 {
		t.Error("a new connection after Reload does not get the new certificate")
	}
	if l := old.cmd("n NOOP"); !strings.HasPrefix(l, "n OK") || old.serial().Cmp(one.serial) != 0 {
		t.Errorf("the session opened before Reload: %q", l)
	}

	// A key that does not match: refused, the second pair stays.
	bad := writePair(t, ca, filepath.Join(base, "v3"))
	k, _ := os.ReadFile(one.key)
	tlsmgrtest.WriteFile(t, bad.key, k, 0o600)
	point("v3")
	if err := tg.g.Reload(); err == nil || !strings.Contains(err.Error(), "private key does not match") {
		t.Errorf("Reload of a mismatched pair: %v", err)
	}
	if dialTLS(t, tg.addrs[0], "", roots).serial().Cmp(two.serial) != 0 {
		t.Error("a refused pair replaced the certificate in use")
	}
}

// TestImplicitTLSRefusal: on an implicit-TLS listener, a client refused by
// the access list or by the session limits hears why from the IMAP
// frontend, over TLS, after the handshake (issue 9, section 0).
func TestImplicitTLSRefusal(t *testing.T) {
	ca := tlsmgrtest.NewCA(t, "test CA")
	p := writePair(t, ca, filepath.Join(t.TempDir(), "tls"))
	tg := startGateway(t, "max-children = 1\n[[acl]]\naction = \"deny\"\nfrom = \"127.0.0.2\"\n"+
		"[[server]]\naddress = \"127.0.0.1:0\"\ntls-mode = \"connection\"\n"+tlsSection(p))
	roots := ca.Pool()
	if c := dialTLS(t, tg.addrs[0], "127.0.0.2", roots); c.greeting != "* BYE Access denied" {
		t.Errorf("denied client: %q", c.greeting)
	}
	held := dialTLS(t, tg.addrs[0], "", roots)
	if !strings.HasPrefix(held.greeting, "* OK") {
		t.Fatalf("first client: %q", held.greeting)
	}
	if c := dialTLS(t, tg.addrs[0], "127.0.0.3", roots); c.greeting != "* BYE Too many sessions; try again later" {
		t.Errorf("client over max-children: %q", c.greeting)
	}
}

// TestACMEOnIMAPSListener: with [tls.acme] and TLS-ALPN-01 alone, the
// gateway's own IMAPS listener answers the challenge (Pebble connects to
// it with ALPN acme-tls/1), then serves the certificate obtained: a
// client verifies it against Pebble's root, with ALPN imap (issue 9,
// sections 4 and 5, through the gateway).
func TestACMEOnIMAPSListener(t *testing.T) {
	if testing.Short() {
		t.Skip("obtains a certificate from Pebble")
	}
	port := tlsmgrtest.FreePort(t)
	pebble := tlsmgrtest.StartPebble(t, 1, port) // no HTTP-01
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	tg := startGateway(t, fmt.Sprintf(`[[server]]
address = %q
tls-mode = "connection"
[tls.acme]
domains = [%q]
email = "postmaster@example.org"
ca = %q
ca-root = %q
profile = "default"
challenges = ["tls-alpn-01"]
tls-alpn-address = %q
`, addr, serverName, pebble.Directory, pebble.CARoot, addr))

	// The certificate arrives in the background: until then, handshakes
	// fail for want of one.
	deadline := time.Now().Add(60 * time.Second)
	var c *tls.Conn
	for {
		var err error
		c, err = tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", tg.addrs[0],
			&tls.Config{RootCAs: pebble.Roots, ServerName: serverName, NextProtos: []string{"imap"}})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no certificate from Pebble within 60s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	defer c.Close()
	if p := c.ConnectionState().NegotiatedProtocol; p != "imap" {
		t.Errorf("ALPN %q, want imap", p)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if l, err := bufio.NewReader(c).ReadString('\n'); !strings.HasPrefix(l, "* OK") {
		t.Errorf("greeting over the ACME certificate: %q, %v", l, err)
	}
	if files, _ := filepath.Glob(filepath.Join(tg.dir, "acme", "certificates", "*", serverName, serverName+".crt")); len(files) != 1 {
		t.Errorf("the certificate is not kept under <data-dir>/acme: %v", files)
	}
}
