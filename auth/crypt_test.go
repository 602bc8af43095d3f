package auth

import (
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
		{yescryptHash, "yes pw", true, true},
		{yescryptHash, "no pw", false, true},
		{desCryptHash, "des pw", true, true},
	}
	for _, tt := range tests {
		got, err := verifyCrypt(tt.stored, tt.password)
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
		got, err := verifyLDAPPassword(tt.stored, tt.password)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("verifyLDAPPassword(%q, %q) = %v, %v; want %v, error %v", tt.stored, tt.password, got, err, tt.want, tt.err)
		}
	}
}
