package tlsmgr

import (
	"crypto/tls"
	"crypto/x509/pkix"
	"encoding/asn1"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/caddyserver/certmagic"
)

// newALPNManager starts a Manager answering TLS-ALPN-01 against a CA that
// never answers, so that no challenge ever starts, logging to logs; it
// returns the Manager and the address of a listener serving its
// TLSConfig("imap").
func newALPNManager(t *testing.T, logs *syncLog) (*Manager, string) {
	t.Helper()
	m, err := New(Options{
		ACME: ACMEOptions{
			Domains:        []string{testDomain},
			Email:          "postmaster@example.org",
			CA:             "https://127.0.0.1:1/directory",
			Challenges:     []string{TLSALPN01},
			TLSALPNAddress: "127.0.0.1:1",
			Storage:        acmeStorage(t),
		},
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, m.TLSConfig("imap"))
	startManager(t, m)
	return m, addr
}

// With TLS-ALPN-01 on, any client offering only "acme-tls/1" when no
// challenge is under way (nearly always) made certmagic log an ERROR
// ("tls-alpn challenge ... no active ACME challenge"), one per handshake:
// scanners paged the operators who alert on ERROR. Such a hello is now
// refused before certmagic, with a debug line.
func TestALPNProbeIsNoServerError(t *testing.T) {
	logs := &syncLog{}
	_, addr := newALPNManager(t, logs)
	for _, name := range []string{testDomain, "other.example.org", ""} {
		c, err := tls.Dial("tcp", addr, &tls.Config{ServerName: name, NextProtos: []string{ACMETLS1}, InsecureSkipVerify: true})
		if err == nil {
			c.Close()
			t.Errorf("an acme-tls/1 probe for %q was answered with a certificate; no challenge is under way", name)
		}
	}
	// The probe is logged before its handshake fails.
	for l := range strings.Lines(logs.String()) {
		// The ACME client's own complaints about the CA that never
		// answers are not the probes'.
		if (strings.Contains(l, "level=ERROR") || strings.Contains(l, "level=WARN")) && !strings.Contains(l, "acme_client") {
			t.Errorf("an acme-tls/1 probe was logged as a server problem: %s", l)
		}
	}
	if n := strings.Count(logs.String(), "no challenge under way"); n != 3 {
		t.Errorf("%d debug lines for 3 probes:\n%s", n, logs.String())
	}
}

// A challenge that another process sharing the storage started (an inetd
// process obtaining while the CA reaches another) is still answered:
// certmagic's distributed solving keeps its token in the storage, where
// challengePending looks for it.
func TestALPNDistributedChallengeAnswered(t *testing.T) {
	logs := &syncLog{}
	m, addr := newALPNManager(t, logs)
	a := m.acme.Load()
	key := filepath.Join(m.opts.ACME.Storage, "acme", certmagic.StorageKeys.Safe(a.issuer.IssuerKey()),
		"challenge_tokens", certmagic.StorageKeys.Safe(testDomain)+".json")
	if err := os.MkdirAll(filepath.Dir(key), 0o700); err != nil {
		t.Fatal(err)
	}
	token := `{"type":"tls-alpn-01","token":"tok","keyAuthorization":"tok.thumb","identifier":{"type":"dns","value":"` + testDomain + `"}}`
	if err := os.WriteFile(key, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := tls.Dial("tcp", addr, &tls.Config{ServerName: testDomain, NextProtos: []string{ACMETLS1}, InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("the challenge in the storage was not answered: %v\n%s", err, logs.String())
	}
	defer c.Close()
	leaf := c.ConnectionState().PeerCertificates[0]
	idPeAcmeIdentifier := asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 31}
	if !slices.ContainsFunc(leaf.Extensions, func(e pkix.Extension) bool { return e.Id.Equal(idPeAcmeIdentifier) }) {
		t.Errorf("the certificate served (%v) is no TLS-ALPN-01 challenge certificate", leaf.DNSNames)
	}
}
