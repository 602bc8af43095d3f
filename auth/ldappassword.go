package auth

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"hash"
	"strings"
	"time"
)

// ldapDigests are the {SCHEME}s of RFC 2307 userPassword values that are
// a digest of the password and, for the salted ones ({S...}), a salt
// appended to both.
var ldapDigests = map[string]struct {
	new    func() hash.Hash
	salted bool
}{
	"SHA": {sha1.New, false}, "SSHA": {sha1.New, true},
	"SHA256": {sha256.New, false}, "SSHA256": {sha256.New, true},
	"SHA512": {sha512.New, false}, "SSHA512": {sha512.New, true},
	"MD5": {md5.New, false}, "SMD5": {md5.New, true},
}

// ldapPasswordWork estimates what verifyLDAPPassword(stored, ...) costs:
// that of the crypt string of a {CRYPT} or {ARGON2} value, next to
// nothing for the digests and cleartext.
func ldapPasswordWork(stored string) time.Duration {
	end := strings.IndexByte(stored, '}')
	if !strings.HasPrefix(stored, "{") || end < 0 {
		return plainCost
	}
	switch strings.ToUpper(stored[1:end]) {
	case "CRYPT", "ARGON2":
		return cryptWork(stored[end+1:])
	}
	return plainCost
}

// verifyLDAPPassword checks password against one userPassword value:
// {CRYPT} and {ARGON2} through verifyCrypt, the digests of ldapDigests,
// and a value without a scheme as cleartext. Another scheme is an error.
func verifyLDAPPassword(ctx context.Context, stored, password string) (bool, error) {
	if !strings.HasPrefix(stored, "{") {
		return subtle.ConstantTimeCompare([]byte(stored), []byte(password)) == 1, nil
	}
	end := strings.IndexByte(stored, '}')
	if end < 0 {
		return false, fmt.Errorf("userPassword scheme has no closing '}'")
	}
	scheme, rest := strings.ToUpper(stored[1:end]), stored[end+1:]
	switch scheme {
	case "CRYPT", "ARGON2":
		return verifyCrypt(ctx, rest, password)
	case "CLEARTEXT", "PLAIN":
		return subtle.ConstantTimeCompare([]byte(rest), []byte(password)) == 1, nil
	}
	d, ok := ldapDigests[scheme]
	if !ok {
		return false, fmt.Errorf("userPassword scheme {%s} is not supported", scheme)
	}
	raw, err := base64.StdEncoding.DecodeString(rest)
	h := d.new()
	if err != nil || len(raw) < h.Size() || (!d.salted && len(raw) != h.Size()) {
		return false, fmt.Errorf("userPassword {%s} value is malformed", scheme)
	}
	sum, salt := raw[:h.Size()], raw[h.Size():]
	h.Write([]byte(password))
	h.Write(salt)
	return subtle.ConstantTimeCompare(h.Sum(nil), sum) == 1, nil
}
