package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// A login with a name nobody has must cost what a real user's wrong
// password costs, or the time of the answer tells which names exist. So
// the back-ends verify a decoy, a hash of the costliest kind they hold,
// for an unknown, locked or expired user, and verify it too after a
// wrong password against a hash that costs less than half of it (a
// SCRAM or SHA-crypt user among bcrypt ones), so that such a user is not
// told apart by a quicker answer either. What a verification costs is
// estimated from its scheme and parameters, as below; only the
// comparison of two estimates matters.

// Verification costs measured with this package's code on a 2-CPU
// x86-64 build machine (the fastest of five runs): bcrypt at cost 10
// takes 59 ms, SHA-512-crypt 1.2 ms and SHA-256-crypt 0.4 ms at 5000
// rounds, SCRAM-SHA-256 0.64 ms at 4096 iterations, argon2id 24 ms at
// m=19456 KiB, t=2, p=1, yescrypt 37 ms at Debian's N=4096, r=32.
const (
	bcryptUnitCost    = 58 * time.Microsecond // times 2^cost
	sha512RoundCost   = 233 * time.Nanosecond
	sha256RoundCost   = 80 * time.Nanosecond
	scramIterCost     = 157 * time.Nanosecond
	argon2KiBPassCost = 620 * time.Nanosecond // times m (KiB) times t
	yescryptUnitCost  = 280 * time.Nanosecond // times r times N
	md5CryptCost      = 150 * time.Microsecond
	plainCost         = time.Microsecond
)

// shaCryptDefaultRounds and shaCryptMinRounds are SHA-crypt's rounds
// when the hash names none, and the fewest it uses whatever it names.
const (
	shaCryptDefaultRounds = 5000
	shaCryptMinRounds     = 1000
)

// work estimates what verifying a password against h costs.
func (h *passwordHash) work() time.Duration {
	switch h.scheme {
	case schemePlain:
		return plainCost
	case schemeBcrypt:
		cost, err := bcrypt.Cost([]byte(h.encoded))
		if err != nil {
			return 0
		}
		return bcryptUnitCost << cost
	case schemeSHA256Crypt:
		return sha256RoundCost * time.Duration(shaCryptRounds(h.encoded))
	case schemeSHA512Crypt:
		return sha512RoundCost * time.Duration(shaCryptRounds(h.encoded))
	case schemeArgon2id, schemeArgon2i:
		return argon2KiBPassCost * time.Duration(h.argon.memory) * time.Duration(h.argon.time)
	case schemeSCRAM:
		return scramIterCost * time.Duration(h.scram.Iterations)
	}
	return 0
}

// shaCryptRounds returns the rounds of a SHA-crypt string ($5$ or $6$).
func shaCryptRounds(s string) int {
	r, ok := strings.CutPrefix(s[min(3, len(s)):], "rounds=")
	if !ok {
		return shaCryptDefaultRounds
	}
	r, _, _ = strings.Cut(r, "$")
	n, err := strconv.Atoi(r)
	if err != nil {
		return shaCryptDefaultRounds
	}
	return max(n, shaCryptMinRounds)
}

// cryptWork estimates what verifyCrypt(stored, ...) costs, for the crypt
// strings of system databases: those the users file knows, and
// yescrypt, gost-yescrypt and MD5-crypt. A locked field costs nothing,
// and so, as far as this estimate goes, do the schemes only libcrypt
// knows (DES, scrypt): they are never taken for the costliest.
func cryptWork(stored string) time.Duration {
	switch {
	case isLocked(stored):
		return 0
	case strings.HasPrefix(stored, "$1$"):
		return md5CryptCost
	case strings.HasPrefix(stored, "$y$"), strings.HasPrefix(stored, "$gy$"):
		n, r, err := yescryptCost(strings.Replace(stored, "$gy$", "$y$", 1))
		if err != nil {
			return 0
		}
		return yescryptUnitCost * time.Duration(r) * time.Duration(n)
	}
	h, err := parsePasswordHash(stored)
	if err != nil {
		return 0
	}
	return h.work()
}

// maxDecoyWork bounds what the decoy costs: bcrypt at cost 12, about 240
// ms here, four times a hash that HashPassword makes (NewPasswordCost),
// six times Debian's yescrypt, and twice RFC 9106's second argon2id
// setting (m = 64 MiB, t = 3). Every hash that mailgate and the usual
// defaults make costs less, so their users keep the decoy rule whole. A
// made-up name needs no account and no throttled guess of anyone's
// password, so it must never cost the daemon more than this: a users file
// with one hash at the parser's limits would otherwise make each such
// login cost that hash, seconds and hundreds of MiB. A user whose hash
// costs more is told apart from an unknown name by a slower failure; the
// users file warns of such hashes at load.
const maxDecoyWork = bcryptUnitCost << 12

// The decoy's bound stays well within a login's patience: this fails to
// compile (a negative array length) if maxDecoyWork grows past 2 s.
var _ [2*time.Second - maxDecoyWork]struct{}

