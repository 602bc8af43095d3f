package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// ErrBadCredentials is returned when a name and password do not log in: the
// user is unknown, the account is locked, or the password is wrong. Which of
// these it was is deliberately not told.
var ErrBadCredentials = errors.New("auth: invalid user name or password")

// User is a user that auth knows.
type User struct {
	Name  string
	UID   int // -1 when the users file leaves it empty: the service's own
	GID   int // -1 when the users file leaves it empty: the service's own
	Gecos string
	Home  string // absolute; <data dir>/<name> when the users file leaves it empty (and "" without a data dir)
	Shell string
	// System marks a system account (the system and pam back-ends): its
	// home holds far more than mail, so its mail directory is $home/Mail.
	System bool
	// Quota is the user's own quota (the users file's eighth field, the
	// SQL back-end's quota column); zero means the configured default.
	Quota Quota
}

// Authenticator checks a user's password. It is the contract every password
// back-end (the users file now; system accounts and others later) fulfils.
//
// Authenticate returns the user on success and ErrBadCredentials (possibly
// wrapped) when the name and password do not match. Other errors mean the
// back-end could not answer (for example ctx was cancelled). Implementations
// are safe for concurrent use and take about as long for an unknown user as
// for a wrong password.
type Authenticator interface {
	Authenticate(ctx context.Context, name, password string) (*User, error)
}

// reloadInterval is how often a UsersFile looks at its file's mtime.
const reloadInterval = time.Second

// maxPasswordLen bounds the passwords Authenticate hashes: SHA-crypt's work
// grows with the password's length, so a megabyte-long one would cost
// seconds of CPU. Longer passwords simply fail.
const maxPasswordLen = 1024

// UsersFileOptions are the optional settings of LoadUsersFile. The zero value
// is usable.
type UsersFileOptions struct {
	// Logger receives warnings ({PLAIN} passwords) and failed reloads.
	// Nil means slog.Default().
	Logger *slog.Logger
	// CacheTTL is how long a successful password check is remembered, so
	// that the same user logging in again with the same password skips
	// the costly hash verification. A change of the user's stored hash
	// forgets it at once. Zero or negative turns the cache off.
	CacheTTL time.Duration
}

// UsersFile is a users file loaded in memory; LoadUsersFile makes one. It
// implements Authenticator. It notices when the file is replaced or modified
// (it looks at most once a second) and loads it again, so that edits take
// effect without a restart. If the new content is malformed it keeps the old
// one and logs the error. It is safe for concurrent use.
type UsersFile struct {
	path    string
	dataDir string
	log     *slog.Logger
	now     func() time.Time // a test clock; time.Now in production
	cache   *loginCache      // nil when off

	// verifying, when set (by tests), is called with each hash
	// Authenticate verifies.
	verifying func(*passwordHash)

	mu        sync.Mutex
	table     *usersTable
	dummy     *passwordHash // the decoy (hashcost.go): the costliest hash of the file
	loaded    os.FileInfo   // the version in table
	failed    os.FileInfo   // the last version that did not load
	failedErr error         // why it did not
	lastErr   string        // the last reload error logged, to log it once
	checkedAt time.Time
}

// LoadUsersFile reads the users file at path. dataDir is where the homes that
// the file leaves empty are: <dataDir>/<name>. A malformed line is a
// *ParseError naming the file and the line.
func LoadUsersFile(path, dataDir string, opts *UsersFileOptions) (*UsersFile, error) {
	if opts == nil {
		opts = &UsersFileOptions{}
	}
	u := &UsersFile{path: path, dataDir: dataDir, log: opts.Logger, now: time.Now,
		cache: newLoginCache(opts.CacheTTL, cacheScope("users-file", path, dataDir))}
	if u.log == nil {
		u.log = slog.Default()
	}
	if err := u.Reload(); err != nil {
		return nil, err
	}
	return u, nil
}

// loginCacheSlot implements cacheHolder.
func (u *UsersFile) loginCacheSlot() **loginCache { return &u.cache }

// Path returns the file's path.
func (u *UsersFile) Path() string { return u.path }

// Reload reads the file now if it changed since it was last loaded. On error
// the users loaded before stay in force.
func (u *UsersFile) Reload() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.checkedAt = u.now()
	return u.reloadLocked()
}

