package auth

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestVirtDomain(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "example.org"), "# mail users\n"+
		"ann:"+sha512Hash+":5000:5000:Ann:/var/vmail/example.org/ann:/sbin/nologin\n"+
		"bob:!"+sha512Hash+"\n"+
		"cid:"+md5CryptHash+"::::\n"+
		"yan:"+yescryptHash+"\n")
	writeFile(t, filepath.Join(dir, "broken.org"), "ann:"+sha512Hash+":x\n")
	if err := os.Symlink("example.org", filepath.Join(dir, "example.net")); err != nil {
		t.Fatal(err)
	}
	v := NewVirtDomain(&VirtDomainOptions{PasswdDir: dir, DataDir: "/data", CacheTTL: time.Hour})
	ctx := context.Background()
	u, err := v.Authenticate(ctx, "ann@Example.ORG", "hello world")
	if err != nil {
		t.Fatal(err)
	}
	want := User{Name: "ann@example.org", UID: 5000, GID: 5000, Gecos: "Ann", Home: "/var/vmail/example.org/ann", Shell: "/sbin/nologin"}
	if *u != want {
		t.Errorf("ann = %+v, want %+v", *u, want)
	}
	if u, err := v.Authenticate(ctx, "cid@example.net", "md5 pw"); err != nil || *u != (User{Name: "cid@example.net", UID: -1, GID: -1, Home: "/data/cid@example.net"}) {
		t.Errorf("cid through a domain alias = %+v, %v", u, err)
	}
	for _, tc := range []struct{ name, pw string }{{"ann@example.org", "hello"}, {"bob@example.org", "hello world"}} {
		if _, err := v.Authenticate(ctx, tc.name, tc.pw); !errors.Is(err, ErrBadCredentials) || errors.Is(err, ErrNoUser) {
			t.Errorf("%s: %v, want ErrBadCredentials", tc.name, err)
		}
	}
	for _, name := range []string{"ann", "dan@example.org", "ann@example.com", "ann@../example.org", "ann@.example.org", "@example.org", "ann@"} {
		if _, err := v.Authenticate(ctx, name, "hello world"); !errors.Is(err, ErrNoUser) {
			t.Errorf("%q: %v, want ErrNoUser", name, err)
		}
	}
	if _, err := v.Authenticate(ctx, "ann@broken.org", "hello world"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("malformed line: %v, want ErrUnavailable", err)
	}
	_, err = v.Authenticate(ctx, "yan@example.org", "yes pw")
	if err != nil {
		t.Errorf("yan ($y$): %v", err)
	}
}

// An unknown user of a domain costs what a known one's wrong password
// costs, as in the users file (33036f5): the domain file's costliest
// hash, within maxDecoyWork. An unknown domain, or a name without one,
// costs a bcrypt hash at NewPasswordCost. Before, each answered at once
// (an unknown user 5.6 µs, an unknown domain 1.2 µs, yan's wrong
// password 36.7 ms): the time told which addresses exist. What each login
// verifies is compared here, not times.
func TestVirtDomainUnknownUserCostsAsMuchAsARealOne(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "example.org")
	writeFile(t, file, "yan:"+yescryptHash+"\nann:"+sha512Hash+"\nbob:!"+yescryptHash+"\n")
	v := NewVirtDomain(&VirtDomainOptions{PasswdDir: dir, DataDir: "/data"})
	var verified []string
	v.verifying = func(stored string) { verified = append(verified, stored) }
	try := func(name string) string {
		verified = nil
		if _, err := v.Authenticate(context.Background(), name, "wrong password"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("%s: %v", name, err)
		}
		return strings.Join(verified, " ")
	}
	for _, tc := range []struct{ name, want string }{
		{"yan@example.org", yescryptHash},
		{"ann@example.org", sha512Hash + " " + yescryptHash}, // much cheaper: the decoy too
		{"bob@example.org", yescryptHash},                    // locked
		{"nosuchuser@example.org", yescryptHash},
		{"x@nosuch.example", dummyHash},
		{"x@../example.org", dummyHash},
		{"nodomain", dummyHash},
	} {
		if got := try(tc.name); got != tc.want {
			t.Errorf("%s verified %.30q, want %.30q", tc.name, got, tc.want)
		}
	}

	// The decoy follows the file, and stays within its bound.
	writeFile(t, file, "ann:"+sha512Hash+"\n")
	if got := try("nosuchuser@example.org"); got != sha512Hash {
		t.Errorf("after the file changed, an unknown user verified %.30q, want ann's hash", got)
	}
	writeFile(t, file, "ann:"+sha512Hash+"\nbig:"+strings.Replace(sha512Hash, "$6$", "$6$rounds=5000000$", 1)+"\n")
	if got := try("nosuchuser@example.org"); got != cappedDecoyHash {
		t.Errorf("with a hash costlier than the cap, an unknown user verified %.30q, want the capped decoy", got)
	}
}
