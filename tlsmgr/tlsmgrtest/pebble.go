// Package tlsmgrtest runs an ACME server for tests: Pebble, in-process on
// loopback, with a DNS stub that answers for example.org. tlsmgr's tests
// and the gateway's use it to obtain real certificates through real
// HTTP-01, TLS-ALPN-01 and DNS-01 validations, without a binary or a
// fixed port.
package tlsmgrtest

import (
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
)

// Pebble is an ACME server on loopback, in-process. It lives until the
// end of the test that started it. Pebble makes a new root on every start:
// give each test fresh ACME storage.
type Pebble struct {
	// Directory is the ACME directory URL ([tls.acme] ca).
	Directory string
	// CARoot is a PEM file of the roots of its HTTPS ([tls.acme] ca-root).
	CARoot string
	// Roots are the roots of the certificates it issues, for clients to
	// verify them.
	Roots *x509.CertPool
	// DNS is where its validation authority resolves names.
	DNS *DNSStub
}

// StartPebble starts Pebble whose validation authority checks HTTP-01 on
// httpPort and TLS-ALPN-01 on tlsPort of 127.0.0.1 (Pebble's stand-ins
// for ports 80 and 443), resolving names through a new DNSStub. The
// certificate profile is "default".
//
// It sets, for the test, the environment that makes Pebble quick and
// predictable: no random sleep before a validation, no rejected nonces,
// no reused authorizations (a renewal would then skip its challenge). So
// the test must not be parallel.
func StartPebble(t testing.TB, httpPort, tlsPort int) *Pebble {
	t.Helper()
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0")
	t.Setenv("PEBBLE_AUTHZREUSE", "0")
	stub := StartDNSStub(t)
	logger := log.New(io.Discard, "", 0)
	if testing.Verbose() {
		logger = log.New(os.Stderr, "pebble ", 0)
	}
	store := db.NewMemoryStore()
	profiles := map[string]ca.Profile{"default": {Description: "the test profile"}}
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, profiles)
	validator := va.New(logger, httpPort, tlsPort, false, stub.Addr, store)
	front := wfe.New(logger, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)
	srv := httptest.NewTLSServer(front.Handler())
	t.Cleanup(srv.Close)

	caRoot := filepath.Join(t.TempDir(), "pebble-https.pem")
	if err := os.WriteFile(caRoot, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(authority.GetRootCert(0).Cert)
	return &Pebble{Directory: srv.URL + wfe.DirectoryPath, CARoot: caRoot, Roots: roots, DNS: stub}
}

// FreePort returns a loopback port that was free a moment ago, for a
// listener that must be named before it opens (an HTTP-01 responder that
// certmagic opens and closes by itself, or an IMAPS listener whose port
// Pebble must be told before the gateway starts).
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
