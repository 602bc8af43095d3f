package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// exchange runs responses through a new server for mech and returns the
// challenges and the final error.
func exchange(t *testing.T, o *SASLOptions, mech string, c Conn, responses ...[]byte) (*SASLServer, []string, error) {
	t.Helper()
	srv, err := o.NewServer(context.Background(), mech, c, &Attempt{})
	if err != nil {
		t.Fatal(err)
	}
	var challenges []string
	for _, r := range responses {
		ch, done, err := srv.Next(r)
		if err != nil || done {
			return srv, challenges, err
		}
		challenges = append(challenges, string(ch))
	}
	return srv, challenges, errors.New("exchange not finished")
}

func TestExternal(t *testing.T) {
	users := scramUsers(t)
	ca := newTestCA(t)
	alice := ca.issue(t, "alice", "alice@example.org", 2) // x509.ExtKeyUsageClientAuth
	mallory := ca.issue(t, "mallory", "", 2)
	srvState, _, _ := tlsPair(t, ca, &alice, 0)
	malloryState, _, _ := tlsPair(t, ca, &mallory, 0)
	noCert, _, _ := tlsPair(t, ca, nil, 0)
	o := &SASLOptions{Users: users}
	if o.Usable(MechExternal, Conn{TLS: &noCert}) || o.Usable(MechExternal, Conn{}) {
		t.Error("EXTERNAL usable without a client certificate")
	}
	if !o.Usable(MechExternal, Conn{TLS: &srvState}) {
		t.Fatal("EXTERNAL not usable with a verified client certificate")
	}
	for _, tc := range []struct {
		name  string
		state *Conn
		rule  string
		resp  []byte
		user  string
		err   error
	}{
		{"common name", &Conn{TLS: &srvState}, "", []byte{}, "alice", nil},
		{"same authzid", &Conn{TLS: &srvState}, CertCommonName, []byte("alice"), "alice", nil},
		{"other authzid", &Conn{TLS: &srvState}, "", []byte("bob"), "", ErrAuthzidNotAllowed},
		{"email names nobody in the users file", &Conn{TLS: &srvState}, CertEmail, []byte{}, "", ErrBadCredentials},
		{"unknown user", &Conn{TLS: &malloryState}, "", []byte{}, "", ErrBadCredentials},
	} {
		o := &SASLOptions{Users: users, CertificateName: tc.rule}
		srv, _, err := exchange(t, o, MechExternal, *tc.state, nil, tc.resp)
		if !errors.Is(err, tc.err) || (tc.user != "" && (srv.User() == nil || srv.User().Name != tc.user)) {
			t.Errorf("%s: %v, %v", tc.name, srv.User(), err)
		}
	}
}

func TestAnonymous(t *testing.T) {
	users := scramUsers(t)
	if (&SASLOptions{Users: users}).Usable(MechAnonymous, Conn{}) {
		t.Error("ANONYMOUS usable without an anonymous user")
	}
	o := &SASLOptions{Users: users, AnonymousUser: "alice"}
	srv, _, err := exchange(t, o, MechAnonymous, Conn{}, []byte("someone@example.org"))
	if err != nil || srv.User().Name != "alice" || !srv.ReadOnly() {
		t.Errorf("ANONYMOUS: %v, %v", srv.User(), err)
	}
	if _, _, err := exchange(t, o, MechAnonymous, Conn{}, []byte(strings.Repeat("x", 256))); !errors.Is(err, ErrMalformedResponse) {
		t.Errorf("long trace: %v", err)
	}
}

// staticTokens is a TokenVerifier over a map.
type staticTokens map[string]string

func (s staticTokens) Verify(_ context.Context, token string) (string, error) {
	if token == "down" {
		return "", ErrUnavailable
	}
	if n, ok := s[token]; ok {
		return n, nil
	}
	return "", ErrBadCredentials
}

func bearer(authzid, token string) []byte {
	a := ""
	if authzid != "" {
		a = "a=" + authzid
	}
	return []byte("n," + a + ",\x01host=imap.example.org\x01port=143\x01auth=Bearer " + token + "\x01\x01")
}

