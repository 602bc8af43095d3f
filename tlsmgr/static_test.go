package tlsmgr

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/tlsmgr/tlsmgrtest"
)

// staticFiles is a certificate, key and client CA in a private directory.
type staticFiles struct {
	dir, cert, key, ca string
	server, clients    *tlsmgrtest.CA
}

func newStaticFiles(t *testing.T) *staticFiles {
	t.Helper()
	dir := t.TempDir()
	chmod(t, dir, 0o755)
	f := &staticFiles{
		dir:     dir,
		cert:    filepath.Join(dir, "cert.pem"),
		key:     filepath.Join(dir, "key.pem"),
		ca:      filepath.Join(dir, "ca.pem"),
		server:  tlsmgrtest.NewCA(t, "server CA"),
		clients: tlsmgrtest.NewCA(t, "client CA"),
	}
	f.write(t, "one.example.org")
	tlsmgrtest.WriteFile(t, f.ca, f.clients.PEM, 0o644)
	return f
}

// write puts a new pair for name in place.
func (f *staticFiles) write(t *testing.T, name string) {
	t.Helper()
	c, k := f.server.Issue(t, name, x509.ExtKeyUsageServerAuth)
	tlsmgrtest.WriteFile(t, f.cert, c, 0o644)
	tlsmgrtest.WriteFile(t, f.key, k, 0o600)
}

// reloads returns an Options hook and a channel of its outcomes.
func reloads() (func(error), chan error) {
	ch := make(chan error, 100)
	return func(err error) { ch <- err }, ch
}

// waitServed waits, reload by reload, until addr serves name's certificate.
func waitServed(t *testing.T, addr, name string, ch chan error) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for servedLeaf(t, addr, "").Subject.CommonName != name {
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("the certificate for %s was never served", name)
		}
	}
}

// startStatic starts a Manager on f's files, serving on a listener, with
// the outcomes of its reloads on ch.
func startStatic(t *testing.T, f *staticFiles) (m *Manager, addr string, ch chan error) {
	t.Helper()
	hook, ch := reloads()
	m, err := New(Options{CertificateFile: f.cert, KeyFile: f.key, onReload: hook})
	if err != nil {
		t.Fatal(err)
	}
	startManager(t, m)
	return m, serveTLS(t, m.TLSConfig("imap")), ch
}

