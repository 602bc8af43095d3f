package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// NewPasswordCost is the bcrypt cost that HashPassword uses.
const NewPasswordCost = 10

// Limits on the work one verification may take. A hash above them is refused
// when the file is loaded, so that a typo such as rounds=500000000 cannot
// make every login take minutes; so is one whose estimated work passes
// maxHashWork (hashcost.go).
const (
	maxBcryptCost     = 16
	maxSHACryptRounds = 10_000_000
	maxArgon2Memory   = maxHashMemory >> 10 // KiB, that is 256 MiB
	maxArgon2Time     = 64
	maxArgon2Threads  = 64
)

// dummyHash is verified for a login whose user has no usable hash, in a file
// that has no other hash to borrow. It is bcrypt at NewPasswordCost of a
// random secret nobody knows.
const dummyHash = "$2a$10$KxbzOBBdvbijRly3vlfNAuiKyyq9F2vV7d99hUWw2fQuVm4zWAsu."

// scheme is how a password field stores the password.
type scheme int

const (
	schemeLocked scheme = iota
	schemePlain
	schemeBcrypt
	schemeSHA256Crypt
	schemeSHA512Crypt
	schemeArgon2id
	schemeArgon2i
	schemeSCRAM // SCRAM-SHA-256 keys (scramkeys.go)
)

// passwordHash is a parsed password field.
type passwordHash struct {
	scheme  scheme
	encoded string // the crypt string, without a {SCHEME} prefix
	plain   [sha256.Size]byte
	argon   argon2Params
	scram   *SCRAMKeys
}

// argon2Params are the decoded parts of an Argon2 PHC string.
type argon2Params struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

// shaCryptAlphabet is the base-64 alphabet of crypt(3) hashes.
const shaCryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// parsePasswordHash parses and checks a users-file password field. Its errors
// never repeat the field, which may hold a secret.
func parsePasswordHash(field string) (passwordHash, error) {
	if field == "" {
		return passwordHash{}, errors.New(`empty password field: put a hash there, or "*" to lock the account`)
	}
	if field == "*" || strings.HasPrefix(field, "!") {
		return passwordHash{scheme: schemeLocked}, nil
	}
	want := scheme(-1) // any crypt scheme
	if strings.HasPrefix(field, "{") {
		end := strings.IndexByte(field, '}')
		if end < 0 {
			return passwordHash{}, errors.New("password scheme prefix has no closing '}'")
		}
		name, rest := strings.ToUpper(field[1:end]), field[end+1:]
		switch name {
		case "PLAIN", "CLEARTEXT", "CLEAR":
			if rest == "" {
				return passwordHash{}, fmt.Errorf("{%s} with an empty password: use \"*\" to lock the account", name)
			}
			return passwordHash{scheme: schemePlain, plain: sha256.Sum256([]byte(rest))}, nil
		case scramSchemeName:
			return parseSCRAMKeys(rest)
		case "CRYPT":
		case "BLF-CRYPT":
			want = schemeBcrypt
		case "SHA256-CRYPT":
			want = schemeSHA256Crypt
		case "SHA512-CRYPT":
			want = schemeSHA512Crypt
		case "ARGON2ID":
			want = schemeArgon2id
		case "ARGON2I":
			want = schemeArgon2i
		default:
			return passwordHash{}, fmt.Errorf("unsupported password scheme {%s}", name)
		}
		field = rest
	}
	h, err := parseCrypt(field)
	if err != nil {
		return passwordHash{}, err
	}
	if want >= 0 && h.scheme != want {
		return passwordHash{}, errors.New("password hash does not match its {SCHEME} prefix")
	}
	if w := h.work(); w > maxHashWork {
		return passwordHash{}, fmt.Errorf("password hash would take about %v to verify at each login, above the limit of %v: rehash the password",
			w.Round(100*time.Millisecond), maxHashWork)
	}
	return h, nil
}

