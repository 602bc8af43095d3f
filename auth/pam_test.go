//go:build pam && cgo

package auth

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestPAM logs in through PAM (pam_unix, from a service file in a
// directory of the test's own) as a real account with a yescrypt
// password.
func TestPAM(t *testing.T) {
	acct := testAccount(t, "pam pw", "YESCRYPT")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "mailgate-test"), "auth required pam_unix.so nodelay\naccount required pam_unix.so\n")
	newPAM := func(ttl time.Duration) *PAM {
		p, err := NewPAM(&PAMOptions{Service: "mailgate-test", CacheTTL: ttl})
		if err != nil {
			t.Fatal(err)
		}
		p.confDir = dir
		return p
	}
	p := newPAM(time.Hour)
	ctx := context.Background()
	u, err := p.Authenticate(ctx, acct.Name, "pam pw")
	if err != nil {
		t.Fatal(err)
	}
	if !u.System || u.Home != acct.Home {
		t.Errorf("user = %+v", u)
	}
	if _, err := p.Authenticate(ctx, acct.Name, "Pam pw"); !errors.Is(err, ErrBadCredentials) || errors.Is(err, ErrNoUser) {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := p.Authenticate(ctx, "mgnobody", "pam pw"); !errors.Is(err, ErrNoUser) {
		t.Errorf("unknown user: %v", err)
	}
	run(t, exec.Command("usermod", "-L", acct.Name))
	if _, err := newPAM(0).Authenticate(ctx, acct.Name, "pam pw"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("locked account: %v", err)
	}
	missing := newPAM(0)
	missing.service = "no-such-service"
	if _, err := missing.Authenticate(ctx, acct.Name, "pam pw"); err == nil {
		t.Error("a missing service logged in")
	}
}
