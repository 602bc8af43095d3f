package auth

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"hash"
	"strconv"
	"strings"
)

// SHA-crypt ($5$ and $6$, Ulrich Drepper's "Unix crypt using SHA-256 and
// SHA-512", https://www.akkadia.org/drepper/SHA-crypt.txt), verified
// here rather than by github.com/GehirnInc/crypt, which takes a new hash
// state and a new sum for each of the 5,000 rounds: this one keeps one
// state and one buffer for all of them. The same check then takes about a
// third of the time (TestSHACryptMatchesReference and FuzzSHACrypt hold
// it to the reference's answers), which a LOGIN in a process of its own
// (inetd mode, session processes) pays every time.

// The limits of crypt(3)'s SHA-crypt: rounds below shaCryptRoundsMin or
// above shaCryptRoundsMax are taken as these, and only the first
// shaCryptSaltMax characters of the salt count.
const (
	shaCryptRoundsMin     = 1000
	shaCryptRoundsMax     = 999_999_999
	shaCryptRoundsDefault = 5000
	shaCryptSaltMax       = 16
)

// shaCryptVariant is what differs between $5$ and $6$: the hash, and the
// order in which the final sum's bytes are encoded, three at a time.
type shaCryptVariant struct {
	newHash func() hash.Hash
	order   []byte
}

var (
	sha256CryptVariant = &shaCryptVariant{newHash: sha256.New, order: []byte{
		20, 10, 0, 11, 1, 21, 2, 22, 12, 23, 13, 3, 14, 4, 24, 5, 25, 15,
		26, 16, 6, 17, 7, 27, 8, 28, 18, 29, 19, 9, 30, 31,
	}}
	sha512CryptVariant = &shaCryptVariant{newHash: sha512.New, order: []byte{
		42, 21, 0, 1, 43, 22, 23, 2, 44, 45, 24, 3, 4, 46, 25, 26, 5, 47,
		48, 27, 6, 7, 49, 28, 29, 8, 50, 51, 30, 9, 10, 52, 31, 32, 11, 53,
		54, 33, 12, 13, 55, 34, 35, 14, 56, 57, 36, 15, 16, 58, 37, 38, 17, 59,
		60, 39, 18, 19, 61, 40, 41, 20, 62, 63,
	}}
)

// verifySHACrypt tells whether password matches encoded, a SHA-crypt
// string ($5$ or $6$, [rounds=R$]salt$hash) that parseSHACrypt accepted.
// Only the hash part is compared, since crypt(3) normalises the rounds
// and the salt's length in what it prints; the comparison takes the same
// time however much of it matches.
func verifySHACrypt(v *shaCryptVariant, encoded, password string) bool {
	cut := strings.LastIndexByte(encoded, '$')
	if cut < 3 {
		return false
	}
	salt, rounds, ok := parseSHACryptSetting(encoded[3:cut])
	if !ok {
		return false
	}
	got := v.sum([]byte(password), []byte(salt), rounds)
	return subtle.ConstantTimeCompare(got, []byte(encoded[cut+1:])) == 1
}

// parseSHACryptSetting reads the part between the "$N$" prefix and the
// hash: "rounds=R$salt" or "salt". Rounds out of crypt(3)'s range are
// clamped to it, as crypt(3) does, and the salt cut at 16 characters.
func parseSHACryptSetting(s string) (salt string, rounds int, ok bool) {
	rounds = shaCryptRoundsDefault
	if r, rest, found := cutPrefixDollar(s, "rounds="); found {
		n, err := strconv.Atoi(r)
		if err != nil {
			return "", 0, false
		}
		rounds = min(max(n, shaCryptRoundsMin), shaCryptRoundsMax)
		s = rest
	}
	if i := strings.IndexByte(s, '$'); i >= 0 {
		s = s[:i]
	}
	if len(s) > shaCryptSaltMax {
		s = s[:shaCryptSaltMax]
	}
	return s, rounds, true
}

// cutPrefixDollar splits "prefixVALUE$rest" into VALUE and rest.
func cutPrefixDollar(s, prefix string) (value, rest string, found bool) {
	if len(s) < len(prefix) || s[:len(prefix)] != prefix {
		return "", s, false
	}
	s = s[len(prefix):]
	i := strings.IndexByte(s, '$')
	if i < 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// sum computes the encoded hash part of SHA-crypt (43 characters for
// SHA-256, 86 for SHA-512), following the specification's steps.
func (v *shaCryptVariant) sum(password, salt []byte, rounds int) []byte {
	h := v.newHash()
	size := h.Size()

	// Steps 4-8: B = H(P S P).
	h.Write(password)
	h.Write(salt)
	h.Write(password)
	b := h.Sum(make([]byte, 0, size))

	// Steps 1-3, 9-12: A = H(P S B-repeated-to-len(P) bits-of-len(P)).
	h.Reset()
	h.Write(password)
	h.Write(salt)
	for n := len(password); n > 0; n -= size {
		h.Write(b[:min(n, size)])
	}
	for n := len(password); n > 0; n >>= 1 {
		if n&1 != 0 {
			h.Write(b)
		} else {
			h.Write(password)
		}
	}
	c := h.Sum(make([]byte, 0, size))

	// Steps 13-16: P' is H(P repeated len(P) times), repeated to len(P)
	// bytes.
	h.Reset()
	for range len(password) {
		h.Write(password)
	}
	dp := h.Sum(b[:0])
	p := repeatTo(dp, len(password))

	// Steps 17-20: S' is H(S repeated 16+A[0] times), repeated to len(S)
	// bytes.
	h.Reset()
	for range 16 + int(c[0]) {
		h.Write(salt)
	}
	ds := h.Sum(make([]byte, 0, size))
	s := repeatTo(ds, len(salt))

	// Step 21: the rounds, each summing into the one buffer c.
	for i := range rounds {
		h.Reset()
		if i&1 != 0 {
			h.Write(p)
		} else {
			h.Write(c)
		}
		if i%3 != 0 {
			h.Write(s)
		}
		if i%7 != 0 {
			h.Write(p)
		}
		if i&1 != 0 {
			h.Write(c)
		} else {
			h.Write(p)
		}
		c = h.Sum(c[:0])
	}
	clear(b[:cap(b)])
	clear(p)

	// Step 22: the bytes of the last sum in the variant's order, encoded
	// three at a time, low bits first, in crypt(3)'s alphabet.
	out := make([]byte, 0, (len(v.order)*8+5)/6)
	for i := 0; i < len(v.order); i += 3 {
		var w uint
		n := min(len(v.order)-i, 3)
		for j := n - 1; j >= 0; j-- {
			w = w<<8 | uint(c[v.order[i+j]])
		}
		for range (n*8 + 5) / 6 {
			out = append(out, shaCryptAlphabet[w&0x3f])
			w >>= 6
		}
	}
	clear(c)
	return out
}

// repeatTo returns sum repeated to n bytes.
func repeatTo(sum []byte, n int) []byte {
	out := make([]byte, n)
	for i := 0; i < n; i += len(sum) {
		copy(out[i:], sum)
	}
	return out
}