// parseCrypt parses a crypt(3)-style string.
func parseCrypt(s string) (passwordHash, error) {
	switch {
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		cost, err := bcrypt.Cost([]byte(s))
		if err != nil || len(s) != 60 {
			return passwordHash{}, errors.New("malformed bcrypt hash")
		}
		if cost > maxBcryptCost {
			return passwordHash{}, fmt.Errorf("bcrypt cost %d is above the limit of %d: rehash the password", cost, maxBcryptCost)
		}
		return passwordHash{scheme: schemeBcrypt, encoded: s}, nil
	case strings.HasPrefix(s, "$5$"):
		return parseSHACrypt(s, schemeSHA256Crypt, 43)
	case strings.HasPrefix(s, "$6$"):
		return parseSHACrypt(s, schemeSHA512Crypt, 86)
	case strings.HasPrefix(s, "$argon2id$"):
		return parseArgon2(s, schemeArgon2id)
	case strings.HasPrefix(s, "$argon2i$"):
		return parseArgon2(s, schemeArgon2i)
	}
	return passwordHash{}, errors.New("unsupported password hash: want $2y$/$2b$ bcrypt, $6$/$5$ SHA-crypt, $argon2id$, {PLAIN}text, or \"*\" for a locked account")
}

// parseSHACrypt checks a SHA-crypt string: $N$[rounds=R$]salt$hash.
func parseSHACrypt(s string, sc scheme, hashLen int) (passwordHash, error) {
	parts := strings.Split(s[3:], "$")
	if len(parts) == 3 && strings.HasPrefix(parts[0], "rounds=") {
		r := parts[0][len("rounds="):]
		rounds, err := strconv.ParseUint(r, 10, 64)
		if err != nil || r == "" || r[0] < '0' || r[0] > '9' {
			return passwordHash{}, errors.New("malformed SHA-crypt hash: bad rounds")
		}
		if rounds > maxSHACryptRounds {
			return passwordHash{}, fmt.Errorf("SHA-crypt rounds %d are above the limit of %d: rehash the password", rounds, maxSHACryptRounds)
		}
		parts = parts[1:]
	}
	if len(parts) != 2 {
		return passwordHash{}, errors.New("malformed SHA-crypt hash")
	}
	// The salt may be any length; crypt(3) uses its first 16 characters.
	if sum := parts[1]; len(sum) != hashLen || strings.Trim(sum, shaCryptAlphabet) != "" {
		return passwordHash{}, errors.New("malformed SHA-crypt hash")
	}
	return passwordHash{scheme: sc, encoded: s}, nil
}

// parseArgon2 parses a PHC string: $argon2id$v=19$m=M,t=T,p=P$salt$hash.
func parseArgon2(s string, sc scheme) (passwordHash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 {
		return passwordHash{}, errors.New("malformed argon2 hash: want $argon2id$v=19$m=M,t=T,p=P$salt$hash")
	}
	if parts[2] != "v=19" {
		return passwordHash{}, errors.New("unsupported argon2 version: only v=19 is supported")
	}
	var p argon2Params
	seen := map[string]bool{}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil || seen[k] || v == "" || v[0] < '0' || v[0] > '9' {
			return passwordHash{}, errors.New("malformed argon2 parameters: want m=M,t=T,p=P")
		}
		seen[k] = true
		switch k {
		case "m":
			p.memory = uint32(n)
		case "t":
			p.time = uint32(n)
		case "p":
			if n < 1 || n > maxArgon2Threads {
				return passwordHash{}, fmt.Errorf("argon2 parallelism p=%d out of range 1..%d", n, maxArgon2Threads)
			}
			p.threads = uint8(n)
		default:
			return passwordHash{}, fmt.Errorf("unsupported argon2 parameter %q", k)
		}
	}
	if !seen["m"] || !seen["t"] || !seen["p"] {
		return passwordHash{}, errors.New("malformed argon2 parameters: want m=M,t=T,p=P")
	}
	if p.time < 1 || p.time > maxArgon2Time {
		return passwordHash{}, fmt.Errorf("argon2 time t=%d out of range 1..%d", p.time, maxArgon2Time)
	}
	if p.memory < 8*uint32(p.threads) || p.memory > maxArgon2Memory {
		return passwordHash{}, fmt.Errorf("argon2 memory m=%d out of range %d..%d KiB", p.memory, 8*uint32(p.threads), maxArgon2Memory)
	}
	var err error
	if p.salt, err = decodePHC(parts[4]); err != nil || len(p.salt) < 8 {
		return passwordHash{}, errors.New("malformed argon2 salt: want at least 8 bytes in unpadded base64")
	}
	if p.key, err = decodePHC(parts[5]); err != nil || len(p.key) < 4 {
		return passwordHash{}, errors.New("malformed argon2 hash: want at least 4 bytes in unpadded base64")
	}
	return passwordHash{scheme: sc, encoded: s, argon: p}, nil
}

