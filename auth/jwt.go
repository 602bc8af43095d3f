package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// JWTOptions configure NewJWTVerifier.
type JWTOptions struct {
	// KeyFile is a file of PEM public keys or certificates, or a JSON Web
	// Key Set (RFC 7517): the keys tokens may be signed with.
	KeyFile string
	// JWKSURL is an https:// URL serving the JSON Web Key Set instead,
	// fetched at the first token and again, at most once a minute, when a
	// token names a key it lacks.
	JWKSURL string
	// Issuer must equal the token's "iss" claim. Required.
	Issuer string
	// Audience must be among the token's "aud" claim. Required.
	Audience string
	// UsernameClaim is the claim that holds the user name; "email" when
	// empty, as in Dovecot's oauth2 username_attribute.
	UsernameClaim string
	// Timeout bounds fetching JWKSURL; DefaultProgramTimeout when zero.
	Timeout time.Duration
	// Client fetches JWKSURL; http.DefaultClient when nil (tests give
	// one that trusts their server).
	Client *http.Client
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// jwtLeeway is the clock skew allowed on exp, nbf and iat.
const jwtLeeway = time.Minute

// jwtAlgorithms are the signature algorithms accepted: public-key ones
// only, so that a public key can never be used as an HMAC secret.
func jwtAlgorithms() []jose.SignatureAlgorithm {
	return []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
		jose.ES256, jose.ES384, jose.ES512, jose.EdDSA}
}

// JWTVerifier is a TokenVerifier for signed JSON Web Tokens (RFC 7519):
// the signature must verify with a configured key, the issuer and
// audience must match, and the token must carry an expiry and be within
// its validity.
type JWTVerifier struct {
	opts JWTOptions

	mu      sync.Mutex
	keys    *jose.JSONWebKeySet
	fetched time.Time // when JWKSURL was last fetched
}

// NewJWTVerifier returns a verifier; a KeyFile is read at once.
func NewJWTVerifier(opts JWTOptions) (*JWTVerifier, error) {
	switch {
	case opts.Issuer == "" || opts.Audience == "":
		return nil, errors.New("jwt: issuer and audience are required")
	case (opts.KeyFile == "") == (opts.JWKSURL == ""):
		return nil, errors.New("jwt: give either a key file or a JWKS URL")
	}
	if opts.UsernameClaim == "" {
		opts.UsernameClaim = "email"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	v := &JWTVerifier{opts: opts}
	if opts.KeyFile != "" {
		data, err := os.ReadFile(opts.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("jwt: %w", err)
		}
		if v.keys, err = ParseJWTKeys(data); err != nil {
			return nil, fmt.Errorf("jwt: %s: %w", opts.KeyFile, err)
		}
	}
	return v, nil
}

// ParseJWTKeys reads public keys: a JSON Web Key Set, or PEM blocks of
// public keys ("PUBLIC KEY") and certificates.
func ParseJWTKeys(data []byte) (*jose.JSONWebKeySet, error) {
	set := &jose.JSONWebKeySet{}
	if t := strings.TrimSpace(string(data)); strings.HasPrefix(t, "{") {
		if err := json.Unmarshal(data, set); err != nil {
			return nil, fmt.Errorf("not a JSON Web Key Set: %w", err)
		}
	} else {
		for {
			var b *pem.Block
			b, data = pem.Decode(data)
			if b == nil {
				break
			}
			var key any
			var err error
			switch b.Type {
			case "PUBLIC KEY":
				key, err = x509.ParsePKIXPublicKey(b.Bytes)
			case "CERTIFICATE":
				var c *x509.Certificate
				if c, err = x509.ParseCertificate(b.Bytes); err == nil {
					key = c.PublicKey
				}
			default:
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("PEM %s: %w", b.Type, err)
			}
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: key})
		}
	}
	var public []jose.JSONWebKey
	for _, k := range set.Keys {
		switch k.Key.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
			public = append(public, k)
		}
	}
	if len(public) == 0 {
		return nil, errors.New("no public key (RSA, ECDSA or Ed25519) found")
	}
	set.Keys = public
	return set, nil
}

