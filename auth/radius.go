package auth

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2869"
)

// RADIUSOptions are the settings of NewRADIUS.
type RADIUSOptions struct {
	// Server is the RADIUS server's host:port (port 1812 when left out).
	Server string
	// Secret is the shared secret.
	Secret string
	// NASIdentifier is sent as NAS-Identifier (RFC 2865, 5.32); "" means
	// "mailgate".
	NASIdentifier string
	// Timeout is how long one try waits for the answer (0: 3s).
	Timeout time.Duration
	// Retries is how many times an unanswered request is sent again.
	Retries int
	// Home is the users' home, with $user (or ${user}) for the name; ""
	// means <DataDir>/<name>. RADIUS has no attribute for it.
	Home string
	// UID and GID are the users' ids; -1 means the service's own.
	UID, GID int
	// DataDir is where homes are when Home is "".
	DataDir string
	// CacheTTL is how long a successful check is remembered; the server is
	// not asked again meanwhile.
	CacheTTL time.Duration
}

// RADIUS checks passwords with a RADIUS Access-Request (RFC 2865), the
// password sent as User-Password (PAP), with a Message-Authenticator (RFC
// 3579, 3.2) against forged answers (BlastRADIUS). Access-Accept logs in;
// Access-Reject is a wrong password. RADIUS cannot tell an unknown user
// from a wrong password, so it decides for every name it is asked about:
// list it last in [auth] authentication. No answer after the retries is
// ErrUnavailable.
type RADIUS struct {
	opts  RADIUSOptions
	addr  string
	now   func() time.Time
	cache *loginCache
}

// NewRADIUS checks opts and returns the radius back-end.
func NewRADIUS(opts *RADIUSOptions) (*RADIUS, error) {
	r := &RADIUS{opts: *opts, addr: opts.Server, now: time.Now, cache: newLoginCache(opts.CacheTTL, cacheScope("radius", *opts))}
	if r.opts.Secret == "" {
		return nil, errors.New("radius: the shared secret is empty")
	}
	if _, _, err := net.SplitHostPort(r.addr); err != nil {
		r.addr = net.JoinHostPort(r.addr, "1812")
	}
	if r.opts.Server == "" {
		return nil, errors.New("radius: no server")
	}
	if r.opts.NASIdentifier == "" {
		r.opts.NASIdentifier = "mailgate"
	}
	if r.opts.Timeout <= 0 {
		r.opts.Timeout = 3 * time.Second
	}
	r.opts.Retries = max(r.opts.Retries, 0)
	return r, nil
}

// checkedElsewhere implements elsewhereChecker.
func (r *RADIUS) checkedElsewhere() bool { return true }

// loginCacheSlot implements cacheHolder.
func (r *RADIUS) loginCacheSlot() **loginCache { return &r.cache }

// Authenticate implements Authenticator.
func (r *RADIUS) Authenticate(ctx context.Context, name, password string) (*User, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("radius: %w", err)
	}
	// RFC 2865, 5.2: User-Password carries at most 128 octets.
	if password == "" || len(password) > 128 {
		return nil, ErrBadCredentials
	}
	u := r.user(name)
	now := r.now()
	if _, ok := r.cache.lookup(name, "", password, now); ok {
		return u, nil
	}
	req, err := r.request(name, password)
	if err != nil {
		return nil, unavailable("radius", err)
	}
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout*time.Duration(r.opts.Retries+1))
	defer cancel()
	client := &radius.Client{Retry: r.opts.Timeout, MaxPacketErrors: 10}
	resp, err := client.Exchange(ctx, req, r.addr)
	if err != nil {
		return nil, unavailable("radius", fmt.Errorf("%s: %w", r.addr, err))
	}
	if err := checkMessageAuthenticator(resp, req); err != nil {
		return nil, unavailable("radius", fmt.Errorf("%s: %w", r.addr, err))
	}
	switch resp.Code {
	case radius.CodeAccessAccept:
		r.cache.rememberUser(name, "", password, u, now)
		return u, nil
	case radius.CodeAccessReject:
		return nil, ErrBadCredentials
	}
	return nil, fmt.Errorf("%w (radius %s answered %v, which mailgate cannot follow)", ErrBadCredentials, r.addr, resp.Code)
}

// request builds the Access-Request.
func (r *RADIUS) request(name, password string) (*radius.Packet, error) {
	p := radius.New(radius.CodeAccessRequest, []byte(r.opts.Secret))
	if err := rfc2865.UserName_SetString(p, name); err != nil {
		return nil, err
	}
	if err := rfc2865.UserPassword_SetString(p, password); err != nil {
		return nil, err
	}
	if err := rfc2865.NASIdentifier_SetString(p, r.opts.NASIdentifier); err != nil {
		return nil, err
	}
	rfc2865.ServiceType_Set(p, rfc2865.ServiceType_Value_AuthenticateOnly)
	// RFC 3579, 3.2: the HMAC-MD5 of the whole packet, computed with the
	// attribute's own value zeroed.
	p.Set(rfc2869.MessageAuthenticator_Type, make([]byte, md5.Size))
	raw, err := p.MarshalBinary()
	if err != nil {
		return nil, err
	}
	p.Set(rfc2869.MessageAuthenticator_Type, messageAuthenticator(raw, p.Secret))
	return p, nil
}

// messageAuthenticator is the HMAC-MD5 of raw under secret.
func messageAuthenticator(raw, secret []byte) []byte {
	m := hmac.New(md5.New, secret)
	m.Write(raw)
	return m.Sum(nil)
}

// checkMessageAuthenticator verifies the Message-Authenticator of an
// answer, when it has one: computed over the answer with the request's
// authenticator in place of its own (RFC 3579, 3.2).
func checkMessageAuthenticator(resp, req *radius.Packet) error {
	got, err := rfc2869.MessageAuthenticator_Lookup(resp)
	if err != nil {
		return nil // none
	}
	cp := *resp
	cp.Authenticator = req.Authenticator
	cp.Attributes = nil
	for _, a := range resp.Attributes {
		if a.Type == rfc2869.MessageAuthenticator_Type {
			a = &radius.AVP{Type: a.Type, Attribute: make([]byte, md5.Size)}
		}
		cp.Attributes = append(cp.Attributes, a)
	}
	raw, err := cp.MarshalBinary()
	if err != nil {
		return err
	}
	if !hmac.Equal(got, messageAuthenticator(raw, resp.Secret)) {
		return errors.New("the answer's Message-Authenticator is wrong (forged answer, or another shared secret)")
	}
	return nil
}

// user is the user RADIUS logs in, from the configuration.
func (r *RADIUS) user(name string) *User {
	u := &User{Name: name, UID: r.opts.UID, GID: r.opts.GID}
	if r.opts.Home != "" {
		u.Home = strings.ReplaceAll(strings.ReplaceAll(r.opts.Home, "${user}", name), "$user", name)
	}
	_ = setHome(u, r.opts.DataDir)
	return u
}
