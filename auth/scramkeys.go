package auth

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/xdg-go/stringprep"
)

// SCRAMIterations is the PBKDF2 iteration count of the SCRAM keys that
// HashSCRAM writes: 4096, the minimum RFC 7677 asks for and Dovecot's
// default, so that a Dovecot passwd-file line and ours look alike.
const SCRAMIterations = 4096

// maxSCRAMIterations bounds the iteration count a stored key may have:
// verifying a password typed into LOGIN or PLAIN against SCRAM keys costs
// that many HMACs.
const maxSCRAMIterations = 1_000_000

// scramSchemeName is the users-file prefix of SCRAM keys, as Dovecot
// writes it.
const scramSchemeName = "SCRAM-SHA-256"

// SCRAMKeys are the SCRAM-SHA-256 credentials of a user (RFC 5802,
// section 3): what a server stores instead of the password. In the users
// file they are written as Dovecot does:
//
//	{SCRAM-SHA-256}ITERATIONS,SALT,STOREDKEY,SERVERKEY
//
// with the salt and the two keys in standard, padded base64. Such an
// entry logs in through SCRAM-SHA-256(-PLUS) and also through LOGIN and
// PLAIN, whose password is checked by deriving the keys again. A bcrypt,
// SHA-crypt or Argon2 hash cannot give SCRAM keys: such users can log in
// with LOGIN and PLAIN only, and SCRAM fails for them (as in Dovecot).
type SCRAMKeys struct {
	Iterations int
	Salt       []byte
	StoredKey  []byte // H(ClientKey)
	ServerKey  []byte // HMAC(SaltedPassword, "Server Key")
}

// SCRAMStore finds the SCRAM keys of a user. The users file is one.
type SCRAMStore interface {
	// SCRAMKeys returns name's keys. A user who is unknown, locked or
	// stored with another kind of hash gives an error wrapping
	// ErrBadCredentials; a store that cannot answer, ErrUnavailable.
	SCRAMKeys(ctx context.Context, name string) (*SCRAMKeys, error)
}

// NewSCRAMKeys derives the SCRAM-SHA-256 keys of password with salt and
// iterations. The password is prepared with SASLprep (RFC 4013), as SCRAM
// clients prepare it.
func NewSCRAMKeys(password string, salt []byte, iterations int) (*SCRAMKeys, error) {
	prepared, err := stringprep.SASLprep.Prepare(password)
	if err != nil {
		return nil, fmt.Errorf("password cannot be used with SCRAM: %w", err)
	}
	salted, err := pbkdf2.Key(sha256.New, prepared, salt, iterations, sha256.Size)
	if err != nil {
		return nil, fmt.Errorf("scram: %w", err)
	}
	clientKey := hmacSHA256(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	return &SCRAMKeys{Iterations: iterations, Salt: salt, StoredKey: stored[:], ServerKey: hmacSHA256(salted, "Server Key")}, nil
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// String returns the keys as a users-file password field.
func (k *SCRAMKeys) String() string {
	e := base64.StdEncoding.EncodeToString
	return "{" + scramSchemeName + "}" + strconv.Itoa(k.Iterations) + "," + e(k.Salt) + "," + e(k.StoredKey) + "," + e(k.ServerKey)
}

// HashSCRAM returns the users-file password field holding the SCRAM keys
// of a new password, with a random 16-byte salt and SCRAMIterations. It
// refuses what HashPassword refuses, except that the length is not bound
// by bcrypt's 72 bytes, and passwords that SASLprep (RFC 4013) rejects.
func HashSCRAM(password string) (string, error) {
	if err := checkPasswordText(password); err != nil {
		return "", err
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	k, err := NewSCRAMKeys(password, salt, SCRAMIterations)
	if err != nil {
		return "", err
	}
	return k.String(), nil
}

// parseSCRAMKeys parses what follows {SCRAM-SHA-256} in a password field.
// Its errors never repeat the field.
func parseSCRAMKeys(s string) (passwordHash, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return passwordHash{}, errors.New("malformed {SCRAM-SHA-256} keys: want ITERATIONS,SALT,STOREDKEY,SERVERKEY")
	}
	iter, err := strconv.Atoi(parts[0])
	if err != nil || iter < 1 || iter > maxSCRAMIterations {
		return passwordHash{}, fmt.Errorf("{SCRAM-SHA-256} iteration count must be a number from 1 to %d", maxSCRAMIterations)
	}
	k := &SCRAMKeys{Iterations: iter}
	for _, f := range []struct {
		what string
		to   *[]byte
		len  int // 0: any, at least one byte
		text string
	}{{"salt", &k.Salt, 0, parts[1]}, {"stored key", &k.StoredKey, sha256.Size, parts[2]}, {"server key", &k.ServerKey, sha256.Size, parts[3]}} {
		b, err := base64.StdEncoding.Strict().DecodeString(f.text)
		if err != nil || len(b) == 0 || (f.len > 0 && len(b) != f.len) {
			return passwordHash{}, fmt.Errorf("malformed {SCRAM-SHA-256} %s", f.what)
		}
		*f.to = b
	}
	return passwordHash{scheme: schemeSCRAM, encoded: "{" + scramSchemeName + "}" + s, scram: k}, nil
}

// verify tells whether password derives k's stored key.
func (k *SCRAMKeys) verify(password string) bool {
	again, err := NewSCRAMKeys(password, k.Salt, k.Iterations)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(again.StoredKey, k.StoredKey) == 1
}

// SCRAMKeys implements SCRAMStore: the keys of a user whose password field
// holds {SCRAM-SHA-256} keys.
func (u *UsersFile) SCRAMKeys(ctx context.Context, name string) (*SCRAMKeys, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("users: SCRAM keys: %w: %w", ErrUnavailable, err)
	}
	e, _ := u.current(name)
	switch {
	case e == nil || e.hash.scheme == schemeLocked:
		return nil, ErrBadCredentials
	case e.hash.scheme != schemeSCRAM:
		return nil, fmt.Errorf("%w: user %q has a password hash from which SCRAM keys cannot be derived; "+
			"only LOGIN and PLAIN can log it in (set the password with: mailgate user passwd --scram %s)",
			ErrBadCredentials, name, name)
	}
	k := *e.hash.scram
	return &k, nil
}
