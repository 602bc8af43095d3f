package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/GehirnInc/crypt/md5_crypt"
	yescrypt "github.com/openwall/yescrypt-go"
	"golang.org/x/crypto/bcrypt"
)

// SQLDecoyFile and LDAPDecoyFile are the names, in the data directory, of
// the files that keep the decoy the sql back-end and the ldap back-end's
// compare method learned (learnedDecoy), for the processes that come
// after: each session's under inetd, the daemon's after a restart.
const (
	SQLDecoyFile  = "decoy-sql"
	LDAPDecoyFile = "decoy-ldap"
)

// maxDecoyFileSize bounds what is read of a decoy file: a hash that
// the parsers accept is far shorter.
const maxDecoyFileSize = 1024

// learnedDecoy is the decoy of a back-end that sees its hashes one login
// at a time (SQL, LDAP's compare method): decoyPicker's choice among the
// stored values verified so far and the one its file holds, dummyHash
// (bcrypt at NewPasswordCost) before any.
//
// The file, when path is set, carries the choice from one process to the
// next: without it a process that has seen no hash yet (every session
// under inetd) would verify the floor, and tell a user with a costlier
// hash apart from an unknown name. It holds one value of the back-end's
// stored form, a hash of a random secret with the scheme and parameters
// of the costliest hash seen, never a user's hash nor anything derived
// from a user's password. It is read once, when the back-end is made (no
// hash is computed then), and written, whole (a temporary file renamed
// into place), only when a login shows a costlier hash than it holds: the
// new decoy is computed then, once. A file that is not a regular file of
// this user's (or root's), or whose value the back-end would not verify
// or that costs more than maxDecoyWork, is ignored with a warning and
// replaced at the next such login. A data directory this process cannot
// write keeps the choice in the process (logged once, at debug level).
//
// It is safe for concurrent use.
type learnedDecoy struct {
	path    string                            // "": in this process only
	work    func(stored string) time.Duration // a stored value's cost
	accepts func(stored string) bool          // the back-end verifies it
	wrap    func(crypt string) string         // a built-in bcrypt string as a stored value
	log     *slog.Logger

	mu     sync.Mutex
	p      decoyPicker[string]
	noFile bool // the data directory cannot be written

	writing sync.Mutex // one update of the file at a time
}

// newLearnedDecoy returns the decoy of a back-end, with what the file at
// path (if any) holds.
func newLearnedDecoy(path string, work func(string) time.Duration, accepts func(string) bool, wrap func(string) string, log *slog.Logger) *learnedDecoy {
	if log == nil {
		log = slog.Default()
	}
	d := &learnedDecoy{path: path, work: work, accepts: accepts, wrap: wrap, log: log}
	if path == "" {
		return d
	}
	v, err := d.read()
	switch {
	case err != nil:
		d.log.Warn("mailgate: the learned decoy's file is ignored, and is replaced when a login shows a hash", "file", path, "err", err)
	case v != "":
		d.p.see(v, d.work(v))
	}
	return d
}

// hash returns the decoy.
func (d *learnedDecoy) hash() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.p.decoy(d.wrap)
}

// saw shows d a stored value that was verified without error. When it
// costs more than the decoy, it becomes the decoy here at once, and a
// decoy like it goes to the file.
func (d *learnedDecoy) saw(ctx context.Context, stored string) {
	w := d.work(stored)
	d.mu.Lock()
	work, over := d.p.work, d.p.over
	d.p.see(stored, w)
	learned := d.p.work != work || d.p.over != over
	keep := learned && d.path != "" && !d.noFile
	d.mu.Unlock()
	if keep {
		d.keep(ctx, stored, w)
	}
}

// keep writes to the file a decoy that costs what stored, which costs w,
// does: cappedDecoyHash above maxDecoyWork, else a hash of a random
// secret made like stored. Nothing is computed when the file holds as
// costly a decoy already (another process learned it meanwhile), or
// when the data directory cannot be written.
func (d *learnedDecoy) keep(ctx context.Context, stored string, w time.Duration) {
	d.writing.Lock()
	defer d.writing.Unlock()
	// Other processes learn too: the file is read, compared and
	// replaced under one lock, so that a cheaper decoy never replaces
	// a costlier one another process wrote meanwhile. A lock file this
	// process may not open (root's, left by a command run as root)
	// leaves only that race: the file is still kept.
	if unlock, err := lockPath(d.path); err == nil {
		defer unlock()
	}
	if v, err := d.read(); err == nil && v != "" && d.work(v) >= min(w, maxDecoyWork) {
		d.mu.Lock()
		d.p.see(v, d.work(v))
		d.mu.Unlock()
		return
	}
	dir := filepath.Dir(d.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(d.path)+"-*")
	if err != nil {
		d.noFileHere(err)
		return
	}
	defer os.Remove(tmp.Name())
	value := d.wrap(cappedDecoyHash)
	if w <= maxDecoyWork {
		// Not the login's own context: the process has learned the cost
		// already and would never try again, so a client that hung up
		// must not cost the file its decoy. Bounded all the same.
		mk, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if value, err = d.like(mk, stored); err != nil {
			tmp.Close()
			d.log.Debug("mailgate: the learned decoy stays in this process", "file", d.path, "err", err)
			return
		}
	}
	_, werr := tmp.WriteString(value + "\n")
	if err := errors.Join(werr, tmp.Close(), os.Rename(tmp.Name(), d.path)); err != nil {
		d.log.Warn("mailgate: the learned decoy's file could not be written", "file", d.path, "err", err)
	}
}

