package gateway_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/gateway"
)

// TestReloadKeepsLoginCache (soak review): a reload that changes nothing
// in [auth] must not forget the successful password checks that
// cache-ttl keeps. Today every SIGHUP builds new back-ends with empty
// caches, so after each reload every user's next login pays the full
// hash again; with the system back-end's yescrypt hashes (16 MiB each,
// GOMAXPROCS at once) the soak's daemon went from 28 MiB to 90-114 MiB
// RSS about a second after each SIGHUP, and six concurrent logins of one
// user took 0.86 s instead of 0.08 s.
func TestReloadKeepsLoginCache(t *testing.T) {
	const text = "[[server]]\naddress = \"127.0.0.1:0\"\n"
	r := startReloadable(t, 1, text)
	timed := func(what string) time.Duration {
		t.Helper()
		start := time.Now()
		l, c, _ := login(t, r.addrs[0], gateway.FirstUser, r.password)
		took := time.Since(start)
		c.Close()
		if !strings.HasPrefix(l, "a OK") {
			t.Fatalf("%s login: %q", what, l)
		}
		return took
	}
	cold := timed("first")
	warm := timed("second")
	if err := r.reload(text); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	after := timed("after reload")
	t.Logf("first login %v, cached %v, after a reload that changed nothing %v", cold, warm, after)
	if warm > cold/4 {
		t.Skipf("the cache saves too little here to tell (first %v, cached %v)", cold, warm)
	}
	if after > cold/2 {
		t.Errorf("the login after a reload took %v, as long as an uncached one (%v; cached: %v): the reload dropped the login cache", after, cold, warm)
	}
}

// TestReloadCacheForgetsChanges: the login cache a reload keeps never
// logs in a password that was changed, nor a user that was removed,
// before the reload. (That a new cache-ttl starts an empty cache is
// auth's TestKeepLoginCacheSettings; here it only still logs in.)
func TestReloadCacheForgetsChanges(t *testing.T) {
	const text = "[[server]]\naddress = \"127.0.0.1:0\"\n"
	r := startReloadable(t, 1, text)
	users := filepath.Join(r.dir, "users")
	if err := auth.AddUser(users, "second", "second pw", nil); err != nil {
		t.Fatal(err)
	}
	try := func(name, password string) string {
		t.Helper()
		l, c, _ := login(t, r.addrs[0], name, password)
		c.Close()
		return l
	}
	for _, u := range [][2]string{{gateway.FirstUser, r.password}, {"second", "second pw"}} {
		if l := try(u[0], u[1]); !strings.HasPrefix(l, "a OK") {
			t.Fatalf("%s before the reload: %q", u[0], l)
		}
	}
	if err := auth.SetPassword(users, gateway.FirstUser, "new pw"); err != nil {
		t.Fatal(err)
	}
	if err := auth.DeleteUser(users, "second"); err != nil {
		t.Fatal(err)
	}
	if err := r.reload(text); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	for _, u := range [][2]string{{gateway.FirstUser, r.password}, {"second", "second pw"}} {
		if l := try(u[0], u[1]); strings.HasPrefix(l, "a OK") {
			t.Errorf("%s logged in with a password that is no longer in the users file: %q", u[0], l)
		}
	}
	if l := try(gateway.FirstUser, "new pw"); !strings.HasPrefix(l, "a OK") {
		t.Errorf("the new password after the reload: %q", l)
	}
	if err := r.reload(text + "[auth]\ncache-ttl = \"30m\"\n"); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if l := try(gateway.FirstUser, "new pw"); !strings.HasPrefix(l, "a OK") {
		t.Errorf("the new password after a reload with a new cache-ttl: %q", l)
	}
}
