package auth

import (
	"crypto/subtle"
	"errors"
	"strings"

	yescrypt "github.com/openwall/yescrypt-go"
)

// maxYescryptMemory bounds the memory of one yescrypt verification in Go
// (128 * r * N bytes): maxHashMemory. Debian's default ($y$j9T$, N = 4096,
// r = 32) takes 16 MiB.
const maxYescryptMemory = maxHashMemory

// errYescryptForm is the error of a $y$ hash whose parameters the Go code
// does not decode (see yescryptCost): libcrypt may.
var errYescryptForm = errors.New("yescrypt parameters outside what the Go verifier decodes")

// yescryptCost returns N and r of a $y$ hash in the form libxcrypt writes
// ($y$j, one character each for log2(N)-1 and r-1, then $salt$hash), the
// form openwall's Go yescrypt verifies; anything else (variable-length
// parameters, p > 1, flags other than j) gives errYescryptForm.
func yescryptCost(stored string) (n, r int, err error) {
	if len(stored) < 8 || !strings.HasPrefix(stored, "$y$j") || stored[6] != '$' {
		return 0, 0, errYescryptForm
	}
	logN, r := strings.IndexByte(itoa64, stored[4])+1, strings.IndexByte(itoa64, stored[5])+1
	if logN < 10 || logN > 18 || r < 1 || r > 32 {
		return 0, 0, errYescryptForm
	}
	return 1 << logN, r, nil
}

// itoa64 is crypt(3)'s base-64 alphabet.
const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// verifyYescrypt checks password against a $y$ hash in Go. Hashes whose
// parameters it does not decode, or whose cost passes maxYescryptMemory,
// go to libcrypt (an error naming the build tag in a build without it).
// The caller holds a place among verifySlots.
func verifyYescrypt(stored, password string) (bool, error) {
	n, r, err := yescryptCost(stored)
	if err != nil || 128*r*n > maxYescryptMemory {
		return verifyLibcrypt(stored, password)
	}
	out, err := yescrypt.Hash([]byte(password), []byte(stored))
	if err != nil {
		// A salt that does not decode: the hash is damaged, and no
		// password matches it.
		return false, nil
	}
	return subtle.ConstantTimeCompare(out, []byte(stored)) == 1, nil
}

// goVerifies tells whether this build verifies a stored crypt string
// whose scheme is one only libcrypt knows in C: a $y$ hash in the form
// verifyYescrypt decodes.
func goVerifies(stored string) bool {
	n, r, err := yescryptCost(stored)
	return err == nil && 128*r*n <= maxYescryptMemory
}