// TestReloadOnFileChange: a new pair written over the files is served to
// new connections; a connection opened before goes on working.
func TestReloadOnFileChange(t *testing.T) {
	f := newStaticFiles(t)
	_, addr, ch := startStatic(t, f)
	old, _, err := dialTLS(t, addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	if cn := old.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "one.example.org" {
		t.Fatalf("served %s", cn)
	}
	f.write(t, "two.example.org")
	waitServed(t, addr, "two.example.org", ch)
	echo(t, old)
}

// TestReload: Reload (SIGHUP) takes new files without Start.
func TestReload(t *testing.T) {
	f := newStaticFiles(t)
	m, err := New(Options{CertificateFile: f.cert, KeyFile: f.key})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, m.TLSConfig("imap"))
	old, _, err := dialTLS(t, addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	f.write(t, "two.example.org")
	if err := m.Reload(); err != nil {
		t.Fatal(err)
	}
	if cn := servedLeaf(t, addr, "").Subject.CommonName; cn != "two.example.org" {
		t.Fatalf("after Reload served %s", cn)
	}
	echo(t, old)
}

// TestReloadBadPairKeepsOld: a certificate that does not match the key,
// or a key that fails a check, is refused and the old pair stays in use.
func TestReloadBadPairKeepsOld(t *testing.T) {
	f := newStaticFiles(t)
	m, addr, ch := startStatic(t, f)

	// A new certificate over the old key: the watcher refuses it too.
	c, _ := f.server.Issue(t, "mismatch.example.org", x509.ExtKeyUsageServerAuth)
	tlsmgrtest.WriteFile(t, f.cert, c, 0o644)
	select {
	case err := <-ch:
		if err == nil || !strings.Contains(err.Error(), "private key does not match public key") {
			t.Fatalf("watcher reload: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the watcher never reloaded")
	}
	if err := m.Reload(); err == nil {
		t.Fatal("Reload took a mismatched pair")
	}
	if cn := servedLeaf(t, addr, "").Subject.CommonName; cn != "one.example.org" {
		t.Fatalf("after a bad pair served %s", cn)
	}

	// A good pair whose key is group-readable: refused by grdfil.
	f.write(t, "three.example.org")
	chmod(t, f.key, 0o644)
	err := m.Reload()
	var fe *FileCheckError
	if !errors.As(err, &fe) || fe.Check != "grdfil" || !strings.Contains(err.Error(), f.key+": Group readable file") {
		t.Fatalf("Reload of a 0644 key = %v", err)
	}
	if cn := servedLeaf(t, addr, "").Subject.CommonName; cn != "one.example.org" {
		t.Fatalf("after a refused key served %s", cn)
	}
	chmod(t, f.key, 0o600)
	if err := m.Reload(); err != nil {
		t.Fatal(err)
	}
	if cn := servedLeaf(t, addr, "").Subject.CommonName; cn != "three.example.org" {
		t.Fatalf("after the fix served %s", cn)
	}
}

// TestNewRefusesGroupReadableKey: as imap4d 3.15 refuses a 0644 key with
// "Group readable file", New refuses it, naming the file and the check.
func TestNewRefusesGroupReadableKey(t *testing.T) {
	f := newStaticFiles(t)
	chmod(t, f.key, 0o644)
	_, err := New(Options{CertificateFile: f.cert, KeyFile: f.key})
	want := "tls key-file: " + f.key + ": Group readable file (tls-file-checks grdfil)"
	if err == nil || err.Error() != want {
		t.Fatalf("New = %v, want %s", err, want)
	}
	if oe := (*OptionError)(nil); !errors.As(err, &oe) || oe.Option != "key-file" {
		t.Errorf("New's error does not name the option key-file: %#v", err)
	}
	// -grdfil still leaves ardfil.
	_, err = New(Options{CertificateFile: f.cert, KeyFile: f.key, FileChecks: FileChecks{Key: []string{"-grdfil"}}})
	if err == nil || !strings.Contains(err.Error(), "World readable file") {
		t.Fatalf("New with -grdfil = %v", err)
	}
	if _, err := New(Options{CertificateFile: f.cert, KeyFile: f.key, FileChecks: FileChecks{Key: []string{"-grdfil", "-ardfil"}}}); err != nil {
		t.Fatalf("New with -grdfil -ardfil = %v", err)
	}
	// The certificate's checks allow 0644 but not a writable file.
	chmod(t, f.key, 0o600)
	chmod(t, f.cert, 0o666)
	if _, err := New(Options{CertificateFile: f.cert, KeyFile: f.key}); err == nil || !strings.Contains(err.Error(), "tls certificate-file: "+f.cert+": Group writable file") {
		t.Fatalf("New with a 0666 certificate = %v", err)
	}
}

// TestClientCertificates: with a CA file, a client certificate is asked
// for and verified but not required; ALPN imap is negotiated; TLS 1.1 is
// refused.
func TestClientCertificates(t *testing.T) {
	f := newStaticFiles(t)
	m, err := New(Options{CertificateFile: f.cert, KeyFile: f.key, CAFile: f.ca})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, m.TLSConfig("imap"))
	roots := x509.NewCertPool()
	roots.AddCert(f.server.Cert)

	cpem, kpem := f.clients.Issue(t, "alice", x509.ExtKeyUsageClientAuth)
	alice, err := tls.X509KeyPair(cpem, kpem)
	if err != nil {
		t.Fatal(err)
	}
	c, peer, err := dialTLS(t, addr, &tls.Config{RootCAs: roots, ServerName: "one.example.org", NextProtos: []string{"imap"}, Certificates: []tls.Certificate{alice}})
	if err != nil || peer != "alice\n" {
		t.Fatalf("with a client certificate: %q, %v", peer, err)
	}
	if p := c.ConnectionState().NegotiatedProtocol; p != "imap" {
		t.Errorf("ALPN = %q, want imap", p)
	}
	if _, peer, err := dialTLS(t, addr, &tls.Config{RootCAs: roots, ServerName: "one.example.org"}); err != nil || peer != "none\n" {
		t.Fatalf("without a client certificate: %q, %v", peer, err)
	}
	mpem, mkey := tlsmgrtest.NewCA(t, "mallory's CA").Issue(t, "mallory", x509.ExtKeyUsageClientAuth)
	mallory, _ := tls.X509KeyPair(mpem, mkey)
	// Go's client would not send a certificate the server's CA list does
	// not name; force it.
	force := func(c tls.Certificate) func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		return func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &c, nil }
	}
	if _, _, err := dialTLS(t, addr, &tls.Config{RootCAs: roots, ServerName: "one.example.org", GetClientCertificate: force(mallory)}); err == nil {
		t.Fatal("a client certificate from another CA was accepted")
	}
	if _, _, err := dialTLS(t, addr, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11}); err == nil {
		t.Fatal("TLS 1.1 was accepted")
	}

	// A new CA file applies to new handshakes after Reload.
	tlsmgrtest.WriteFile(t, f.ca, tlsmgrtest.NewCA(t, "other CA").PEM, 0o644)
	if err := m.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := dialTLS(t, addr, &tls.Config{RootCAs: roots, ServerName: "one.example.org", GetClientCertificate: force(alice)}); err == nil {
		t.Fatal("alice's certificate was accepted after her CA was replaced")
	}
}

// TestStopIsFinal: Start after Stop fails, Stop twice is fine, and the
// certificate is still served after Stop.
func TestStopIsFinal(t *testing.T) {
	f := newStaticFiles(t)
	m, err := New(Options{CertificateFile: f.cert, KeyFile: f.key})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(context.Background()); err == nil {
		t.Error("Start twice succeeded")
	}
	m.Stop()
	m.Stop()
	addr := serveTLS(t, m.TLSConfig("imap"))
	if cn := servedLeaf(t, addr, "").Subject.CommonName; cn != "one.example.org" {
		t.Fatalf("after Stop served %s", cn)
	}
	if _, err := os.Stat(f.cert); err != nil {
		t.Fatal(err)
	}
}

// TestCancelStops: cancelling Start's context stops the Manager; a later
// Stop returns and files changed afterwards are not reloaded.
func TestCancelStops(t *testing.T) {
	f := newStaticFiles(t)
	hook, ch := reloads()
	m, err := New(Options{CertificateFile: f.cert, KeyFile: f.key, onReload: hook})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	m.Stop() // waits for the watcher, whether or not cancel got there first
	f.write(t, "two.example.org")
	if err := m.Reload(); err != nil { // Reload still works by hand
		t.Fatal(err)
	}
	<-ch
	select {
	case err := <-ch:
		t.Fatalf("the watcher reloaded after Stop: %v", err)
	default:
	}
}
