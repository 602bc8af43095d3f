package imap_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/tlsmgr"
	"github.com/xdg-go/scram"
)

// authCA issues the server's certificate and clients' certificates.
type authCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newAuthCA(t *testing.T) *authCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailgate test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &authCA{cert: cert, key: key, pool: pool}
}

func (ca *authCA) issue(t *testing.T, cn string, usage x509.ExtKeyUsage) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{usage}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// serverTLS is a server configuration that verifies client certificates
// when given, as the gateway's does with [tls] ca-file.
func (ca *authCA) serverTLS(t *testing.T) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{ca.issue(t, "127.0.0.1", x509.ExtKeyUsageServerAuth)},
		ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: ca.pool}
}

// rawTLS connects with implicit TLS and returns the connection, its TLS
// state and the greeting.
func (e *testEnv) rawTLS(ca *authCA, client *tls.Certificate) (*rawConn, tls.ConnectionState, string) {
	e.t.Helper()
	cfg := &tls.Config{RootCAs: ca.pool}
	if client != nil {
		cfg.Certificates = []tls.Certificate{*client}
	}
	c, err := tls.Dial("tcp", e.addr, cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	rc := &rawConn{t: e.t, conn: c, r: bufio.NewReader(c)}
	return rc, c.ConnectionState(), rc.line()
}

// setUsers replaces the users file's content.
func (e *testEnv) setUsers(lines ...string) {
	e.t.Helper()
	if err := os.WriteFile(e.users.Path(), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		e.t.Fatal(err)
	}
	if err := e.users.Reload(); err != nil {
		e.t.Fatal(err)
	}
}

// scramLogin runs AUTHENTICATE mech with xdg-go/scram's client over the
// connection and returns the tagged reply.
func (c *rawConn) scramLogin(mech, user, password string, cb *scram.ChannelBinding) string {
	c.t.Helper()
	client, _ := scram.SHA256.NewClient(user, password, "")
	conv := client.NewConversation()
	if cb != nil {
		conv = client.NewConversationWithChannelBinding(*cb)
	}
	first, _ := conv.Step("")
	c.send("x AUTHENTICATE " + mech + " " + b64(first))
	for {
		l := c.line()
		if strings.HasPrefix(l, "x ") {
			return l
		}
		ch, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(l, "+ "))
		if err != nil {
			c.t.Fatalf("challenge %q", l)
		}
		if conv.Done() {
			c.send("")
			continue
		}
		resp, err := conv.Step(string(ch))
		if err != nil {
			c.t.Fatalf("client step: %v", err)
		}
		if conv.Done() && !conv.Valid() {
			c.t.Fatalf("server signature not valid")
		}
		c.send(b64(resp))
	}
}

// withSASL sets up the SASL options over the test's users file.
func withSASL(mechs ...string) func(o *imap.Options) {
	return func(o *imap.Options) {
		users := o.Authenticator.(*auth.UsersFile)
		o.Mechanisms = mechs
		if o.SASL == nil {
			o.SASL = &auth.SASLOptions{}
		}
		o.SASL.SCRAM, o.SASL.Users = users, users
	}
}