func TestOAuthBearer(t *testing.T) {
	users := scramUsers(t)
	o := &SASLOptions{Users: users, Tokens: staticTokens{"t-alice": "alice", "t-mallory": "mallory"}}
	c := Conn{PlaintextOK: true}
	if o.Usable(MechOAuthBearer, Conn{}) {
		t.Error("OAUTHBEARER usable where secrets may not be sent")
	}
	srv, _, err := exchange(t, o, MechOAuthBearer, c, bearer("", "t-alice"))
	if err != nil || srv.User().Name != "alice" {
		t.Errorf("good token: %v, %v", srv.User(), err)
	}
	if _, _, err := exchange(t, o, MechOAuthBearer, c, nil, bearer("alice", "t-alice")); err != nil {
		t.Errorf("good token after an empty challenge: %v", err)
	}
	// A bad token gets the JSON error; then any response, even an empty
	// one (go-sasl's server panics on it), ends the exchange.
	for _, last := range [][]byte{{1}, {}, nil, []byte("junk")} {
		_, ch, err := exchange(t, o, MechOAuthBearer, c, bearer("", "bad"), last)
		var e oauthBearerError
		if !errors.Is(err, ErrBadCredentials) || len(ch) != 1 || json.Unmarshal([]byte(ch[0]), &e) != nil || e.Status != "invalid_token" {
			t.Errorf("bad token, then %q: %q, %v", last, ch, err)
		}
	}
	for _, tc := range []struct {
		resp []byte
		err  error
	}{
		{bearer("bob", "t-alice"), ErrAuthzidNotAllowed},
		{bearer("", "t-mallory"), ErrBadCredentials},
		{bearer("", "down"), ErrUnavailable},
		{[]byte("n,,\x01auth=Basic abc\x01\x01"), ErrMalformedResponse},
		{[]byte{}, ErrMalformedResponse},
		{[]byte("p=tls-unique,,\x01auth=Bearer x\x01\x01"), ErrMalformedResponse},
	} {
		if _, _, err := exchange(t, o, MechOAuthBearer, c, tc.resp, []byte{1}); !errors.Is(err, tc.err) {
			t.Errorf("%q: %v, want %v", tc.resp, err, tc.err)
		}
	}
}

// FuzzOAuthBearer: the parser never panics, and a message it accepts has
// a token.
func FuzzOAuthBearer(f *testing.F) {
	for _, s := range []string{string(bearer("", "t")), string(bearer("a=2Cb=3D", "t")), "n,,\x01\x01", "y,a=x,\x01auth=bearer  t\x01\x01", "", "\x01"} {
		f.Add([]byte(s))
	}
	users := fakeIdentifier{"alice": true}
	f.Fuzz(func(t *testing.T, msg []byte) {
		if m, err := parseOAuthBearer(string(msg)); err == nil && m.token == "" {
			t.Fatalf("%q: accepted without a token", msg)
		}
		o := &SASLOptions{Users: users, Tokens: staticTokens{"t": "alice"}}
		srv, _ := o.NewServer(context.Background(), MechOAuthBearer, Conn{PlaintextOK: true}, &Attempt{})
		for _, r := range [][]byte{msg, {}, nil, msg} {
			if _, done, err := srv.Next(r); done || err != nil {
				break
			}
		}
	})
}

// fakeIdentifier knows the users in the map.
type fakeIdentifier map[string]bool

func (f fakeIdentifier) Identify(_ context.Context, name string) (*User, error) {
	if f[name] {
		return &User{Name: name, UID: -1, GID: -1}, nil
	}
	return nil, ErrBadCredentials
}

