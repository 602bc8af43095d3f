package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"

	"github.com/GehirnInc/crypt/md5_crypt"
)

// ErrCryptUnsupported is the error of a stored hash that this build
// cannot verify, such as a gost-yescrypt ($gy$) or DES hash in a build
// without libcrypt. It is wrapped in ErrUnavailable: the password may well be
// right.
var ErrCryptUnsupported = errors.New("password hash scheme not supported by this build")

// isLocked tells whether a stored crypt(3) field locks the account: empty
// (no password, which mailgate never accepts), "*", "x", or starting with
// "!" (passwd -l).
func isLocked(stored string) bool {
	return stored == "" || stored == "*" || stored == "x" || strings.HasPrefix(stored, "!")
}

// verifyCrypt checks password against a crypt(3) string as /etc/shadow and
// other system databases hold them:
//
//   - $6$ and $5$ SHA-crypt, $2b$/$2y$/$2a$ bcrypt and $1$ MD5-crypt, in
//     Go;
//   - the forms the users file knows ($argon2id$, {SCHEME} prefixes,
//     {PLAIN});
//   - yescrypt ($y$, Debian 12's default) through the system's libcrypt
//     when mailgate was built with -tags libcrypt, and otherwise in Go
//     (openwall's yescrypt-go) for the parameters libxcrypt writes, up to
//     maxYescryptMemory;
//   - anything else, gost-yescrypt ($gy$) and DES among them, through
//     libcrypt when built with it, and otherwise an error wrapping
//     ErrCryptUnsupported that says so.
//
// A locked field (see isLocked) matches nothing. The comparison takes the
// same time however much of the password matches. Each verification waits
// for its place among verifySlots as long as ctx lasts (holdVerifySlot).
func verifyCrypt(ctx context.Context, stored, password string) (bool, error) {
	if isLocked(stored) {
		return false, nil
	}
	switch {
	case strings.HasPrefix(stored, "$1$"), strings.HasPrefix(stored, "$y$"),
		strings.HasPrefix(stored, "$gy$"), strings.HasPrefix(stored, "$7$"):
		return verifyOtherCrypt(ctx, stored, password)
	}
	h, err := parsePasswordHash(stored)
	if err != nil {
		if strings.HasPrefix(stored, "{") {
			return false, err
		}
		// A scheme Go does not know (DES, $sha1$, $md5...): libcrypt may.
		return verifyOtherCrypt(ctx, stored, password)
	}
	return h.verify(ctx, password)
}

// verifyOtherCrypt verifies the crypt strings that the users file does
// not know: MD5-crypt and yescrypt in Go, and what libcrypt knows.
func verifyOtherCrypt(ctx context.Context, stored, password string) (bool, error) {
	release, err := holdVerifySlot(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	switch {
	case strings.HasPrefix(stored, "$1$"):
		return md5_crypt.New().Verify(stored, []byte(password)) == nil, nil
	case strings.HasPrefix(stored, "$y$") && !libcryptBuilt:
		return verifyYescrypt(stored, password)
	}
	return verifyLibcrypt(stored, password)
}

// schemeOf names the scheme of a crypt string for messages, without its
// salt or hash: "$y$", "$6$", or "DES" for the old 13-character form.
func schemeOf(stored string) string {
	if !strings.HasPrefix(stored, "$") {
		return "DES"
	}
	if end := strings.IndexByte(stored[1:], '$'); end >= 0 {
		return stored[:end+2]
	}
	return "unknown"
}

// compareLibcrypt compares libcrypt's output with the stored hash.
func compareLibcrypt(out, stored string) bool {
	return out != "" && !strings.HasPrefix(out, "*") && subtle.ConstantTimeCompare([]byte(out), []byte(stored)) == 1
}

// errNeedLibcrypt is the error of a hash that only libcrypt verifies, in a
// build without it.
func errNeedLibcrypt(stored string) error {
	return fmt.Errorf("%w: %s hashes (of these parameters) need mailgate built with -tags libcrypt (cgo, libcrypt-dev), or the pam back-end built with -tags pam",
		ErrCryptUnsupported, schemeOf(stored))
}
