package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"
)

// maxCachedLogins bounds the entries of a loginCache, so that logins of many
// distinct users cannot grow it without end.
const maxCachedLogins = 100_000

// loginCache remembers recent successful password checks, so that a client
// that logs in again and again (a mail client opening a connection per
// folder, a phone polling every minute) does not pay a bcrypt or SHA-crypt
// verification each time. It plays the part of Dovecot's auth cache.
//
// An entry is keyed by user name and holds the user's stored hash and an
// HMAC-SHA256, under a key drawn at start and never written anywhere, of
// that hash and the password. A login hits only when the stored hash is
// unchanged (a password change in the users file misses at once), the entry
// is younger than the TTL, and the HMAC matches. Failed checks are never
// cached: a wrong password always costs a full verification.
//
// A cache belongs to one back-end's settings (its scope): a reload that
// builds the back-end again with the same settings and TTL hands the cache
// on (keepLoginCache), any other is given a new one.
type loginCache struct {
	ttl   time.Duration
	scope string // cacheScope of the back-end's settings
	key   [32]byte

	mu      sync.Mutex
	entries map[string]cachedLogin
	flights map[flightKey]*flight // checks under way (check)
}

// cachedLogin is one remembered successful check.
type cachedLogin struct {
	encoded string // the stored hash it was checked against
	mac     [sha256.Size]byte
	expires time.Time
	user    *User // the user the check gave, for back-ends that store no hash here
}

// newLoginCache returns a cache whose entries live ttl, for a back-end of
// settings scope (cacheScope), or nil (no cache) when ttl is not positive.
func newLoginCache(ttl time.Duration, scope string) *loginCache {
	if ttl <= 0 {
		return nil
	}
	c := &loginCache{ttl: ttl, scope: scope, entries: make(map[string]cachedLogin),
		flights: make(map[flightKey]*flight)}
	rand.Read(c.key[:]) // never fails (crypto/rand panics instead)
	return c
}

// cacheScope names a back-end's settings: kind ("users-file", "sql", ...)
// and a digest of settings, every value that decides what a check answers
// or which user it gives (a file, a server, a query, a password type, a
// data directory), secrets included, since another shared secret may be
// another server. Two caches of the same scope answer alike. Settings are
// printed with %#v: a value printed by address (a pointer, a func, a
// logger) makes every scope differ, which loses the cache on reload but
// never keeps it wrongly; leave such fields out.
func cacheScope(kind string, settings ...any) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%#v", settings))
	return kind + ":" + hex.EncodeToString(sum[:])
}

// elsewhereChecker is a back-end whose passwords are checked by another
// server (PAM, an LDAP bind, RADIUS), so that its cache cannot notice a
// password changed there; a reload does not hand its cache on.
type elsewhereChecker interface {
	checkedElsewhere() bool
}

// cacheHolder is a back-end whose login cache a reload may hand on.
type cacheHolder interface {
	// loginCacheSlot returns where the back-end keeps its cache.
	loginCacheSlot() **loginCache
}

// keepLoginCache gives next, a back-end built by a reload, the login cache
// of prev, the one it replaces, when both are of the same kind (scope)
// with the same settings and TTL, and reports whether it did
// (Chain.KeepLoginCaches says why that is safe). It replaces next's cache
// without a lock: next must not be in use yet.
func keepLoginCache(next, prev Authenticator) bool {
	n, ok := next.(cacheHolder)
	if !ok {
		return false
	}
	p, ok := prev.(cacheHolder)
	if !ok {
		return false
	}
	if e, ok := next.(elsewhereChecker); ok && e.checkedElsewhere() {
		// A password changed on the other server is not seen here: a
		// reload is how an administrator makes the old one stop.
		return false
	}
	nc, pc := n.loginCacheSlot(), p.loginCacheSlot()
	if *nc == nil || *pc == nil || (*nc).scope != (*pc).scope || (*nc).ttl != (*pc).ttl {
		return false
	}
	*nc = *pc
	return true
}

// mac returns the HMAC of the stored hash and password under c's key.
func (c *loginCache) mac(encoded, password string) [sha256.Size]byte {
	m := hmac.New(sha256.New, c.key[:])
	m.Write([]byte(encoded))
	m.Write([]byte{0})
	m.Write([]byte(password))
	var out [sha256.Size]byte
	m.Sum(out[:0])
	return out
}

// hit tells whether name logged in with password against the stored hash
// encoded within the TTL. A nil cache never hits.
func (c *loginCache) hit(name, encoded, password string, now time.Time) bool {
	_, ok := c.lookup(name, encoded, password, now)
	return ok
}

// lookup is hit, also returning a copy of the user remembered with the
// check (nil when none was).
func (c *loginCache) lookup(name, encoded, password string, now time.Time) (*User, bool) {
	if c == nil {
		return nil, false
	}
	return c.lookupMAC(name, encoded, c.mac(encoded, password), now)
}

