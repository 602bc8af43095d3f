package auth

import (
	"encoding/base64"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

// Known vectors: SHA-crypt from Drepper's specification (checked against
// libxcrypt), bcrypt from OpenBSD's test suite, Argon2 made by the reference
// argon2 command-line tool.
var hashVectors = []struct {
	name, password, hash string
}{
	{"sha512 default rounds", "Hello world!", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"},
	{"sha512 rounds long salt", "Hello world!", "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."},
	{"sha512 explicit default rounds", "This is just a test", "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0"},
	{"sha512 long password", "a very much longer text to encrypt.  This one even stretches over morethan one line.", "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1"},
	{"sha512 short salt", "we have a short salt string but not a short password", "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0"},
	{"sha512 16-char salt", "a short string", "$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1"},
	{"sha512 minimum rounds", "the minimum number is still observed", "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX."},
	// As written by hand, with rounds below the minimum: crypt uses 1000.
	{"sha512 rounds below minimum", "the minimum number is still observed", "$6$rounds=10$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX."},
	// As written by hand, with a salt longer than the 16 characters used.
	{"sha512 untruncated salt", "This is just a test", "$6$rounds=5000$toolongsaltstring$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0"},
	{"sha256 default rounds", "Hello world!", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"},
	{"sha256 rounds", "Hello world!", "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA"},
	{"sha256 explicit default rounds", "This is just a test", "$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5"},
	{"sha256 minimum rounds", "the minimum number is still observed", "$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC"},
	{"bcrypt 2a", "U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"},
	{"bcrypt 2y", "U*U", "$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"},
	{"bcrypt 2b", "U*U", "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"},
	{"bcrypt symbols", "~!@#$%^&*()      ~!@#$%^&*()PNBFRD", "$2a$10$k1wbIrmNyFAPwPVPSVa/zeqQwFod6RdbjggVY4548eMsZPEvWihLm"},
	{"argon2id", "password", "$argon2id$v=19$m=1024,t=2,p=2$c29tZXNhbHQ$kEfNQbPvk6Q7hokW6Jrvn1Mjb9kdT/I7OXVDKsviazk"},
	{"argon2id short key", "correct horse", "$argon2id$v=19$m=4096,t=1,p=1$c2FsdHNhbHRzYWx0$RX2lFlArLgvQ3JvYheBWHQ"},
	{"argon2id padded base64", "correct horse", "$argon2id$v=19$m=4096,t=1,p=1$c2FsdHNhbHRzYWx0$RX2lFlArLgvQ3JvYheBWHQ=="},
	{"argon2i", "password", "$argon2i$v=19$m=1024,t=3,p=1$c29tZXNhbHQ$2PL6DGwFk5goFIHejpozhLlN0DmGuGJ7wT+b0ICqeTc"},
	{"plain", "secret:ish", "{PLAIN}secret:ish"},
	{"dovecot blf-crypt", "U*U", "{BLF-CRYPT}$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"},
	{"dovecot sha512-crypt", "Hello world!", "{SHA512-CRYPT}$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"},
	{"dovecot crypt", "Hello world!", "{crypt}$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"},
	{"dovecot argon2id", "password", "{ARGON2ID}$argon2id$v=19$m=1024,t=2,p=2$c29tZXNhbHQ$kEfNQbPvk6Q7hokW6Jrvn1Mjb9kdT/I7OXVDKsviazk"},
}

func TestHashVectors(t *testing.T) {
	t.Parallel()
	for _, v := range hashVectors {
		t.Run(v.name, func(t *testing.T) {
			h, err := parsePasswordHash(v.hash)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if !h.match(v.password) {
				t.Errorf("verify(%q) = false, want true", v.password)
			}
			for _, wrong := range []string{"", v.password + "x", strings.ToUpper(v.password)} {
				if wrong != v.password && h.match(wrong) {
					t.Errorf("verify(%q) = true, want false", wrong)
				}
			}
		})
	}
}

func TestArgon2idGenerated(t *testing.T) {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte("pässwörd"), salt, 1, 64, 1, 32)
	enc := "$argon2id$v=19$m=64,t=1,p=1$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(key)
	h, err := parsePasswordHash(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !h.match("pässwörd") || h.match("passwörd") {
		t.Error("argon2id verification wrong")
	}
}

func TestLockedHashes(t *testing.T) {
	for _, s := range []string{"*", "!", "!!", "!$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"} {
		h, err := parsePasswordHash(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if h.scheme != schemeLocked || h.match("") || h.match("Hello world!") {
			t.Errorf("%q is not locked", s)
		}
	}
}

func TestBadHashes(t *testing.T) {
	for _, tc := range []struct{ field, want string }{
		{"", "empty password field"},
		{"x", "unsupported password hash"},
		{"secret", "unsupported password hash"},
		{"$1$abc$def", "unsupported password hash"},
		{"$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "unsupported"},
		{"$2y$05$short", "malformed bcrypt"},
		{"$2y$17$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "above the limit"},
		{"$6$salt$tooshort", "malformed SHA-crypt"},
		{"$6$rounds=$salt$" + strings.Repeat("a", 86), "bad rounds"},
		{"$6$rounds=-5$salt$" + strings.Repeat("a", 86), "bad rounds"},
		{"$6$rounds=20000000$salt$" + strings.Repeat("a", 86), "above the limit"},
		{"$6$salt$" + strings.Repeat("*", 86), "malformed SHA-crypt"},
		{"$6$a$b$" + strings.Repeat("a", 86), "malformed SHA-crypt"},
		{"$5$salt$" + strings.Repeat("a", 86), "malformed SHA-crypt"},
		{"$argon2id$v=16$m=64,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAA", "version"},
		{"$argon2id$m=64,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAA", "malformed argon2 hash"},
		{"$argon2id$v=19$m=64,t=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAA", "want m=M,t=T,p=P"},
		{"$argon2id$v=19$m=64,t=1,p=1,m=64$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAA", "want m=M,t=T,p=P"},
		{"$argon2id$v=19$m=64,t=1,p=1,x=2$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAA", "unsupported argon2 parameter"},
		{"$argon2id$v=19$m=4194304,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAA", "memory"},
		{"$argon2id$v=19$m=64,t=0,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAA", "time"},
		{"$argon2id$v=19$m=64,t=1,p=0$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAA", "parallelism"},
		{"$argon2id$v=19$m=64,t=1,p=1$c2FsdA$AAAAAAAA", "salt"},
		{"$argon2id$v=19$m=64,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$A!", "malformed argon2 hash"},
		{"{PLAIN}", "empty password"},
		{"{MD5}abc", "unsupported password scheme {MD5}"},
		{"{PLAIN", "no closing"},
		{"{BLF-CRYPT}$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", "does not match"},
	} {
		_, err := parsePasswordHash(tc.field)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parsePasswordHash(%q) = %v, want an error containing %q", tc.field, err, tc.want)
		}
	}
}

func TestHashPassword(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("s3cret pass")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$2a$10$") {
		t.Errorf("HashPassword = %q, want bcrypt cost 10", h)
	}
	ph, err := parsePasswordHash(h)
	if err != nil {
		t.Fatal(err)
	}
	if !ph.match("s3cret pass") || ph.match("s3cret pas") {
		t.Error("round trip failed")
	}
	for _, bad := range []string{"", "a\x00b", strings.Repeat("x", 73)} {
		if _, err := HashPassword(bad); err == nil {
			t.Errorf("HashPassword(%q) succeeded", bad)
		}
	}
}

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		p := GeneratePassword()
		if len(p) != 20 || strings.Trim(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			t.Fatalf("GeneratePassword() = %q, want 20 URL-safe characters", p)
		}
		if seen[p] {
			t.Fatalf("GeneratePassword repeated %q", p)
		}
		seen[p] = true
	}
}