// reloadLocked does Reload's work; u.mu is held. Reading a small local file
// under the lock is accepted: logins wait for it at most once a second.
func (u *UsersFile) reloadLocked() error {
	f, err := os.Open(u.path)
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	if u.loaded != nil && sameVersion(fi, u.loaded) {
		return nil
	}
	if u.failed != nil && sameVersion(fi, u.failed) {
		return u.failedErr
	}
	// Sized from the stat, not grown by doubling: a large file is read
	// by every inetd session.
	buf := bytes.NewBuffer(make([]byte, 0, fi.Size()+bytes.MinRead))
	_, err = buf.ReadFrom(f)
	data := buf.Bytes()
	if err != nil {
		return fmt.Errorf("users: read %s: %w", u.path, err)
	}
	t, err := parseUsers(data, u.path, u.dataDir)
	if err != nil {
		u.failed, u.failedErr = fi, err
		return err
	}
	u.table, u.loaded, u.failed, u.failedErr = t, fi, nil, nil
	var costlier []string
	u.dummy, costlier = chooseDecoy(t.entries)
	if len(costlier) > 0 {
		u.log.Warn("users file has hashes that cost more to verify than an unknown name's decoy, so a failed login tells these names exist; rehash them (mailgate user passwd)",
			"file", u.path, "users", costlier, "decoy", maxDecoyWork.Round(10*time.Millisecond))
	}
	if t.plain > 0 {
		u.log.Warn("users file has plaintext passwords; replace them with hashes (mailgate user passwd)",
			"file", u.path, "users", t.plain)
	}
	return nil
}

// chooseDecoy returns the decoy of entries by decoyPicker's rule (the
// costliest hash, within maxDecoyWork), and the names of the users whose
// hash costs more than that.
func chooseDecoy(entries []*entry) (decoy *passwordHash, costlier []string) {
	var p decoyPicker[*passwordHash]
	for _, e := range entries {
		if e.hash.costly() && p.see(&e.hash, e.hash.work()) {
			costlier = append(costlier, e.user.Name)
		}
	}
	return p.decoy(func(s string) *passwordHash { return &passwordHash{scheme: schemeBcrypt, encoded: s} }), costlier
}

// sameVersion tells whether two stats are of the same file content, as far
// as mtime, size and inode tell.
func sameVersion(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.ModTime().Equal(b.ModTime()) && a.Size() == b.Size()
}

// current returns the entry for name (nil if none) and the hash to verify
// for a user who has none, reloading the file first if it is due.
func (u *UsersFile) current(name string) (*entry, *passwordHash) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if now := u.now(); now.Sub(u.checkedAt) >= reloadInterval || now.Before(u.checkedAt) {
		u.checkedAt = now
		if err := u.reloadLocked(); err == nil {
			u.lastErr = ""
		} else if err.Error() != u.lastErr {
			u.lastErr = err.Error()
			u.log.Error("users file not reloaded; the users loaded before stay in force", "err", err)
		}
	}
	return u.table.byName[name], u.dummy
}

// Authenticate checks name and password against the file. It returns a copy
// of the user, or ErrBadCredentials (ErrNoUser, which wraps it, for a
// user the file does not have). An unknown or locked user costs the
// verification of the file's costliest hash all the same, and a wrong
// password against a much cheaper hash costs it too (see hashcost.go). A
// password longer than 1024 bytes fails at once. A user who logged in
// with the same password within the cache TTL is answered from the cache.
func (u *UsersFile) Authenticate(ctx context.Context, name, password string) (*User, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("users: authenticate: %w: %w", ErrUnavailable, err)
	}
	if len(password) > maxPasswordLen {
		return nil, ErrBadCredentials
	}
	e, dummy := u.current(name)
	if e == nil || e.hash.scheme == schemeLocked {
		if err := decoyErr(u.verify(ctx, dummy, password)); err != nil {
			return nil, fmt.Errorf("users: authenticate: %w", err)
		}
		if e == nil {
			return nil, ErrNoUser
		}
		return nil, ErrBadCredentials
	}
	verify := func() (bool, error) { return u.verify(ctx, &e.hash, password) }
	var ok bool
	var err error
	if e.hash.costly() {
		ok, err = u.cache.check(ctx, name, e.hash.encoded, password, u.now(), verify)
	} else {
		ok, err = verify()
	}
	if err != nil {
		return nil, fmt.Errorf("users: authenticate: %w", err)
	}
	if !ok {
		if needsDecoy(e.hash.work(), dummy.work()) {
			if err := decoyErr(u.verify(ctx, dummy, password)); err != nil {
				return nil, fmt.Errorf("users: authenticate: %w", err)
			}
		}
		return nil, ErrBadCredentials
	}
	user := e.user
	return &user, nil
}

// verify verifies password against h (passwordHash.verify).
func (u *UsersFile) verify(ctx context.Context, h *passwordHash, password string) (bool, error) {
	if u.verifying != nil {
		u.verifying(h)
	}
	return h.verify(ctx, password)
}

// Lookup returns a copy of the named user, locked accounts included.
func (u *UsersFile) Lookup(name string) (*User, bool) {
	e, _ := u.current(name)
	if e == nil {
		return nil, false
	}
	user := e.user
	return &user, true
}

// Len returns how many users the file holds.
func (u *UsersFile) Len() int {
	u.current("")
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.table.entries)
}

// Users returns a copy of every user, in file order.
func (u *UsersFile) Users() []User {
	u.current("")
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]User, 0, len(u.table.entries))
	for _, e := range u.table.entries {
		out = append(out, e.user)
	}
	return out
}