// Issue 10, item 3: SCRAM-SHA-256 with and without channel binding,
// driven by a SCRAM client library against the real server.
func TestSCRAMOverIMAP(t *testing.T) {
	ca := newAuthCA(t)
	keys, _ := auth.HashSCRAM("secret")
	e := startServer(t, func(o *imap.Options) {
		withSASL("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "PLAIN")(o)
		o.TLSConfig, o.TLSMode = ca.serverTLS(t), tlsmgr.ModeConnection
	})
	e.setUsers("alice:"+keys+":::"+filepath.Join(e.root, "alice"), "bob:{PLAIN}secret:::"+filepath.Join(e.root, "bob"))
	c, state, greeting := e.rawTLS(ca, nil)
	if !strings.Contains(greeting, "AUTH=SCRAM-SHA-256-PLUS AUTH=SCRAM-SHA-256 AUTH=PLAIN") {
		t.Fatalf("greeting %q", greeting)
	}
	exporter, _ := scram.NewTLSExporterBinding(&state)
	endpoint, _ := scram.NewTLSServerEndpointBinding(&state)
	for _, tc := range []struct {
		name, mech, user, password string
		cb                         *scram.ChannelBinding
		ok                         bool
	}{
		{"no binding", "SCRAM-SHA-256", "alice", "secret", nil, true},
		{"tls-exporter", "SCRAM-SHA-256-PLUS", "alice", "secret", &exporter, true},
		{"tls-server-end-point", "SCRAM-SHA-256-PLUS", "alice", "secret", &endpoint, true},
		{"wrong password", "SCRAM-SHA-256", "alice", "wrong", nil, false},
		{"wrong password with binding", "SCRAM-SHA-256-PLUS", "alice", "wrong", &exporter, false},
		{"user without SCRAM keys", "SCRAM-SHA-256", "bob", "secret", nil, false},
		{"unknown user", "SCRAM-SHA-256", "mallory", "secret", nil, false},
	} {
		c, _, _ := e.rawTLS(ca, nil)
		if tc.cb != nil {
			// Each connection has its own binding.
			c, state, _ = e.rawTLS(ca, nil)
			b, _ := scram.NewTLSExporterBinding(&state)
			if tc.cb.Type == scram.ChannelBindingTLSServerEndpoint {
				b, _ = scram.NewTLSServerEndpointBinding(&state)
			}
			tc.cb = &b
		}
		done := c.scramLogin(tc.mech, tc.user, tc.password, tc.cb)
		if tc.ok != strings.HasPrefix(done, "x OK") || (!tc.ok && done != authFailed) {
			t.Errorf("%s: %q", tc.name, done)
		}
	}
	// PLAIN logs in with the SCRAM keys too.
	c.ok("p AUTHENTICATE PLAIN " + b64("\x00alice\x00secret"))

	plainText := startServer(t, withSASL("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256")).raw()
	if u := plainText.ok("a CAPABILITY"); strings.Contains(u[0], "SCRAM-SHA-256-PLUS") || !strings.Contains(u[0], "AUTH=SCRAM-SHA-256") {
		t.Errorf("without TLS: %q", u[0])
	}
	if _, done := plainText.do("b AUTHENTICATE SCRAM-SHA-256-PLUS"); !strings.HasPrefix(done, "b NO [CANNOT]") {
		t.Errorf("PLUS without TLS: %q", done)
	}
}

// Issue 10, items 3 and 7: SCRAM failures count in the throttle as
// password failures do, each waiting longer than the last, and a block
// refuses the right password.
func TestSCRAMFailuresThrottled(t *testing.T) {
	keys, _ := auth.HashSCRAM("secret")
	throttle := auth.NewThrottle(&auth.ThrottleOptions{Limit: 4, AddressLimit: 100, Delay: 150 * time.Millisecond,
		MaxDelay: 2 * time.Second, Logger: quietLogger()})
	e := startServer(t, func(o *imap.Options) {
		withSASL("SCRAM-SHA-256")(o)
		o.Throttle, o.MaxAuthFailures = throttle, 100
	})
	e.setUsers("alice:" + keys + ":::" + filepath.Join(e.root, "alice"))
	c := e.raw()
	var waits []time.Duration
	for range 3 {
		start := time.Now()
		if done := c.scramLogin("SCRAM-SHA-256", "alice", "wrong", nil); done != authFailed {
			t.Fatalf("wrong password: %q", done)
		}
		waits = append(waits, time.Since(start))
	}
	// The throttle answers the second failure after Delay and the third
	// after twice that: lower bounds, which a slow machine only exceeds
	// (SCRAM's key derivation alone takes half a second under -race on a
	// loaded one, more than the delays themselves, so the waits need not
	// grow).
	if waits[1] < 150*time.Millisecond || waits[2] < 300*time.Millisecond {
		t.Errorf("the second and third failures did not wait 150 ms and 300 ms: %v", waits)
	}
	c.scramLogin("SCRAM-SHA-256", "alice", "wrong", nil)
	if done := c.scramLogin("SCRAM-SHA-256", "alice", "secret", nil); done != authFailed {
		t.Errorf("right password during the block: %q", done)
	}
}

// Issue 10, item 3: EXTERNAL logs in the user the verified client
// certificate names, and is offered only with one.
func TestExternalOverIMAP(t *testing.T) {
	ca := newAuthCA(t)
	e := startServer(t, func(o *imap.Options) {
		withSASL("EXTERNAL", "PLAIN")(o)
		o.TLSConfig, o.TLSMode = ca.serverTLS(t), tlsmgr.ModeConnection
	})
	alice := ca.issue(t, "alice", x509.ExtKeyUsageClientAuth)
	c, _, greeting := e.rawTLS(ca, &alice)
	if !strings.Contains(greeting, "AUTH=EXTERNAL") {
		t.Fatalf("greeting with a client certificate: %q", greeting)
	}
	u := c.ok("a AUTHENTICATE EXTERNAL =")
	if len(u) != 0 {
		t.Errorf("untagged %q", u)
	}
	c.ok("b SELECT INBOX")

	c, _, _ = e.rawTLS(ca, &alice)
	if _, done := c.do("a AUTHENTICATE EXTERNAL " + b64("bob")); done != "a NO [AUTHENTICATIONFAILED] Authentication failed" {
		t.Errorf("EXTERNAL as another user: %q", done)
	}
	mallory := ca.issue(t, "mallory", x509.ExtKeyUsageClientAuth)
	c, _, _ = e.rawTLS(ca, &mallory)
	if _, done := c.do("a AUTHENTICATE EXTERNAL ="); done != "a NO [AUTHENTICATIONFAILED] Authentication failed" {
		t.Errorf("EXTERNAL of an unknown user: %q", done)
	}
	c, _, greeting = e.rawTLS(ca, nil)
	if strings.Contains(greeting, "AUTH=EXTERNAL") {
		t.Errorf("EXTERNAL advertised without a client certificate: %q", greeting)
	}
	if _, done := c.do("a AUTHENTICATE EXTERNAL ="); !strings.HasPrefix(done, "a NO [CANNOT]") {
		t.Errorf("EXTERNAL without a certificate: %q", done)
	}
}

// Issue 10, item 3: OAUTHBEARER with a signed JWT; a bad token gets the
// RFC 7628 error, and then an empty response (on which go-sasl's server
// panics) ends the exchange with NO.
func TestOAuthBearerOverIMAP(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	keyFile := filepath.Join(t.TempDir(), "idp.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600)
	verifier, err := auth.NewJWTVerifier(auth.JWTOptions{KeyFile: keyFile, Issuer: "https://idp.example", Audience: "imap", UsernameClaim: "preferred_username"})
	if err != nil {
		t.Fatal(err)
	}
	e := startServer(t, func(o *imap.Options) {
		o.SASL = &auth.SASLOptions{Tokens: verifier}
		withSASL("OAUTHBEARER")(o)
	})
	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, nil)
	token := func(user string, exp time.Time) string {
		s, err := jwt.Signed(signer).Claims(map[string]any{"iss": "https://idp.example", "aud": "imap",
			"preferred_username": user, "exp": exp.Unix()}).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	msg := func(tok string) string { return b64("n,a=alice,\x01auth=Bearer " + tok + "\x01\x01") }
	c := e.raw()
	if u := c.ok("a CAPABILITY"); !strings.Contains(u[0], "AUTH=OAUTHBEARER") {
		t.Fatalf("capability %q", u[0])
	}
	for _, last := range []string{"AQ==", ""} {
		c.send("b AUTHENTICATE OAUTHBEARER " + msg(token("alice", time.Now().Add(-time.Hour))))
		l := c.line()
		js, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(l, "+ "))
		if !strings.Contains(string(js), `"status":"invalid_token"`) {
			t.Fatalf("expired token: %q (%s)", l, js)
		}
		c.send(last)
		if done := c.tagged("b"); done != "b NO [AUTHENTICATIONFAILED] Authentication failed" {
			t.Errorf("expired token, then %q: %q", last, done)
		}
	}
	c.ok("c AUTHENTICATE OAUTHBEARER " + msg(token("alice", time.Now().Add(time.Hour))))
}

// Issue 10, item 7: a back-end that is down answers NO [UNAVAILABLE] at
// once and counts for nothing, in the throttle or on the connection.
func TestUnavailableBackendNotCounted(t *testing.T) {
	throttle := auth.NewThrottle(&auth.ThrottleOptions{Limit: 1, AddressLimit: 1, Logger: quietLogger()})
	e := startServer(t, func(o *imap.Options) {
		o.Authenticator = downAuth{}
		o.Throttle = throttle
	})
	c := e.raw()
	for i := range 8 { // more than max-auth-failures: the connection stays
		if _, done := c.do(fmt.Sprintf("a%d LOGIN alice secret", i)); !strings.HasPrefix(done, fmt.Sprintf("a%d NO [UNAVAILABLE]", i)) {
			t.Fatalf("login %d with the back-end down: %q", i, done)
		}
	}
	if n := throttle.Len(); n != 0 {
		t.Errorf("the throttle counted %d entries for an unavailable back-end", n)
	}
}

// downAuth is a back-end that is down.
type downAuth struct{}

func (downAuth) Authenticate(context.Context, string, string) (*auth.User, error) {
	return nil, fmt.Errorf("ldap://127.0.0.1:1: connection refused: %w", auth.ErrUnavailable)
}

// Issue 10, item 6: deny-users refuses a user whose password is right,
// answered as a wrong password.
func TestUserAccessDenied(t *testing.T) {
	e := startServer(t, func(o *imap.Options) { o.UserAccess = &auth.UserAccess{DenyUsers: []string{"alice"}} })
	c := e.raw()
	if _, done := c.do("x LOGIN alice secret"); done != authFailed {
		t.Errorf("denied user: %q", done)
	}
	c.ok("y LOGIN bob secret")
}

// Issue 10, item 3: ANONYMOUS becomes the configured user, read-only.
func TestAnonymousReadOnly(t *testing.T) {
	e := startServer(t, func(o *imap.Options) {
		o.SASL = &auth.SASLOptions{AnonymousUser: "bob"}
		withSASL("PLAIN", "ANONYMOUS")(o)
	})
	c := e.raw()
	c.login("bob")
	c.appendMsg("INBOX", "", testMessage("hello", "body"))
	c = e.raw()
	c.ok("a AUTHENTICATE ANONYMOUS " + b64("guest@example.org"))
	u := c.ok("b SELECT INBOX")
	if !contains(u, "1 EXISTS") {
		t.Errorf("SELECT: %q", u)
	}
	if _, done := c.do("b2 NOOP"); !strings.HasPrefix(done, "b2 OK") {
		t.Errorf("NOOP: %q", done)
	}
	for _, cmd := range []string{"c STORE 1 +FLAGS (\\Deleted)", "d EXPUNGE", "e CREATE x", "f DELETE INBOX"} {
		if _, done := c.do(cmd); !strings.Contains(done, "NO [NOPERM]") {
			t.Errorf("%s: %q", cmd, done)
		}
	}
	_, done := c.do("g EXAMINE INBOX")
	if !strings.Contains(done, "READ-ONLY") {
		t.Errorf("EXAMINE: %q", done)
	}
}
