package auth

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/GehirnInc/crypt"
	"github.com/GehirnInc/crypt/sha256_crypt"
	"github.com/GehirnInc/crypt/sha512_crypt"
)

// referenceSHACrypt is what github.com/GehirnInc/crypt, which verified
// SHA-crypt before verifySHACrypt, makes of password and setting.
func referenceSHACrypt(t testing.TB, variant, password, setting string) string {
	t.Helper()
	var c crypt.Crypter
	switch variant {
	case "5":
		c = sha256_crypt.New()
	case "6":
		c = sha512_crypt.New()
	}
	out, err := c.Generate([]byte(password), []byte(setting))
	if err != nil {
		t.Fatalf("reference: %q: %v", setting, err)
	}
	return out
}

// checkSHACrypt holds verifySHACrypt to the reference: the hash it makes
// verifies, a changed password does not, whatever the salt and rounds.
func checkSHACrypt(t testing.TB, variant, password, setting string) {
	t.Helper()
	stored := referenceSHACrypt(t, variant, password, setting)
	h, err := parsePasswordHash(stored)
	if err != nil {
		t.Fatalf("%q: %v", stored, err)
	}
	if !h.match(password) {
		t.Errorf("password %q does not verify against the reference's %q", password, stored)
	}
	if h.match(password + "x") {
		t.Errorf("password %q+x verifies against %q", password, stored)
	}
	if len(password) > 0 && h.match(password[:len(password)-1]) {
		t.Errorf("password %q cut short verifies against %q", password, stored)
	}
}

func TestSHACryptMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func(n int, alphabet string) string {
		var b strings.Builder
		for range n {
			b.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	for i := range 40 {
		variant := []string{"5", "6"}[i%2]
		// Passwords of every length around the hash sizes (32 and 64
		// bytes), where step 11's repetition of B changes shape.
		password := word(i*2, "abcXYZ019 !é\x01\xff")
		salt := word(1+rng.IntN(20), shaCryptAlphabet)
		setting := "$" + variant + "$" + salt
		if i%3 == 0 {
			setting = fmt.Sprintf("$%s$rounds=%d$%s", variant, 900+rng.IntN(300), salt)
		}
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) { checkSHACrypt(t, variant, password, setting) })
	}
}

func TestSHACryptMalformedSetting(t *testing.T) {
	for _, s := range []string{
		"$6$rounds=x$salt$" + strings.Repeat("a", 86),
		"$6$rounds=$salt$" + strings.Repeat("a", 86),
		"$6$",
		"",
	} {
		if verifySHACrypt(sha512CryptVariant, s, "pw") {
			t.Errorf("%q verifies", s)
		}
	}
}

func FuzzSHACrypt(f *testing.F) {
	f.Add(true, "Hello world!", "saltstring", 0)
	f.Add(false, "", "s", 1000)
	f.Add(true, strings.Repeat("p", 65), "0123456789abcdefXYZ", 1001)
	f.Add(false, strings.Repeat("\xff", 33), "./", 5000)
	f.Fuzz(func(t *testing.T, sha512 bool, password, salt string, rounds int) {
		if strings.ContainsAny(salt, "$\x00") || salt == "" || len(password) > 256 {
			return
		}
		variant := "5"
		if sha512 {
			variant = "6"
		}
		setting := "$" + variant + "$" + salt
		if rounds != 0 {
			// Few enough rounds that the fuzzer goes quickly; crypt(3)
			// takes 1000 for anything below.
			setting = fmt.Sprintf("$%s$rounds=%d$%s", variant, min(max(rounds, 1), 1100), salt)
		}
		checkSHACrypt(t, variant, password, setting)
	})
}
