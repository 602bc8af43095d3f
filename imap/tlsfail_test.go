package imap_test

import (
	"bytes"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/tlsmgr"
)

// A client that answers "OK Begin TLS negotiation" with bytes that are no
// TLS handshake fails its own handshake. The server used to log an ERROR
// ("imap: command failed"), write "NO [SERVERBUG]" in the clear after its
// TLS alert and go on serving commands in plaintext on a stream whose TLS
// state is undefined: any network client could page the operators who
// alert on ERROR, as fast as it could connect. Now the connection ends,
// with one INFO line and nothing more written.
func TestFailedSTARTTLSEndsTheSession(t *testing.T) {
	logs := &dvLockedBuffer{}
	cfg := selfSigned(t)
	e := startServer(t, func(o *imap.Options) {
		o.TLSConfig = cfg
		o.TLSMode = tlsmgr.ModeOnDemand
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	c := e.raw()
	c.ok("a STARTTLS")
	c.conn.Write([]byte("\x16\x03\x01\x00\x05hello"))
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	rest, err := io.ReadAll(c.conn)
	if err != nil {
		t.Errorf("the server kept the connection open after a failed STARTTLS handshake: %v", err)
	}
	if bytes.Contains(rest, []byte("SERVERBUG")) || bytes.Contains(rest, []byte("BYE")) {
		t.Errorf("after a failed STARTTLS handshake the server wrote %q in the clear; close the connection instead", rest)
	}
	// The session logs before it closes the connection, which ReadAll
	// has seen.
	if strings.Contains(logs.String(), "level=ERROR") || strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("a client's failed TLS handshake is logged as a server problem:\n%s", logs.String())
	}
	if n := strings.Count(logs.String(), "STARTTLS handshake failed"); n != 1 {
		t.Errorf("%d log lines name the failed handshake; want 1:\n%s", n, logs.String())
	}
}

// A client host that fails one TLS handshake after another, by STARTTLS
// or on an implicit-TLS listener, gets one log line a minute, not one a
// connection.
func TestFailedHandshakesLogOnceAMinutePerHost(t *testing.T) {
	for _, mode := range []tlsmgr.Mode{tlsmgr.ModeOnDemand, tlsmgr.ModeConnection} {
		t.Run(mode.String(), func(t *testing.T) {
			logs := &dvLockedBuffer{}
			cfg := selfSigned(t)
			e := startServer(t, func(o *imap.Options) {
				o.TLSConfig = cfg
				o.TLSMode = mode
				o.Logger = slog.New(slog.NewTextHandler(logs, nil))
			})
			for range 20 {
				c := e.tlsReady(mode)
				// A client that trusts nothing of ours: its handshake fails.
				tls.Client(c, &tls.Config{ServerName: "elsewhere.example"}).Handshake()
				// The session logs before it closes the connection.
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				io.Copy(io.Discard, c)
				c.Close()
			}
			if n := strings.Count(logs.String(), "handshake failed"); n != 1 {
				t.Errorf("20 failed handshakes from one host made %d log lines; want 1:\n%s", n, logs.String())
			}
		})
	}
}

// A connection that negotiates acme-tls/1 is a CA's TLS-ALPN-01
// validation (RFC 8737): it ends once the certificate is shown, on the
// implicit-TLS listener and after STARTTLS alike, and is never greeted or
// served IMAP.
func TestACMEValidationConnectionIsNotServed(t *testing.T) {
	for _, mode := range []tlsmgr.Mode{tlsmgr.ModeConnection, tlsmgr.ModeOnDemand} {
		t.Run(mode.String(), func(t *testing.T) {
			cfg := selfSigned(t).Clone()
			cfg.NextProtos = []string{"imap", tlsmgr.ACMETLS1}
			e := startServer(t, func(o *imap.Options) {
				o.TLSConfig = cfg
				o.TLSMode = mode
			})
			c := e.tlsReady(mode)
			defer c.Close()
			tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{tlsmgr.ACMETLS1}})
			if err := tc.Handshake(); err != nil {
				t.Fatal(err)
			}
			if p := tc.ConnectionState().NegotiatedProtocol; p != tlsmgr.ACMETLS1 {
				t.Fatalf("negotiated %q", p)
			}
			tc.Write([]byte("b CAPABILITY\r\n"))
			tc.SetReadDeadline(time.Now().Add(5 * time.Second))
			rest, err := io.ReadAll(tc)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("the validation connection stayed open; read %q", rest)
			}
			if len(rest) > 0 {
				t.Errorf("a validation connection was served: %q", rest)
			}
		})
	}
}

// tlsReady returns a connection to e on which the client's TLS handshake
// comes next: a new one on an implicit-TLS listener (mode connection),
// or one whose STARTTLS the server has accepted.
func (e *testEnv) tlsReady(mode tlsmgr.Mode) net.Conn {
	e.t.Helper()
	if mode == tlsmgr.ModeConnection {
		c, err := net.Dial("tcp", e.addr)
		if err != nil {
			e.t.Fatal(err)
		}
		return c
	}
	rc := e.raw()
	rc.ok("a STARTTLS")
	return rc.conn
}