// cappedDecoyHash is the decoy of a file that holds hashes costlier than
// maxDecoyWork: bcrypt at cost 12 of a random secret nobody knows.
const cappedDecoyHash = "$2a$12$iyE97yRCWlevNyoidoqokei5twbW9VrFNlx12u.8ZBt3Z5h/6Stm."

// maxHashWork is the estimated cost above which a stored hash is refused
// rather than verified (parsePasswordHash): bcrypt at the parser's limit
// (cost 16) takes 3.8 s, and nothing that takes longer at each login is a
// setting anyone means. Argon2 alone reaches it within its other limits.
const maxHashWork = 4 * time.Second

// maxHashMemory bounds the memory of one verification (argon2's m,
// yescrypt's 128 * r * N): a stored hash that asks for more (a typo, or
// an LDAP attribute a user may write) would let each login attempt
// allocate it.
const maxHashMemory = 256 << 20

// verifySlots bounds how many costly verifications (every scheme but
// plain text and the LDAP digests) run at once: each holds its memory and
// a CPU for tens of milliseconds or more, and a burst of logins, of made-up
// names among them, would otherwise hold them all together. Beyond it,
// logins wait their turn, for as long as their context lasts.
var verifySlots = make(chan struct{}, runtime.GOMAXPROCS(0))

// errNoVerifySlot is the cause of a verification that never ran: its
// login's context ended (the client hung up, the login timed out) while
// it waited for a place among verifySlots.
var errNoVerifySlot = errors.New("the login ended while it waited for a place to verify its password")

// holdVerifySlot waits for a place among verifySlots and returns the
// function that gives it back. When ctx ends first, or has ended, it
// returns an ErrUnavailable wrapping errNoVerifySlot and the context's
// cause, and the verification must not run: a client that hung up has no
// use for its answer, and its wait must not hold up those still waiting.
func holdVerifySlot(ctx context.Context) (release func(), err error) {
	noSlot := func() error {
		return fmt.Errorf("%w: %w: %w", ErrUnavailable, errNoVerifySlot, context.Cause(ctx))
	}
	if ctx.Err() != nil {
		return nil, noSlot()
	}
	slots := verifySlots
	select {
	case slots <- struct{}{}:
		return func() { <-slots }, nil
	case <-ctx.Done():
		return nil, noSlot()
	}
}

// decoyErr is what verifying a decoy (result, err) means to the login
// that verified it: nothing, since a decoy matches no password, unless
// the verification never ran for want of a place (errNoVerifySlot); then
// the login is answered with that error, ErrUnavailable, whether or not
// the user exists.
func decoyErr(_ bool, err error) error {
	if errors.Is(err, errNoVerifySlot) {
		return err
	}
	return nil
}

// decoyPicker chooses the decoy among the hashes it is shown, with their
// estimated work: the costliest (the first of those that cost as much)
// when none costs more than maxDecoyWork; cappedDecoyHash, which costs
// maxDecoyWork, when one does; and dummyHash, bcrypt at NewPasswordCost,
// when none costs more than plain text. H is how a back-end holds a
// hash (a crypt string, a parsed hash).
type decoyPicker[H any] struct {
	best H
	work time.Duration
	over bool // a hash costs more than maxDecoyWork
}

// see shows p a hash and its work. It tells whether the hash costs more
// than maxDecoyWork.
func (p *decoyPicker[H]) see(h H, w time.Duration) bool {
	switch {
	case w > maxDecoyWork:
		p.over = true
		return true
	case w > p.work && w > plainCost:
		p.best, p.work = h, w
	}
	return false
}

// decoy returns the decoy chosen; builtin makes a back-end's hash of a
// built-in bcrypt string.
func (p *decoyPicker[H]) decoy(builtin func(string) H) H {
	switch {
	case p.over:
		return builtin(cappedDecoyHash)
	case p.work == 0:
		return builtin(dummyHash)
	}
	return p.best
}

// fileDecoy is the decoy of a file in passwd(5) layout (the shadow file, a
// virtdomain domain file): decoyPicker's choice among its password fields
// that this build verifies, chosen again when the file changes. It is safe
// for concurrent use.
type fileDecoy struct {
	mu      sync.Mutex
	version os.FileInfo // of the file hash was chosen from
	hash    string
}

// of returns the decoy of the file at path, or dummyHash when it cannot
// be read.
func (d *fileDecoy) of(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return dummyHash
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.version != nil && sameVersion(fi, d.version) {
		return d.hash
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return dummyHash
	}
	var p decoyPicker[string]
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) < 2 || f[1] == "" || !buildVerifies(f[1]) {
			continue
		}
		p.see(f[1], cryptWork(f[1]))
	}
	d.version, d.hash = fi, p.decoy(func(s string) string { return s })
	return d.hash
}

// needsDecoy tells whether a wrong password against a hash that costs
// own must also verify the decoy, which costs decoy: when own is less
// than half of it. Then the failure costs between decoy and 1.5 times
// it, rather than less than half.
func needsDecoy(own, decoy time.Duration) bool {
	return 2*own < decoy
}