// Verify implements TokenVerifier.
func (v *JWTVerifier) Verify(ctx context.Context, token string) (string, error) {
	tok, err := jwt.ParseSigned(token, jwtAlgorithms())
	if err != nil {
		return "", fmt.Errorf("%w: not a signed JWT: %v", ErrBadCredentials, err)
	}
	if len(tok.Headers) != 1 {
		return "", fmt.Errorf("%w: JWT with %d signatures", ErrBadCredentials, len(tok.Headers))
	}
	keys, err := v.keysFor(ctx, tok.Headers[0].KeyID)
	if err != nil {
		return "", err
	}
	var std jwt.Claims
	var claims map[string]any
	verified := false
	for _, k := range keys {
		if err := tok.Claims(k.Key, &std, &claims); err == nil {
			verified = true
			break
		}
	}
	if !verified {
		return "", fmt.Errorf("%w: JWT signature does not verify with any configured key", ErrBadCredentials)
	}
	if std.Expiry == nil {
		return "", fmt.Errorf("%w: JWT has no expiry (exp)", ErrBadCredentials)
	}
	want := jwt.Expected{Issuer: v.opts.Issuer, AnyAudience: jwt.Audience{v.opts.Audience}, Time: v.opts.Now()}
	if err := std.ValidateWithLeeway(want, jwtLeeway); err != nil {
		return "", fmt.Errorf("%w: JWT: %v", ErrBadCredentials, err)
	}
	name, _ := claims[v.opts.UsernameClaim].(string)
	if name == "" {
		return "", fmt.Errorf("%w: JWT has no %q claim naming the user", ErrBadCredentials, v.opts.UsernameClaim)
	}
	return name, nil
}

// keysFor returns the keys a token with key id kid may be signed with:
// those with that id, or every key when kid is empty. A JWKS URL is
// fetched when none is known yet, or when kid is unknown and the last
// fetch is more than a minute old.
func (v *JWTVerifier) keysFor(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	pick := func() []jose.JSONWebKey {
		if v.keys == nil {
			return nil
		}
		if kid == "" {
			return v.keys.Keys
		}
		return v.keys.Key(kid)
	}
	keys := pick()
	if len(keys) > 0 || v.opts.JWKSURL == "" {
		if len(keys) == 0 {
			return nil, fmt.Errorf("%w: JWT names key %q, which is not configured", ErrBadCredentials, kid)
		}
		return keys, nil
	}
	if !v.fetched.IsZero() && v.opts.Now().Sub(v.fetched) < time.Minute {
		return nil, fmt.Errorf("%w: JWT names key %q, which the key set lacks", ErrBadCredentials, kid)
	}
	// Holding the lock while fetching makes concurrent logins wait for
	// one fetch rather than each starting its own.
	set, err := v.fetch(ctx)
	v.fetched = v.opts.Now()
	if err != nil {
		if v.keys == nil {
			return nil, err
		}
	} else {
		v.keys = set
	}
	if keys = pick(); len(keys) == 0 {
		return nil, fmt.Errorf("%w: JWT names key %q, which the key set lacks", ErrBadCredentials, kid)
	}
	return keys, nil
}

// fetch gets the key set at JWKSURL.
func (v *JWTVerifier) fetch(ctx context.Context) (*jose.JSONWebKeySet, error) {
	timeout := v.opts.Timeout
	if timeout <= 0 {
		timeout = DefaultProgramTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.opts.JWKSURL, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: JWKS %s: %v", ErrUnavailable, v.opts.JWKSURL, err)
	}
	client := v.opts.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: JWKS %s: %v", ErrUnavailable, v.opts.JWKSURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: JWKS %s: %s", ErrUnavailable, v.opts.JWKSURL, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%w: JWKS %s: %v", ErrUnavailable, v.opts.JWKSURL, err)
	}
	set, err := ParseJWTKeys(data)
	if err != nil {
		return nil, fmt.Errorf("%w: JWKS %s: %v", ErrUnavailable, v.opts.JWKSURL, err)
	}
	return set, nil
}