// lookupMAC is lookup with the password's HMAC (c.mac) computed.
func (c *loginCache) lookupMAC(name, encoded string, mac [sha256.Size]byte, now time.Time) (*User, bool) {
	c.mu.Lock()
	e, ok := c.entries[name]
	c.mu.Unlock()
	if !ok || e.encoded != encoded || !now.Before(e.expires) {
		return nil, false
	}
	if !hmac.Equal(mac[:], e.mac[:]) {
		return nil, false
	}
	if e.user == nil {
		return nil, true
	}
	u := *e.user
	return &u, true
}

// flightKey names a check under way: the user, and the HMAC of the stored
// hash and the password, so that only logins with the very same
// credentials share one, never a wrong password a right one's.
type flightKey struct {
	name string
	mac  [sha256.Size]byte
}

// flight is a check under way; done is closed once ok and err are set.
type flight struct {
	done    chan struct{}
	ok      bool
	err     error
	waiters int // logins that came to wait for it (under loginCache.mu), for tests
}

// errCheckAbandoned is the answer of a check whose verification panicked.
var errCheckAbandoned = errors.New("the password check ended without an answer")

// check tells whether password is name's, whose stored hash is encoded:
// from the cache when it hits, and otherwise by verify, whose success it
// remembers. A login of the same user with the same password against the
// same hash that comes while verify runs waits for its answer instead of
// verifying again, so that N clients of one user connecting at once (a
// mail client opening its folders, everyone after a restart) cost one
// verification, not N. A waiting login takes only an answer (right or
// wrong): when the check failed (its login's context ended, no place to
// verify) it checks again, so one client hanging up never fails another.
// If ctx ends while it waits, the answer is an ErrUnavailable wrapping
// errNoVerifySlot, as holdVerifySlot's. A nil cache just calls verify.
func (c *loginCache) check(ctx context.Context, name, encoded, password string, now time.Time, verify func() (bool, error)) (bool, error) {
	if c == nil {
		return verify()
	}
	key := flightKey{name: name, mac: c.mac(encoded, password)}
	for {
		if _, ok := c.lookupMAC(name, encoded, key.mac, now); ok {
			return true, nil
		}
		c.mu.Lock()
		f := c.flights[key]
		if f == nil {
			f = &flight{done: make(chan struct{}), err: errCheckAbandoned}
			c.flights[key] = f
			c.mu.Unlock()
			return c.lead(key, f, encoded, now, verify)
		}
		f.waiters++
		c.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return false, fmt.Errorf("%w: %w: %w", ErrUnavailable, errNoVerifySlot, context.Cause(ctx))
		}
		if f.err == nil {
			return f.ok, nil
		}
	}
}

// lead runs the check f, of key, for check: it verifies, remembers a
// success, and then lets those waiting for f have its answer.
func (c *loginCache) lead(key flightKey, f *flight, encoded string, now time.Time, verify func() (bool, error)) (ok bool, err error) {
	defer func() {
		c.mu.Lock()
		delete(c.flights, key)
		c.mu.Unlock()
		close(f.done)
	}()
	ok, err = verify()
	if err == nil && ok {
		c.rememberMAC(key.name, encoded, key.mac, nil, now)
	}
	f.ok, f.err = ok, err
	return ok, err
}

// remember records a successful check of name's password against encoded.
func (c *loginCache) remember(name, encoded, password string, now time.Time) {
	c.rememberUser(name, encoded, password, nil, now)
}

// rememberUser is remember, keeping a copy of u to answer later hits with.
// Back-ends that check the password elsewhere (PAM, an LDAP bind, RADIUS)
// pass "" as encoded: their entries last the TTL, whatever changes on the
// server meanwhile.
func (c *loginCache) rememberUser(name, encoded, password string, u *User, now time.Time) {
	if c == nil {
		return
	}
	c.rememberMAC(name, encoded, c.mac(encoded, password), u, now)
}

// rememberMAC is rememberUser with the password's HMAC (c.mac) computed.
func (c *loginCache) rememberMAC(name, encoded string, mac [sha256.Size]byte, u *User, now time.Time) {
	e := cachedLogin{encoded: encoded, mac: mac, expires: now.Add(c.ttl)}
	if u != nil {
		cp := *u
		e.user = &cp
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[name]; !ok && len(c.entries) >= maxCachedLogins {
		c.evictLocked(now)
	}
	c.entries[name] = e
}

// evictLocked makes room: it drops expired entries, and when none had
// expired, an arbitrary tenth of the others. c.mu is held.
func (c *loginCache) evictLocked(now time.Time) {
	for name, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, name)
		}
	}
	if len(c.entries) < maxCachedLogins {
		return
	}
	drop := maxCachedLogins / 10
	for name := range c.entries {
		if drop == 0 {
			break
		}
		delete(c.entries, name)
		drop--
	}
}
