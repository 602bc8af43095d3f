package auth

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// TestKeepLoginCacheUsersFile: a users file built again by a reload with
// the same settings keeps the logins the old one remembered, but the
// cache it keeps never lets in a user the new file removed, nor a
// password the new file changed.
func TestKeepLoginCacheUsersFile(t *testing.T) {
	path := writeUsers(t, "alice:"+cheapHash(t, "alice pw")+"\nbob:"+cheapHash(t, "bob pw")+"\n")
	opts := &UsersFileOptions{CacheTTL: time.Hour}
	load := func() (*UsersFile, *atomic.Int32) {
		t.Helper()
		u, err := LoadUsersFile(path, "/data", opts)
		if err != nil {
			t.Fatal(err)
		}
		var n atomic.Int32
		u.verifying = func(*passwordHash) { n.Add(1) }
		return u, &n
	}
	ctx := context.Background()
	first, _ := load()
	for _, name := range []string{"alice", "bob"} {
		if _, err := first.Authenticate(ctx, name, name+" pw"); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}

	// A reload that changed nothing: no verification at all.
	same, verified := load()
	if !keepLoginCache(same, first) {
		t.Fatal("the cache of a users file with the same settings was not kept")
	}
	for _, name := range []string{"alice", "bob"} {
		if _, err := same.Authenticate(ctx, name, name+" pw"); err != nil {
			t.Fatalf("%s after the reload: %v", name, err)
		}
	}
	if n := verified.Load(); n != 0 {
		t.Errorf("%d verifications after a reload that changed nothing, want 0", n)
	}

	// The file changes: alice has a new password, bob is gone. The
	// cache is still the one where both logged in.
	if err := os.WriteFile(path, []byte("alice:"+cheapHash(t, "alice new")+"\n# bob left\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	changed, verified := load()
	if !keepLoginCache(changed, same) {
		t.Fatal("the cache of the same users file was not kept")
	}
	if _, err := changed.Authenticate(ctx, "alice", "alice pw"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("alice's old password after it changed: %v, want ErrBadCredentials", err)
	}
	if _, err := changed.Authenticate(ctx, "bob", "bob pw"); !errors.Is(err, ErrNoUser) {
		t.Errorf("bob after he was removed: %v, want ErrNoUser", err)
	}
	if _, err := changed.Authenticate(ctx, "alice", "alice new"); err != nil {
		t.Errorf("alice's new password: %v", err)
	}
	if n := verified.Load(); n < 3 {
		t.Errorf("%d verifications for three logins the cache cannot answer, want 3 or more", n)
	}
}

// TestKeepLoginCacheSystem: the system back-end keeps its cache across a
// reload with the same settings, and a password changed in the shadow
// file, or a locked account, never logs in from it.
func TestKeepLoginCacheSystem(t *testing.T) {
	shadow := filepath.Join(t.TempDir(), "shadow")
	writeFile(t, shadow, "ann:"+sha512Hash+":19000:0:99999:7:::\n")
	build := func(minUID int) (*System, *atomic.Int32) {
		s := NewSystem(&SystemOptions{CacheTTL: time.Hour, MinUID: minUID})
		s.shadow = shadow
		s.lookup = func(name string) (*User, error) {
			if name != "ann" {
				return nil, ErrNoUser
			}
			return &User{Name: name, UID: 1001, GID: 100, Home: "/home/ann", System: true}, nil
		}
		var n atomic.Int32
		s.verifying = func(string) { n.Add(1) }
		return s, &n
	}
	ctx := context.Background()
	first, _ := build(0)
	if _, err := first.Authenticate(ctx, "ann", "hello world"); err != nil {
		t.Fatal(err)
	}
	if other, _ := build(500); keepLoginCache(other, first) {
		t.Error("the cache was kept although min-uid changed")
	}
	next, verified := build(0)
	if !keepLoginCache(next, first) {
		t.Fatal("the cache of a system back-end with the same settings was not kept")
	}
	if _, err := next.Authenticate(ctx, "ann", "hello world"); err != nil || verified.Load() != 0 {
		t.Fatalf("after the reload: %v, %d verifications; want a cache hit", err, verified.Load())
	}
	writeFile(t, shadow, "ann:"+md5CryptHash+":19000:0:99999:7:::\n")
	if _, err := next.Authenticate(ctx, "ann", "hello world"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("the old password after the shadow file changed: %v, want ErrBadCredentials", err)
	}
	writeFile(t, shadow, "ann:!"+sha512Hash+":19000:0:99999:7:::\n")
	if _, err := next.Authenticate(ctx, "ann", "hello world"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("a locked account: %v, want ErrBadCredentials", err)
	}
}

// TestKeepLoginCacheSettings: a cache is handed on only between back-ends
// of the same kind, settings and TTL; any change starts an empty one.
func TestKeepLoginCacheSettings(t *testing.T) {
	users := func(path, dataDir string, ttl time.Duration) Authenticator {
		t.Helper()
		u, err := LoadUsersFile(path, dataDir, &UsersFileOptions{CacheTTL: ttl})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	radius := func(o RADIUSOptions) Authenticator {
		t.Helper()
		if o.Server == "" {
			o.Server = "127.0.0.1:1812"
		}
		if o.Secret == "" {
			o.Secret = "s3cret"
		}
		o.CacheTTL = time.Hour
		r, err := NewRADIUS(&o)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	ldapBackend := func(o LDAPOptions) Authenticator {
		t.Helper()
		if o.URL == "" {
			o.URL = "ldap://127.0.0.1:1"
		}
		o.CacheTTL = time.Hour
		l, err := NewLDAP(&o)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	sqlBackend := func(o SQLOptions) Authenticator {
		t.Helper()
		o.Interface, o.Host, o.Database = SQLPostgres, "127.0.0.1", "mail"
		o.GetPwnam = "SELECT name, passwd FROM users WHERE name = $user"
		if o.PasswordType == "" {
			o.PasswordType = SQLPasswordHash
		}
		o.CacheTTL = time.Hour
		s, err := OpenSQL(&o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	virt := func(dir string) Authenticator {
		return NewVirtDomain(&VirtDomainOptions{PasswdDir: dir, DataDir: "/data", CacheTTL: time.Hour})
	}
	path := writeUsers(t, "alice:"+cheapHash(t, "alice pw")+"\n")
	other := writeUsers(t, "alice:"+cheapHash(t, "alice pw")+"\n")
	system := func(minUID int, ttl time.Duration) Authenticator {
		return NewSystem(&SystemOptions{MinUID: minUID, CacheTTL: ttl})
	}
	for _, tc := range []struct {
		name       string
		prev, next Authenticator
		keep       bool
	}{
		{"users file, same", users(path, "/data", time.Hour), users(path, "/data", time.Hour), true},
		{"users file, other file", users(path, "/data", time.Hour), users(other, "/data", time.Hour), false},
		{"users file, other data dir", users(path, "/data", time.Hour), users(path, "/srv", time.Hour), false},
		{"users file, other ttl", users(path, "/data", time.Hour), users(path, "/data", time.Minute), false},
		{"users file, cache turned off", users(path, "/data", time.Hour), users(path, "/data", 0), false},
		{"users file, cache turned on", users(path, "/data", 0), users(path, "/data", time.Hour), false},
		{"system, same", system(0, time.Hour), system(0, time.Hour), true},
		{"system, other min-uid", system(0, time.Hour), system(-1, time.Hour), false},
		{"system, other ttl", system(0, time.Hour), system(0, 2*time.Hour), false},
		{"system for the users file", users(path, "/data", time.Hour), system(0, time.Hour), false},
		{"virtdomain, same", virt("/etc/mail/domains"), virt("/etc/mail/domains"), true},
		{"virtdomain, other directory", virt("/etc/mail/domains"), virt("/etc/mail/vdomains"), false},
		// RADIUS, PAM and an LDAP bind check passwords on another
		// server: a reload is how a password changed there stops
		// working at once, so their caches are never handed on.
		{"radius, same", radius(RADIUSOptions{}), radius(RADIUSOptions{}), false},
		{"radius, other server", radius(RADIUSOptions{}), radius(RADIUSOptions{Server: "10.0.0.1"}), false},
		{"radius, other secret", radius(RADIUSOptions{}), radius(RADIUSOptions{Secret: "other"}), false},
		{"radius, other home", radius(RADIUSOptions{}), radius(RADIUSOptions{Home: "/srv/$user"}), false},
		{"ldap bind, same", ldapBackend(LDAPOptions{}), ldapBackend(LDAPOptions{}), false},
		{"ldap compare, same", ldapBackend(LDAPOptions{Method: LDAPCompare}), ldapBackend(LDAPOptions{Method: LDAPCompare}), true},
		{"ldap, other server", ldapBackend(LDAPOptions{}), ldapBackend(LDAPOptions{URL: "ldap://127.0.0.2:1"}), false},
		{"ldap, other method", ldapBackend(LDAPOptions{}), ldapBackend(LDAPOptions{Method: LDAPCompare}), false},
		{"ldap, other filter", ldapBackend(LDAPOptions{}), ldapBackend(LDAPOptions{Filter: "(mail=$user)"}), false},
		{"ldap, other data dir", ldapBackend(LDAPOptions{}), ldapBackend(LDAPOptions{DataDir: "/srv"}), false},
		{"sql, same", sqlBackend(SQLOptions{}), sqlBackend(SQLOptions{}), true},
		// A reload that builds its loggers anew keeps the caches.
		{"sql, another logger", sqlBackend(SQLOptions{Logger: slog.New(slog.DiscardHandler)}), sqlBackend(SQLOptions{Logger: slog.New(slog.DiscardHandler)}), true},
		{"ldap compare, another logger", ldapBackend(LDAPOptions{Method: LDAPCompare, Logger: slog.New(slog.DiscardHandler)}),
			ldapBackend(LDAPOptions{Method: LDAPCompare, Logger: slog.New(slog.DiscardHandler)}), true},
		{"sql, other password type", sqlBackend(SQLOptions{}), sqlBackend(SQLOptions{PasswordType: SQLPasswordPlain}), false},
		{"sql, other database user", sqlBackend(SQLOptions{}), sqlBackend(SQLOptions{User: "mail2"}), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := keepLoginCache(tc.next, tc.prev); got != tc.keep {
				t.Errorf("keepLoginCache = %v, want %v", got, tc.keep)
			}
			shared := *tc.next.(cacheHolder).loginCacheSlot() == *tc.prev.(cacheHolder).loginCacheSlot()
			if shared != tc.keep {
				t.Errorf("the cache is shared: %v, want %v", shared, tc.keep)
			}
		})
	}
}

// TestChainKeepLoginCaches: a chain built by a reload takes each cache of
// the old chain's back-end of the same name whose settings are the same.
func TestChainKeepLoginCaches(t *testing.T) {
	path := writeUsers(t, "alice:"+cheapHash(t, "alice pw")+"\n")
	users := func(ttl time.Duration) *UsersFile {
		t.Helper()
		u, err := LoadUsersFile(path, "/data", &UsersFileOptions{CacheTTL: ttl})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	system := func(ttl time.Duration) *System { return NewSystem(&SystemOptions{CacheTTL: ttl}) }
	prev := NewChain(nil, Backend{"users-file", users(time.Hour)}, Backend{"system", system(time.Hour)})
	next := NewChain(nil, Backend{"system", system(time.Hour)}, Backend{"users-file", users(time.Minute)})
	kept := next.KeepLoginCaches(prev)
	if len(kept) != 1 || kept[0] != "system" {
		t.Errorf("kept %q, want [system]", kept)
	}
	if got := next.KeepLoginCaches(nil); got != nil {
		t.Errorf("kept %q of no chain", got)
	}
}
