package imap_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/tlsmgr"
)

// selfSigned returns a server TLS configuration for 127.0.0.1.
func selfSigned(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mailgate test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

// With tls-mode "required", passwords wait for STARTTLS even on loopback.
func TestStartTLSRequired(t *testing.T) {
	cfg := selfSigned(t)
	e := startServer(t, func(o *imap.Options) { o.TLSConfig = cfg; o.TLSMode = tlsmgr.ModeRequired })
	c := e.raw()
	u := c.ok("a CAPABILITY")
	if !strings.Contains(u[0], " XTLSREQUIRED STARTTLS") || !strings.Contains(u[0], "LOGINDISABLED") || strings.Contains(u[0], "AUTH=") {
		t.Errorf("CAPABILITY before STARTTLS: %q; want XTLSREQUIRED STARTTLS, as imap4d 3.15", u[0])
	}
	_, done := c.do("b LOGIN alice secret")
	if !strings.HasPrefix(done, "b NO [PRIVACYREQUIRED]") {
		t.Errorf("LOGIN before STARTTLS: %q", done)
	}
	c.ok("c STARTTLS")
	tc := tls.Client(c.conn, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	c.conn, c.r = tc, bufio.NewReader(tc)
	u = c.ok("d CAPABILITY")
	if strings.Contains(u[0], "STARTTLS") || strings.Contains(u[0], "XTLSREQUIRED") || strings.Contains(u[0], "LOGINDISABLED") || !strings.Contains(u[0], "AUTH=PLAIN") {
		t.Errorf("CAPABILITY after STARTTLS: %q", u[0])
	}
	c.ok("e LOGIN alice secret")
}

// tls-mode "required" authenticates nobody before STARTTLS, by any
// mechanism: before, SCRAM (which sends no password) and ANONYMOUS stayed
// offered, and logged in, and the whole session then ran in the clear on
// a listener the administrator set to require TLS. As Dovecot's ssl =
// required: no AUTH= before STARTTLS, NO [PRIVACYREQUIRED] to every
// AUTHENTICATE whatever its mechanism, and allow-plaintext does not
// weaken it. After STARTTLS the mechanisms are back.
func TestStartTLSRequiredRefusesEveryMechanism(t *testing.T) {
	ca := newAuthCA(t)
	keys, _ := auth.HashSCRAM("secret")
	e := startServer(t, func(o *imap.Options) {
		withSASL("SCRAM-SHA-256", "EXTERNAL", "PLAIN", "ANONYMOUS")(o)
		o.SASL.AnonymousUser = "alice"
		o.TLSConfig, o.TLSMode = ca.serverTLS(t), tlsmgr.ModeRequired
		o.AllowPlaintext = true
	})
	e.setUsers("alice:" + keys + ":::" + filepath.Join(e.root, "alice"))
	c := e.raw()
	if u := c.ok("a CAPABILITY"); strings.Contains(u[0], "AUTH=") || !strings.Contains(u[0], "LOGINDISABLED") {
		t.Errorf("CAPABILITY before STARTTLS on a tls-mode required listener: %q; want no AUTH= and LOGINDISABLED", u[0])
	}
	if done := c.scramLogin("SCRAM-SHA-256", "alice", "secret", nil); !strings.HasPrefix(done, "x NO [PRIVACYREQUIRED]") {
		t.Errorf("SCRAM before STARTTLS: %q", done)
	}
	for _, cmd := range []string{
		"b AUTHENTICATE ANONYMOUS " + b64("someone"),
		"c AUTHENTICATE EXTERNAL =",
		"d AUTHENTICATE PLAIN " + b64("\x00alice\x00secret"),
		"e AUTHENTICATE PLAIN",
		"f AUTHENTICATE X-UNKNOWN",
		"g LOGIN alice secret",
	} {
		tag, _, _ := strings.Cut(cmd, " ")
		if _, done := c.do(cmd); !strings.HasPrefix(done, tag+" NO [PRIVACYREQUIRED]") {
			t.Errorf("%s before STARTTLS: %q", cmd, done)
		}
	}
	c.ok("h STARTTLS")
	tc := tls.Client(c.conn, &tls.Config{RootCAs: ca.pool, ServerName: "127.0.0.1"})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	c.conn, c.r = tc, bufio.NewReader(tc)
	if u := c.ok("i CAPABILITY"); !strings.Contains(u[0], "AUTH=SCRAM-SHA-256 AUTH=PLAIN AUTH=ANONYMOUS") {
		t.Errorf("CAPABILITY after STARTTLS: %q", u[0])
	}
	if done := c.scramLogin("SCRAM-SHA-256", "alice", "secret", nil); !strings.HasPrefix(done, "x OK") {
		t.Errorf("SCRAM after STARTTLS: %q", done)
	}
}

// go-imap's client negotiates STARTTLS and implicit TLS with us.
func TestTLSWithImapclient(t *testing.T) {
	cfg := selfSigned(t)
	client := &imapclient.Options{TLSConfig: &tls.Config{InsecureSkipVerify: true}}
	e := startServer(t, func(o *imap.Options) { o.TLSConfig = cfg; o.TLSMode = tlsmgr.ModeOnDemand })
	c, err := imapclient.DialStartTLS(e.addr, client)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("alice", "secret").Wait(); err != nil {
		t.Fatalf("login after STARTTLS: %v", err)
	}
	e2 := startServer(t, func(o *imap.Options) { o.TLSConfig = cfg; o.TLSMode = tlsmgr.ModeConnection })
	c2, err := imapclient.DialTLS(e2.addr, client)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Login("bob", "secret").Wait(); err != nil {
		t.Fatalf("login over implicit TLS: %v", err)
	}
	if _, err := c2.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
}

// XTLSREQUIRED is imap4d's word for required mode alone: ondemand offers
// STARTTLS without it.
func TestStartTLSOnDemandCapability(t *testing.T) {
	cfg := selfSigned(t)
	e := startServer(t, func(o *imap.Options) { o.TLSConfig = cfg; o.TLSMode = tlsmgr.ModeOnDemand })
	u := e.raw().ok("a CAPABILITY")
	if !strings.Contains(u[0], "STARTTLS") || strings.Contains(u[0], "XTLSREQUIRED") {
		t.Errorf("CAPABILITY in ondemand mode: %q", u[0])
	}
}

// Refuse answers with BYE in place of the greeting, on one line whatever
// the reason holds, and over TLS on an implicit-TLS server, after the
// handshake.
func TestRefuse(t *testing.T) {
	cfg := selfSigned(t)
	for _, tt := range []struct {
		mode tlsmgr.Mode
		dial func(addr string) (net.Conn, error)
	}{
		{tlsmgr.ModeNo, func(addr string) (net.Conn, error) { return net.Dial("tcp", addr) }},
		{tlsmgr.ModeConnection, func(addr string) (net.Conn, error) {
			return tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
		}},
	} {
		srv := imap.New(&imap.Options{TLSConfig: cfg, TLSMode: tt.mode})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			if c, err := ln.Accept(); err == nil {
				srv.Refuse(c, "Too many\r\nsessions")
			}
		}()
		c, err := tt.dial(ln.Addr().String())
		if err != nil {
			t.Fatalf("%v: %v", tt.mode, err)
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(c)
		line, err := r.ReadString('\n')
		if line != "* BYE Too many  sessions\r\n" {
			t.Errorf("%v: %q, %v", tt.mode, line, err)
		}
		if more, err := r.ReadString('\n'); err == nil {
			t.Errorf("%v: after BYE, %q", tt.mode, more)
		}
	}
}
