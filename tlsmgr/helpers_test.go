package tlsmgr

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// serveTLS accepts TLS connections on 127.0.0.1 with cfg. Each connection
// first gets a line naming the client certificate's subject ("none"
// without one), then has its lines echoed.
func serveTLS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go acceptTLS(tls.NewListener(ln, cfg))
	return ln.Addr().String()
}

func acceptTLS(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			tc := c.(*tls.Conn)
			if err := tc.Handshake(); err != nil {
				return
			}
			peer := "none"
			if pc := tc.ConnectionState().PeerCertificates; len(pc) > 0 {
				peer = pc[0].Subject.CommonName
			}
			if _, err := tc.Write([]byte(peer + "\n")); err != nil {
				return
			}
			r := bufio.NewReader(tc)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if _, err := tc.Write([]byte(line)); err != nil {
					return
				}
			}
		}()
	}
}

// dialTLS connects, reads the server's first line and returns both.
func dialTLS(t *testing.T, addr string, cfg *tls.Config) (*tls.Conn, string, error) {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 30 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return nil, "", err
	}
	t.Cleanup(func() { c.Close() })
	line, err := bufio.NewReader(c).ReadString('\n')
	return c, line, err
}

// servedLeaf handshakes without verifying and returns the server's leaf.
func servedLeaf(t *testing.T, addr, serverName string) *x509.Certificate {
	t.Helper()
	c, _, err := dialTLS(t, addr, &tls.Config{InsecureSkipVerify: true, ServerName: serverName, NextProtos: []string{"imap"}})
	if err != nil {
		t.Fatalf("handshake with %s (SNI %q): %v", addr, serverName, err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0]
}

// echo checks that an open connection still carries data.
func echo(t *testing.T, c *tls.Conn) {
	t.Helper()
	if _, err := c.Write([]byte("ping\n")); err != nil {
		t.Fatalf("write on the old connection: %v", err)
	}
	r := bufio.NewReader(c)
	if line, err := r.ReadString('\n'); err != nil || line != "ping\n" {
		t.Fatalf("read on the old connection: %q, %v", line, err)
	}
}

// testLogger logs to t until the test ends; certmagic's goroutines may
// still log after that.
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct {
	t    *testing.T
	mu   sync.Mutex
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

// serveTLSOn is serveTLS on a listener the test made.
func serveTLSOn(t *testing.T, ln net.Listener, cfg *tls.Config) string {
	t.Cleanup(func() { ln.Close() })
	go acceptTLS(tls.NewListener(ln, cfg))
	return ln.Addr().String()
}

// verifyServed handshakes with SNI serverName (none if "") and verifies
// the served chain for name against roots.
func verifyServed(t *testing.T, addr, serverName, name string, roots *x509.CertPool) *x509.Certificate {
	t.Helper()
	c, _, err := dialTLS(t, addr, &tls.Config{InsecureSkipVerify: true, ServerName: serverName, NextProtos: []string{"imap"}})
	if err != nil {
		t.Fatalf("handshake with SNI %q: %v", serverName, err)
	}
	defer c.Close()
	chain := c.ConnectionState().PeerCertificates
	inter := x509.NewCertPool()
	for _, ic := range chain[1:] {
		inter.AddCert(ic)
	}
	if _, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: name}); err != nil {
		t.Fatalf("SNI %q: the served certificate (%v) does not verify for %s: %v", serverName, chain[0].DNSNames, name, err)
	}
	return chain[0]
}
