package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
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
type loginCache struct {
	ttl time.Duration
	key [32]byte

	mu      sync.Mutex
	entries map[string]cachedLogin
}

// cachedLogin is one remembered successful check.
type cachedLogin struct {
	encoded string // the stored hash it was checked against
	mac     [sha256.Size]byte
	expires time.Time
	user    *User // the user the check gave, for back-ends that store no hash here
}

// newLoginCache returns a cache whose entries live ttl, or nil (no cache)
// when ttl is not positive.
func newLoginCache(ttl time.Duration) *loginCache {
	if ttl <= 0 {
		return nil
	}
	c := &loginCache{ttl: ttl, entries: make(map[string]cachedLogin)}
	rand.Read(c.key[:]) // never fails (crypto/rand panics instead)
	return c
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
	c.mu.Lock()
	e, ok := c.entries[name]
	c.mu.Unlock()
	if !ok || e.encoded != encoded || !now.Before(e.expires) {
		return nil, false
	}
	mac := c.mac(encoded, password)
	if !hmac.Equal(mac[:], e.mac[:]) {
		return nil, false
	}
	if e.user == nil {
		return nil, true
	}
	u := *e.user
	return &u, true
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
	e := cachedLogin{encoded: encoded, mac: c.mac(encoded, password), expires: now.Add(c.ttl)}
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
