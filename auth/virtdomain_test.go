package auth

import (
	"context"
	"errors"
	"os"
	"path/filepath"
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
