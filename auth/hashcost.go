package auth

import (
	"strconv"
	"strings"
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

// needsDecoy tells whether a wrong password against a hash that costs
// own must also verify the decoy, which costs decoy: when own is less
// than half of it. Then the failure costs between decoy and 1.5 times
// it, rather than less than half.
func needsDecoy(own, decoy time.Duration) bool {
	return 2*own < decoy
}
