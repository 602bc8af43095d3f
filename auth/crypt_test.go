package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// Hashes made by Debian 12's libcrypt (python3 crypt.crypt, slappasswd).
const (
	yescryptHash = "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$0UxoHASLn0DrD5O1HxEygQE7H4umbK3Yu1KT9RPJhB7"                          // "yes pw"
	md5CryptHash = "$1$saltsalt$lAu4Yl1EiCfuGFoLFgSVa1"                                                                 // "md5 pw"
	desCryptHash = "abv9de5iZmdbU"                                                                                      // "des pw"
	sha512Hash   = "$6$saltsalt$QTxtZHhDasfdQccjU6pne9Cgluf7B8Bly.Re0Rl4FET20RuNBAR2/L6Sg1AQyXUrp1lQc/2QhityVbnc2s1bQ0" // "hello world"
)

func TestVerifyCrypt(t *testing.T) {
	tests := []struct {
		stored, password string
		want             bool
		needLibcrypt     bool
	}{
		{md5CryptHash, "md5 pw", true, false},
		{md5CryptHash, "md5 pW", false, false},
		{sha512Hash, "hello world", true, false},
		{sha512Hash, "hello", false, false},
		{cheapHash(t, "bcrypt pw"), "bcrypt pw", true, false},
		{"{PLAIN}plain pw", "plain pw", true, false},
		{"!" + sha512Hash, "hello world", false, false},
		{"*", "", false, false},
		{"", "", false, false},
		{yescryptHash, "yes pw", true, false},
		{yescryptHash, "no pw", false, false},
		{yescryptHash[:len(yescryptHash)-1] + "8", "yes pw", false, false},
		// Made by Debian 12's libcrypt (perl's crypt) for other costs and
		// block sizes of the form it writes, which the Go code verifies.
		{"$y$j7T$LdJMENpBABJJ3hIH$mmS2O2U18CvJrlata7oqqHCavakS4a/XpajZOlie2T0", "pleaseletmein", true, false},
		{"$y$j8T$LdJMENpBABJJ3hIH$Icfq37OcNuYLzDsI4vT8QW4UZBIEq94T9AWQmF6hSm2", "pleaseletmein", true, false},
		{"$y$jAT$LdJMENpBABJJ3hIH$drrDXOcPPqFTYXzelCHM5OoABtrux4uGaSAUKfZo61.", "pleaseletmein", true, false},
		{"$y$j9/$LdJMENpBABJJ3hIH$0NVsAD7KDy08pfbBEESn29pl2BtlWVttgMtzFn0ORE8", "pleaseletmein", true, false},
		{"$y$j95$LdJMENpBABJJ3hIHjB1Bi.$hh/yKyiaCuXoOkiotRSKWtJiG1gZCChwv7y22/Du7z9", "pleaseletmein", true, false},
		{"$y$j95$LdJMENpBABJJ3hIHjB1Bi.$hh/yKyiaCuXoOkiotRSKWtJiG1gZCChwv7y22/Du7z9", "pleaseletmeim", false, false},
		// The reference implementation's test vectors (TESTS-OK) in
		// forms the Go code leaves to libcrypt: more parameters, a cost
		// below the j form's range, flags other than j.
		{"$y$j91.5$LdJMENpBABJJ3hIH$ebKnn23URD5vyLgF9cP2EvVosrUXf7UErGRV0KmC6e6", "pleaseletmein", true, true},
		{"$y$j4/$LdJMENpBA/$tHlkpTQ8V/eEnTVau1uW36T97LIXlfPrEzdeV5SE5K7", "pleaseletmein", true, true},
		{"$y$/B3.6$LdJMENpBABJJ3hIHjB1$h8sE4hJo.BsdlfJr0.d8bNJNPZymH7Y3kLj4aY1Rfc8", "pleaseletmein", true, true},
		{"$gy$j9T$F5Jx5fExrKuPp53xLKQ..1$0UxoHASLn0DrD5O1HxEygQE7H4umbK3Yu1KT9RPJhB7", "yes pw", false, true},
		{desCryptHash, "des pw", true, true},
	}
	for _, tt := range tests {
		got, err := verifyCrypt(context.Background(), tt.stored, tt.password)
		if tt.needLibcrypt && !libcryptBuilt {
			if !errors.Is(err, ErrCryptUnsupported) || !strings.Contains(err.Error(), "-tags libcrypt") {
				t.Errorf("verifyCrypt(%.12s...) without libcrypt: %v, want ErrCryptUnsupported naming the build tag", tt.stored, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("verifyCrypt(%.12s..., %q) = %v, %v; want %v", tt.stored, tt.password, got, err, tt.want)
		}
	}
}

// TestYescryptCost checks which $y$ hashes the Go code takes on: the j
// form within the memory bound; past it, or in another form, libcrypt.
func TestYescryptCost(t *testing.T) {
	tests := []struct {
		stored string
		goes   bool
	}{
		{yescryptHash, true},                        // N 4096, r 32: 16 MiB
		{"$y$jCT$LdJMENpBA/$x", true},               // 128 MiB
		{"$y$jDT$LdJMENpBA/$x", true},               // 256 MiB, the bound
		{"$y$jET$LdJMENpBA/$x", false},              // 512 MiB
		{"$y$jE/$LdJMENpBA/$x", true},               // N 2^17, r 1: 16 MiB
		{"$y$jJT$LdJMENpBA/$x", false},              // N 2^22: past the j form's range
		{"$y$j6T$LdJMENpBA/$x", false},              // N 2^8: below it
		{"$y$j9T", false},                           // cut short
		{"$y$j9$$LdJMENpBA/$x", false},              // r not a base-64 digit
		{"$y$j91.5$LdJMENpBABJJ3hIH$x", false},      // more parameters
		{"$y$/B3.6$LdJMENpBABJJ3hIHjB1$x", false},   // other flags
		{"$gy$j9T$F5Jx5fExrKuPp53xLKQ..1$x", false}, // gost-yescrypt
	}
	for _, tt := range tests {
		if got := goVerifies(tt.stored); got != tt.goes {
			t.Errorf("goVerifies(%s) = %v, want %v", tt.stored, got, tt.goes)
		}
	}
	// A salt that does not decode: the hash is damaged, and the Go code
	// matches nothing against it (libcrypt refuses it).
	damaged := "$y$j9T$F5Jx5fEx~KuPp53xLKQ..1$0UxoHASLn0DrD5O1HxEygQE7H4umbK3Yu1KT9RPJhB7"
	if ok, err := verifyYescrypt(damaged, "yes pw"); ok || err != nil {
		t.Errorf("damaged salt: %v, %v; want no match", ok, err)
	}
}

func TestVerifyLDAPPassword(t *testing.T) {
	tests := []struct {
		stored, password string
		want             bool
		err              bool
	}{
		{"{SSHA}wggy7rU6A1s3xVyFbmyU8sA3KYzNX+1j", "ssha pw", true, false},
		{"{ssha}wggy7rU6A1s3xVyFbmyU8sA3KYzNX+1j", "ssha pW", false, false},
		{"{SHA}qvTGHdzF6KLavt4PO0gs2a6pQ00=", "hello", true, false},
		{"{CRYPT}" + sha512Hash, "hello world", true, false},
		{"cleartext", "cleartext", true, false},
		{"cleartext", "Cleartext", false, false},
		{"{SSHA}!!!", "x", false, true},
		{"{PBKDF2}xyz", "x", false, true},
		{"{SSHA", "x", false, true},
	}
	for _, tt := range tests {
		got, err := verifyLDAPPassword(context.Background(), tt.stored, tt.password)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("verifyLDAPPassword(%q, %q) = %v, %v; want %v, error %v", tt.stored, tt.password, got, err, tt.want, tt.err)
		}
	}
}
