package auth

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// TestLoginCache: a repeated login with the same password is answered from
// the cache; a wrong password, an expired entry and a changed stored hash
// are not.
func TestLoginCache(t *testing.T) {
	path := writeUsers(t, "alice:"+cheapHash(t, "alice pw")+"\n")
	u, err := LoadUsersFile(path, "/data", &UsersFileOptions{CacheTTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{now: time.Unix(1_700_000_000, 0)}
	u.mu.Lock()
	u.now, u.checkedAt = clock.Now, clock.Now()
	u.mu.Unlock()
	ctx := context.Background()
	login := func(pw string) bool {
		t.Helper()
		_, err := u.Authenticate(ctx, "alice", pw)
		if err != nil && !errors.Is(err, ErrBadCredentials) {
			t.Fatal(err)
		}
		return err == nil
	}
	encoded := func() string {
		e, _ := u.current("alice")
		return e.hash.encoded
	}
	cached := func(pw string) bool {
		return u.cache.hit("alice", encoded(), pw, clock.Now())
	}

	if cached("alice pw") {
		t.Fatal("cache hit before any login")
	}
	if !login("alice pw") || !cached("alice pw") {
		t.Fatal("a successful login was not cached")
	}
	for _, pw := range []string{"alice p", "alice pw ", ""} {
		if login(pw) || cached(pw) {
			t.Errorf("password %q logged in or hit the cache", pw)
		}
	}
	if !login("alice pw") {
		t.Fatal("cached login refused")
	}

	clock.Advance(2 * time.Minute)
	if cached("alice pw") {
		t.Error("entry outlived its TTL")
	}
	if !login("alice pw") || !cached("alice pw") {
		t.Fatal("login after expiry not cached again")
	}

	// A new password in the users file: the old one stops working at
	// once, although its check is cached.
	if err := os.WriteFile(path, []byte("alice:"+cheapHash(t, "new pw")+"\n# changed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Second) // due for a reload
	if login("alice pw") {
		t.Error("old password still logs in after the users file changed")
	}
	if !login("new pw") {
		t.Error("new password refused")
	}
}

// TestLoginCacheOff: a zero TTL means no cache at all.
func TestLoginCacheOff(t *testing.T) {
	path := writeUsers(t, "alice:"+cheapHash(t, "alice pw")+"\n")
	u, err := LoadUsersFile(path, "/data", nil)
	if err != nil {
		t.Fatal(err)
	}
	if u.cache != nil {
		t.Fatal("cache on without a TTL")
	}
	if _, err := u.Authenticate(context.Background(), "alice", "alice pw"); err != nil {
		t.Fatal(err)
	}
}

// TestLoginCacheBound: the cache never holds more than maxCachedLogins.
func TestLoginCacheBound(t *testing.T) {
	c := newLoginCache(time.Hour, "test")
	now := time.Unix(1_700_000_000, 0)
	for i := range maxCachedLogins + 10 {
		c.remember(string(rune(i)), "h", "p", now)
	}
	if n := len(c.entries); n > maxCachedLogins {
		t.Fatalf("%d entries, want at most %d", n, maxCachedLogins)
	}
}