// noFileHere keeps the decoy in the process from now on: its file cannot
// be written (err says why), which is logged once.
func (d *learnedDecoy) noFileHere(err error) {
	d.mu.Lock()
	d.noFile = true
	d.mu.Unlock()
	d.log.Debug("mailgate: the learned decoy stays in this process: its file cannot be written", "file", d.path, "err", err)
}

// like returns a stored value of the scheme and parameters of stored,
// which costs the same, of a random secret; it waits for a place among
// verifySlots as a verification does.
func (d *learnedDecoy) like(ctx context.Context, stored string) (string, error) {
	release, err := holdVerifySlot(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	v, err := hashLike(stored, GeneratePassword())
	if err != nil {
		return "", err
	}
	if d.work(v) != d.work(stored) || !d.accepts(v) {
		return "", fmt.Errorf("a decoy made like the %s hash seen would not cost the same", schemeOf(stored))
	}
	return v, nil
}

// read returns the value of the file at d.path, "" when there is none,
// or an error saying why the file is not to be trusted.
func (d *learnedDecoy) read() (string, error) {
	f, err := openNoFollow(d.path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err // ELOOP: a symbolic link
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", errors.New("not a regular file")
	}
	if uid, ok := fileOwner(fi); ok && uid != 0 && uid != os.Geteuid() {
		return "", fmt.Errorf("owned by uid %d, neither this process's user nor root", uid)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxDecoyFileSize+1))
	if err != nil {
		return "", err
	}
	v := strings.TrimSuffix(string(data), "\n")
	switch w := d.work(v); {
	case len(data) > maxDecoyFileSize, strings.ContainsAny(v, "\r\n"), !d.accepts(v), w <= plainCost:
		return "", errors.New("not a hash that this back-end verifies")
	case w > maxDecoyWork:
		return "", fmt.Errorf("a hash that costs about %v, above the decoy's bound of %v", w.Round(time.Millisecond), maxDecoyWork)
	}
	return v, nil
}

// hashLike returns a hash of secret with the scheme and parameters of
// stored (a crypt string, with or without a {SCHEME} prefix, which is
// kept) and a new random salt: bcrypt, SHA-crypt, argon2, SCRAM-SHA-256
// keys, MD5-crypt and yescrypt. Another scheme is an error.
func hashLike(stored, secret string) (string, error) {
	if strings.HasPrefix(stored, "{"+scramSchemeName+"}") {
		h, err := parsePasswordHash(stored)
		if err != nil {
			return "", err
		}
		k, err := NewSCRAMKeys(secret, randomBytes(16), h.scram.Iterations)
		if err != nil {
			return "", err
		}
		return k.String(), nil
	}
	prefix, s := "", stored
	if strings.HasPrefix(stored, "{") {
		end := strings.IndexByte(stored, '}')
		if end < 0 {
			return "", errors.New("a {SCHEME} prefix without its '}'")
		}
		prefix, s = stored[:end+1], stored[end+1:]
	}
	var out string
	switch {
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		cost, err := bcrypt.Cost([]byte(s))
		if err != nil {
			return "", err
		}
		b, err := bcrypt.GenerateFromPassword([]byte(secret), cost)
		if err != nil {
			return "", err
		}
		out = s[:4] + string(b[4:])
	case strings.HasPrefix(s, "$5$"), strings.HasPrefix(s, "$6$"):
		v := sha256CryptVariant
		if s[1] == '6' {
			v = sha512CryptVariant
		}
		setting := s[:3]
		if strings.HasPrefix(s[3:], "rounds=") {
			setting += fmt.Sprintf("rounds=%d$", shaCryptRounds(s))
		}
		salt := randomCryptText(shaCryptSaltMax)
		out = setting + salt + "$" + string(v.sum([]byte(secret), []byte(salt), shaCryptRounds(s)))
	case strings.HasPrefix(s, "$argon2id$"), strings.HasPrefix(s, "$argon2i$"):
		sc := schemeArgon2i
		if strings.HasPrefix(s, "$argon2id$") {
			sc = schemeArgon2id
		}
		h, err := parseArgon2(s, sc)
		if err != nil {
			return "", err
		}
		salt := randomBytes(len(h.argon.salt))
		key := argon2Key(sc, &h.argon, secret, salt)
		parts := strings.Split(s, "$")
		e := base64.RawStdEncoding.EncodeToString
		out = strings.Join([]string{"", parts[1], parts[2], parts[3], e(salt), e(key)}, "$")
	case strings.HasPrefix(s, "$1$"):
		var err error
		if out, err = md5_crypt.New().Generate([]byte(secret), []byte("$1$"+randomCryptText(8))); err != nil {
			return "", err
		}
	case strings.HasPrefix(s, "$y$"):
		// $y$ PARAMS $ SALT $ HASH: the same parameters, a new salt
		// of 16 bytes, as libxcrypt makes: 22 characters, the last of
		// which holds the last 2 bits.
		parts := strings.Split(s, "$")
		if _, _, err := yescryptCost(s); err != nil || len(parts) != 5 {
			return "", errYescryptForm
		}
		salt := randomCryptText(21) + string(itoa64[randomBytes(1)[0]&3])
		b, err := yescrypt.Hash([]byte(secret), []byte("$y$"+parts[2]+"$"+salt))
		if err != nil {
			return "", err
		}
		out = string(b)
	default:
		return "", fmt.Errorf("no decoy is made like %s hashes here", schemeOf(s))
	}
	return prefix + out, nil
}

// randomBytes returns n random bytes.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return b
}

// randomCryptText returns n random characters of crypt(3)'s base-64
// alphabet, for a salt.
func randomCryptText(n int) string {
	b := randomBytes(n)
	for i := range b {
		b[i] = shaCryptAlphabet[b[i]&63]
	}
	return string(b)
}
