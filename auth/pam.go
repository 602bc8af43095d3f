//go:build pam && cgo

package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/msteinert/pam/v2"
)

// PAMBuilt tells whether this build has the pam back-end.
const PAMBuilt = true

// PAM checks the passwords of system accounts through PAM: pam_authenticate
// and pam_acct_mgmt on the configured service, so that whatever the
// service's stack says (pam_unix with any hash libcrypt knows, sssd,
// pam_ldap, lockouts, expiry) applies. The account itself comes from
// getpwnam (LookupSystemUser), and its users are System users.
//
// PAM calls block their thread; a PAM stack that sleeps on failure
// (pam_unix without nodelay, pam_faildelay) slows every failed login by
// that much, on top of mailgate's throttle.
type PAM struct {
	service string
	confDir string
	minUID  int
	lookup  func(string) (*User, error)
	now     func() time.Time
	cache   *loginCache
	log     *slog.Logger
}

// NewPAM returns the pam back-end.
func NewPAM(opts *PAMOptions) (*PAM, error) {
	if opts == nil {
		opts = &PAMOptions{}
	}
	p := &PAM{service: opts.Service, confDir: opts.confDir, minUID: opts.MinUID, lookup: LookupSystemUser,
		now: time.Now, cache: newLoginCache(opts.CacheTTL, cacheScope("pam", opts.Service, opts.MinUID, opts.confDir)), log: opts.Logger}
	if p.service == "" {
		p.service = DefaultPAMService
	}
	if p.minUID == 0 {
		p.minUID = DefaultMinUID
	}
	if p.log == nil {
		p.log = slog.Default()
	}
	return p, nil
}

// checkedElsewhere implements elsewhereChecker.
func (p *PAM) checkedElsewhere() bool { return true }

// loginCacheSlot implements cacheHolder.
func (p *PAM) loginCacheSlot() **loginCache { return &p.cache }

// Authenticate implements Authenticator.
func (p *PAM) Authenticate(ctx context.Context, name, password string) (*User, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pam: %w", err)
	}
	if len(password) > maxPasswordLen || password == "" {
		return nil, ErrBadCredentials
	}
	u, err := systemAccount(p.lookup, name, p.minUID)
	if err != nil {
		return nil, err
	}
	now := p.now()
	if _, ok := p.cache.lookup(name, "", password, now); ok {
		return u, nil
	}
	if err := p.check(name, password); err != nil {
		return nil, err
	}
	p.cache.rememberUser(name, "", password, u, now)
	return u, nil
}

// Identify implements Identifier: the getpwnam account named, as the
// system back-end gives it, for a user whose identity was proven without
// a password (preauth, a client certificate) or who only receives mail
// (LMTP). No PAM transaction runs: PAM's stacks are about passwords.
func (p *PAM) Identify(ctx context.Context, name string) (*User, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pam: identify: %w: %w", ErrUnavailable, err)
	}
	return systemAccount(p.lookup, name, p.minUID)
}

// check runs the PAM transaction.
func (p *PAM) check(name, password string) error {
	conv := func(s pam.Style, msg string) (string, error) {
		switch s {
		case pam.PromptEchoOff:
			return password, nil
		case pam.PromptEchoOn:
			return name, nil
		case pam.ErrorMsg:
			p.log.Info("auth pam: message", "service", p.service, "user", name, "msg", msg)
		}
		return "", nil
	}
	var t *pam.Transaction
	var err error
	if p.confDir != "" {
		t, err = pam.StartConfDir(p.service, name, pam.ConversationFunc(conv), p.confDir)
	} else {
		t, err = pam.StartFunc(p.service, name, conv)
	}
	if err != nil {
		return unavailable("pam", fmt.Errorf("service %q: start: %w", p.service, err))
	}
	defer t.End()
	if err := t.Authenticate(pam.Silent | pam.DisallowNullAuthtok); err != nil {
		return pamError(p.service, "authenticate", err)
	}
	if err := t.AcctMgmt(pam.Silent | pam.DisallowNullAuthtok); err != nil {
		return pamError(p.service, "account", err)
	}
	return nil
}

// pamError sorts a PAM failure into the back-end errors: unknown user,
// refused (wrong password, locked, expired) or unavailable.
func pamError(service, step string, err error) error {
	var code pam.Error
	if !errors.As(err, &code) {
		return unavailable("pam", fmt.Errorf("service %q: %s: %w", service, step, err))
	}
	switch code {
	case pam.ErrUserUnknown:
		return ErrNoUser
	case pam.ErrAuth, pam.ErrPermDenied, pam.ErrAcctExpired, pam.ErrNewAuthtokReqd,
		pam.ErrAuthtokExpired, pam.ErrMaxtries, pam.ErrCredInsufficient:
		return fmt.Errorf("%w (pam %s: %v)", ErrBadCredentials, step, code)
	}
	return unavailable("pam", fmt.Errorf("service %q: %s: %w", service, step, err))
}
