package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSystemShadow checks the system back-end's rules on a shadow file of
// the test's own: hashes, locked and expired accounts, accounts below
// min-uid, accounts missing from the shadow file, and the cache.
func TestSystemShadow(t *testing.T) {
	dir := t.TempDir()
	shadow := filepath.Join(dir, "shadow")
	writeFile(t, shadow, strings.Join([]string{
		"root:" + sha512Hash + ":19000:0:99999:7:::",
		"ann:" + sha512Hash + ":19000:0:99999:7:::",
		"bob:!" + sha512Hash + ":19000:0:99999:7:::",
		"cid:" + sha512Hash + ":19000:0:99999:7::1:",
		"dan:" + md5CryptHash + ":19000:0:99999:7:::",
		"yan:" + yescryptHash + ":19000:0:99999:7:::",
		"eve::19000:0:99999:7:::",
	}, "\n")+"\n")
	accounts := map[string]int{"root": 0, "ann": 1001, "bob": 1002, "cid": 1003, "dan": 1004, "yan": 1005, "eve": 1006, "fay": 1007}
	s := NewSystem(&SystemOptions{CacheTTL: time.Hour})
	s.shadow = shadow
	s.lookup = func(name string) (*User, error) {
		uid, ok := accounts[name]
		if !ok {
			return nil, ErrNoUser
		}
		return &User{Name: name, UID: uid, GID: 100, Home: "/home/" + name, System: true}, nil
	}
	ctx := context.Background()
	u, err := s.Authenticate(ctx, "ann", "hello world")
	if err != nil {
		t.Fatal(err)
	}
	if !u.System || u.UID != 1001 || u.Home != "/home/ann" {
		t.Errorf("ann = %+v", u)
	}
	if _, err := s.Authenticate(ctx, "dan", "md5 pw"); err != nil {
		t.Errorf("dan ($1$): %v", err)
	}
	for _, name := range []string{"bob", "cid", "eve", "fay"} {
		if _, err := s.Authenticate(ctx, name, "hello world"); !errors.Is(err, ErrBadCredentials) || errors.Is(err, ErrNoUser) {
			t.Errorf("%s: %v, want ErrBadCredentials", name, err)
		}
	}
	for _, name := range []string{"root", "nobody"} {
		if _, err := s.Authenticate(ctx, name, "hello world"); !errors.Is(err, ErrNoUser) {
			t.Errorf("%s: %v, want ErrNoUser", name, err)
		}
	}
	// Identify (preauth, EXTERNAL, LMTP): no password, so a locked or
	// empty one does not matter, an expired account does, and the
	// accounts below min-uid stay unknown.
	for _, tc := range []struct {
		name string
		want error
	}{
		{"ann", nil}, {"bob", nil}, {"eve", nil}, {"fay", nil},
		{"cid", ErrBadCredentials}, {"root", ErrNoUser}, {"nobody", ErrNoUser},
	} {
		u, err := s.Identify(ctx, tc.name)
		if !errors.Is(err, tc.want) || (tc.want == nil && (u == nil || u.Name != tc.name || !u.System)) {
			t.Errorf("Identify(%s) = %+v, %v; want %v", tc.name, u, err, tc.want)
		}
	}
	if _, err = s.Authenticate(ctx, "yan", "yes pw"); err != nil {
		t.Errorf("yan ($y$): %v", err)
	}
	if _, err = s.Authenticate(ctx, "yan", "no pw"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("yan ($y$), wrong password: %v", err)
	}
	// A changed hash is noticed at once, cache or not.
	if !s.cache.hit("ann", sha512Hash, "hello world", time.Now()) {
		t.Error("ann's login was not cached")
	}
	writeFile(t, shadow, "ann:"+md5CryptHash+":19000:0:99999:7:::\n")
	if _, err := s.Authenticate(ctx, "ann", "hello world"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("old password after a change: %v", err)
	}
	os.Chmod(shadow, 0)
	if os.Getuid() != 0 {
		if _, err := s.Authenticate(ctx, "ann", "md5 pw"); !errors.Is(err, ErrUnavailable) {
			t.Errorf("unreadable shadow: %v, want ErrUnavailable", err)
		}
	}
}

// testAccount creates a system account with useradd and sets its
// password with chpasswd, hashed by method (chpasswd -c; "" lets PAM
// choose), removing it at the end. Only root can.
func testAccount(t *testing.T, password, method string) *User {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("creating a system account needs root")
	}
	bin := needPrograms(t, "passwd", "useradd", "userdel", "chpasswd")
	name := fmt.Sprintf("mgtest%d", os.Getpid()%100000)
	home := filepath.Join(t.TempDir(), "home")
	run(t, exec.Command(bin["useradd"], "-m", "-d", home, "-K", "UID_MIN=1000", "-s", "/bin/sh", name))
	t.Cleanup(func() { exec.Command(bin["userdel"], "-r", name).Run() })
	args := []string{}
	if method != "" {
		args = append(args, "-c", method)
	}
	cmd := exec.Command(bin["chpasswd"], args...)
	cmd.Stdin = strings.NewReader(name + ":" + password + "\n")
	run(t, cmd)
	u, err := LookupSystemUser(name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestSystemAccount logs in as a real account made by useradd, whose
// password chpasswd hashed: yescrypt (Debian 12's default, verified in
// Go or, with -tags libcrypt, by the system's libcrypt) and SHA-512.
func TestSystemAccount(t *testing.T) {
	acct := testAccount(t, "system pw", "YESCRYPT")
	ctx := context.Background()
	s := NewSystem(nil)
	f, err := findPasswdLine(ShadowFile, acct.Name)
	if err != nil || len(f) < 2 || !strings.HasPrefix(f[1], "$y$") {
		t.Fatalf("chpasswd did not write a yescrypt hash: %v, %v", err, f)
	}
	u, err := s.Authenticate(ctx, acct.Name, "system pw")
	if err != nil {
		t.Fatalf("yescrypt login: %v", err)
	}
	if !u.System || u.Home != acct.Home || u.UID < 1000 {
		t.Errorf("user = %+v", u)
	}
	if _, err := s.Authenticate(ctx, acct.Name, "System pw"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("wrong password: %v", err)
	}
	cmd := exec.Command("chpasswd", "-c", "SHA512")
	cmd.Stdin = strings.NewReader(acct.Name + ":sha pw\n")
	run(t, cmd)
	if u, err := s.Authenticate(ctx, acct.Name, "sha pw"); err != nil || !u.System {
		t.Fatalf("SHA-512 login: %+v, %v", u, err)
	}
	if _, err := s.Authenticate(ctx, acct.Name, "system pw"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("old password: %v", err)
	}
	run(t, exec.Command("usermod", "-L", acct.Name))
	if _, err := s.Authenticate(ctx, acct.Name, "sha pw"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("locked account: %v", err)
	}
}