// decodePHC decodes the base64 of a PHC string, padded or not.
func decodePHC(s string) ([]byte, error) {
	return base64.RawStdEncoding.Strict().DecodeString(strings.TrimRight(s, "="))
}

// verify tells whether password matches h, in time that does not depend on
// how much of it matches. A locked hash matches nothing. A costly
// verification waits for its place among verifySlots for as long as ctx
// lasts; the error is that of a wait that ctx cut short (holdVerifySlot).
func (h *passwordHash) verify(ctx context.Context, password string) (bool, error) {
	if h.costly() {
		release, err := holdVerifySlot(ctx)
		if err != nil {
			return false, err
		}
		defer release()
	}
	return h.match(password), nil
}

// match is verify without waiting for a place among verifySlots.
func (h *passwordHash) match(password string) bool {
	switch h.scheme {
	case schemePlain:
		sum := sha256.Sum256([]byte(password))
		return subtle.ConstantTimeCompare(sum[:], h.plain[:]) == 1
	case schemeBcrypt:
		return bcrypt.CompareHashAndPassword([]byte(h.encoded), []byte(password)) == nil
	case schemeSHA256Crypt:
		return verifySHACrypt(sha256CryptVariant, h.encoded, password)
	case schemeSHA512Crypt:
		return verifySHACrypt(sha512CryptVariant, h.encoded, password)
	case schemeArgon2id, schemeArgon2i:
		key := argon2Key(h.scheme, &h.argon, password, h.argon.salt)
		return subtle.ConstantTimeCompare(key, h.argon.key) == 1
	case schemeSCRAM:
		return h.scram.verify(password)
	}
	return false
}

// argon2Key derives from password and salt a key of p's length, with
// p's time, memory and threads, by Argon2id (sc schemeArgon2id) or
// Argon2i.
func argon2Key(sc scheme, p *argon2Params, password string, salt []byte) []byte {
	if sc == schemeArgon2id {
		return argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	}
	return argon2.Key([]byte(password), salt, p.time, p.memory, p.threads, uint32(len(p.key)))
}

// costly tells whether verifying h does real hashing work, so that it can
// stand in for a missing user.
func (h *passwordHash) costly() bool {
	return h.scheme != schemeLocked && h.scheme != schemePlain
}

// HashPassword hashes a new password for the users file: bcrypt at cost
// NewPasswordCost. It refuses an empty password, one with a NUL byte (SASL
// PLAIN cannot carry it) and one longer than 72 bytes (bcrypt would ignore
// the rest).
func HashPassword(password string) (string, error) {
	if err := checkNewPassword(password); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), NewPasswordCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// checkNewPassword applies HashPassword's rules.
func checkNewPassword(password string) error {
	if err := checkPasswordText(password); err != nil {
		return err
	}
	if len(password) > 72 {
		return fmt.Errorf("password is %d bytes long; bcrypt uses at most 72", len(password))
	}
	return nil
}

// checkPasswordText applies the rules of every new password, whatever it
// is hashed with.
func checkPasswordText(password string) error {
	switch {
	case password == "":
		return errors.New("password is empty")
	case strings.IndexByte(password, 0) >= 0:
		return errors.New("password contains a NUL byte, which SASL PLAIN cannot carry")
	case len(password) > maxPasswordLen:
		return fmt.Errorf("password is %d bytes long; at most %d can be checked", len(password), maxPasswordLen)
	}
	return nil
}

// GeneratePassword returns a new random password of 20 URL-safe characters
// (120 bits), for example for the first user of a new installation.
func GeneratePassword() string {
	b := make([]byte, 15)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}