// signJWT signs claims with key under key id kid.
func signJWT(t *testing.T, key *ecdsa.PrivateKey, kid string, claims any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestJWTVerifier(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pemFile := filepath.Join(t.TempDir(), "key.pem")
	os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600)
	now := time.Now()
	claims := func(mod func(m map[string]any)) map[string]any {
		m := map[string]any{"iss": "https://idp.example", "aud": "imap", "email": "alice", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
		if mod != nil {
			mod(m)
		}
		return m
	}
	fetches := 0
	jwks := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches++
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256"}}})
	}))
	defer jwks.Close()
	fromFile, err := NewJWTVerifier(JWTOptions{KeyFile: pemFile, Issuer: "https://idp.example", Audience: "imap"})
	if err != nil {
		t.Fatal(err)
	}
	fromURL, err := NewJWTVerifier(JWTOptions{JWKSURL: jwks.URL, Client: jwks.Client(), Issuer: "https://idp.example", Audience: "imap"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		token string
		ok    bool
	}{
		{"good", signJWT(t, key, "k1", claims(nil)), true},
		{"other key", signJWT(t, other, "k1", claims(nil)), false},
		{"expired", signJWT(t, key, "k1", claims(func(m map[string]any) { m["exp"] = now.Add(-time.Hour).Unix() })), false},
		{"no expiry", signJWT(t, key, "k1", claims(func(m map[string]any) { delete(m, "exp") })), false},
		{"other issuer", signJWT(t, key, "k1", claims(func(m map[string]any) { m["iss"] = "https://evil.example" })), false},
		{"other audience", signJWT(t, key, "k1", claims(func(m map[string]any) { m["aud"] = "smtp" })), false},
		{"no user claim", signJWT(t, key, "k1", claims(func(m map[string]any) { delete(m, "email") })), false},
		{"not a JWT", "abc.def.ghi", false},
	} {
		for _, v := range []*JWTVerifier{fromFile, fromURL} {
			if tc.name == "good" && v == fromFile {
				tc.token = signJWT(t, key, "", claims(nil)) // a PEM key has no id
			}
			name, err := v.Verify(context.Background(), tc.token)
			if tc.ok != (err == nil) || (tc.ok && name != "alice") || (!tc.ok && !errors.Is(err, ErrBadCredentials)) {
				t.Errorf("%s: %q, %v", tc.name, name, err)
			}
		}
	}
	// An unknown key id refetches at most once a minute.
	before := fetches
	fromURL.Verify(context.Background(), signJWT(t, key, "k9", claims(nil)))
	fromURL.Verify(context.Background(), signJWT(t, key, "k9", claims(nil)))
	if fetches-before > 1 {
		t.Errorf("%d fetches for an unknown key id", fetches-before)
	}
	down, _ := NewJWTVerifier(JWTOptions{JWKSURL: "https://127.0.0.1:1/jwks", Issuer: "i", Audience: "a", Timeout: time.Second})
	if _, err := down.Verify(context.Background(), signJWT(t, key, "k1", claims(nil))); !errors.Is(err, ErrUnavailable) {
		t.Errorf("JWKS server down: %v", err)
	}
}

// Where TLS is required (tls-mode required), no mechanism is usable
// before TLS, not even those that send no password: the session after
// them would run in the clear. Over TLS each is as usable as anywhere.
func TestUsableTLSRequired(t *testing.T) {
	ca := newTestCA(t)
	alice := ca.issue(t, "alice", "alice@example.org", 2) // x509.ExtKeyUsageClientAuth
	state, _, leaf := tlsPair(t, ca, &alice, 0)
	o := &SASLOptions{SCRAM: scramUsers(t), Users: scramUsers(t), Tokens: staticTokens{}, AnonymousUser: "alice"}
	clear := Conn{TLSRequired: true, PlaintextOK: true}
	secure := Conn{TLSRequired: true, TLS: &state, ServerCertificate: leaf, PlaintextOK: true}
	for _, mech := range Mechanisms() {
		if o.Usable(mech, clear) {
			t.Errorf("%s usable before TLS where TLS is required", mech)
		}
		if _, err := o.NewServer(context.Background(), mech, clear, &Attempt{}); !errors.Is(err, ErrUnknownMechanism) {
			t.Errorf("%s: NewServer before TLS where TLS is required: %v", mech, err)
		}
		if !o.Usable(mech, secure) {
			t.Errorf("%s not usable over TLS where TLS is required", mech)
		}
	}
}
