package auth

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// The cost estimates order the schemes and their parameters as their
// verifications do.
func TestHashWork(t *testing.T) {
	bc := func(cost int) string {
		h, err := bcrypt.GenerateFromPassword([]byte("x"), cost)
		if err != nil {
			t.Fatal(err)
		}
		return string(h)
	}
	sha := func(prefix string) string { return strings.Replace(sha512Hash, "$6$", prefix, 1) }
	for _, tc := range []struct {
		cheaper, costlier string
	}{
		{"{PLAIN}secret", sha512Hash},
		{sha512Hash, bc(5)},
		{bc(5), bc(6)},
		{sha("$6$rounds=1000$"), sha512Hash},
		{sha("$6$rounds=10$"), sha("$6$rounds=1001$")}, // fewer than 1000 rounds count as 1000
		{"{SCRAM-SHA-256}4096,c2FsdA==,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", bc(6)},
		{"$argon2id$v=19$m=1024,t=2,p=2$c29tZXNhbHQ$kEfNQbPvk6Q7hokW6Jrvn1Mjb9kdT/I7OXVDKsviazk", "$argon2id$v=19$m=4096,t=1,p=1$c2FsdHNhbHRzYWx0$RX2lFlArLgvQ3JvYheBWHQ"},
		{"$argon2id$v=19$m=4096,t=1,p=1$c2FsdHNhbHRzYWx0$RX2lFlArLgvQ3JvYheBWHQ", bc(6)},
		{md5CryptHash, yescryptHash},
		{sha512Hash, yescryptHash},
		{"$y$j8T$F5Jx5fExrKuPp53xLKQ..1$0UxoHASLn0DrD5O1HxEygQE7H4umbK3Yu1KT9RPJhB7", yescryptHash},
		{"*", "{PLAIN}x"},
		{"!" + yescryptHash, md5CryptHash}, // locked: nothing is verified
		{"abJnggxhB/yWI", md5CryptHash},    // DES: only libcrypt knows it
	} {
		if a, b := cryptWork(tc.cheaper), cryptWork(tc.costlier); a >= b || b <= 0 {
			t.Errorf("work(%.20s) = %v, work(%.20s) = %v; want the first less", tc.cheaper, a, tc.costlier, b)
		}
	}
	if w := cryptWork(yescryptHash); w < 20*time.Millisecond || w > 60*time.Millisecond {
		t.Errorf("Debian's yescrypt estimated at %v, measured 37 ms", w)
	}
}

// An unknown user name must cost what a real user's wrong password
// costs, or the time tells a guesser which names exist. The reviewer's
// case: a SCRAM entry first (user add --scram: 4096 rounds of PBKDF2,
// about 1 ms) and bcrypt users after it (70 ms at cost 10) answered an
// unknown name in 0.8 ms and bob's wrong password in 69 ms (medians on the
// real daemon). What each login verifies is compared here, not times:
// an unknown or locked name verifies the file's costliest hash, and every
// wrong password costs between half and one and a half times that.
func TestUnknownUserCostsAsMuchAsARealOne(t *testing.T) {
	scram, err := HashSCRAM("alice pw")
	if err != nil {
		t.Fatal(err)
	}
	bc, err := bcrypt.GenerateFromPassword([]byte("bob pw"), 8)
	if err != nil {
		t.Fatal(err)
	}
	bcrypt8 := string(bc)
	argon := "$argon2id$v=19$m=16384,t=2,p=1$c29tZXNhbHQ$kEfNQbPvk6Q7hokW6Jrvn1Mjb9kdT/I7OXVDKsviazk"
	for _, tc := range []struct {
		name  string
		file  string
		decoy string // the hash an unknown name verifies; "" for the built-in bcrypt
	}{
		{"SCRAM first, bcrypt after", "alice:" + scram + "\nbob:" + bcrypt8 + "\nlocked:!x\n", bcrypt8},
		{"bcrypt, then costlier argon2", "bob:" + bcrypt8 + "\ncarol:" + argon + "\n", argon},
		{"SHA-crypt and plain", "dan:" + sha512Hash + "\neve:{PLAIN}eve pw\n", sha512Hash},
		{"plain only", "eve:{PLAIN}eve pw\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, _, _ := loadForTest(t, writeUsers(t, tc.file))
			var verified []*passwordHash
			u.verifying = func(h *passwordHash) { verified = append(verified, h) }
			spent := func(name string) time.Duration {
				verified = nil
				if _, err := u.Authenticate(context.Background(), name, "wrong"); !errors.Is(err, ErrBadCredentials) {
					t.Fatalf("%s: %v", name, err)
				}
				var w time.Duration
				for _, h := range verified {
					w += h.work()
				}
				return w
			}
			unknown := spent("nosuchuser")
			if got := verified[len(verified)-1].encoded; tc.decoy != "" && got != tc.decoy {
				t.Errorf("an unknown name verified %.20s, want %.20s", got, tc.decoy)
			} else if tc.decoy == "" && got != dummyHash {
				t.Errorf("an unknown name verified %.20s, want the built-in bcrypt hash", got)
			}
			for _, e := range u.Users() {
				if w := spent(e.Name); 2*w < unknown || 2*w > 3*unknown {
					t.Errorf("a wrong password for %s costs %v, an unknown name %v: the time tells who exists", e.Name, w, unknown)
				}
			}
		})
	}
}

// The system back-end does the same with the shadow file's hashes: an
// unknown account, one below min-uid, a locked or expired one, and one
// the shadow file lacks verify its costliest hash (that this build
// verifies), taken again when the file changes; a cheaper user's wrong
// password verifies it too.
func TestSystemUnknownUserCostsAsMuchAsARealOne(t *testing.T) {
	shadow := filepath.Join(t.TempDir(), "shadow")
	writeFile(t, shadow, strings.Join([]string{
		"root:" + sha512Hash + ":19000:0:99999:7:::",
		"ann:" + sha512Hash + ":19000:0:99999:7:::",
		"yan:" + yescryptHash + ":19000:0:99999:7:::",
		"bob:!" + yescryptHash + ":19000:0:99999:7:::",
		"cid:" + sha512Hash + ":19000:0:99999:7::1:",
		"gus:$gy$j9T$F5Jx5fExrKuPp53xLKQ..1$0UxoHASLn0DrD5O1HxEygQE7H4umbK3Yu1KT9RPJhB7:19000:0:99999:7:::",
	}, "\n")+"\n")
	s := NewSystem(nil)
	s.shadow = shadow
	s.lookup = func(name string) (*User, error) {
		uid := map[string]int{"root": 0, "ann": 1001, "yan": 1002, "bob": 1003, "cid": 1004, "dan": 1005}[name]
		if uid == 0 && name != "root" {
			return nil, ErrNoUser
		}
		return &User{Name: name, UID: uid, GID: 100, Home: "/home/" + name, System: true}, nil
	}
	var verified []string
	s.verifying = func(stored string) { verified = append(verified, stored) }
	try := func(name string) []string {
		verified = nil
		if _, err := s.Authenticate(context.Background(), name, "wrong"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("%s: %v", name, err)
		}
		return verified
	}
	// gus's gost-yescrypt costs as much as yan's yescrypt (and only a
	// libcrypt build verifies it): yan's, first in the file, is the decoy.
	want := yescryptHash
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"nosuchuser", []string{want}},
		{"root", []string{want}}, // below min-uid
		{"bob", []string{want}},  // locked
		{"cid", []string{want}},  // expired
		{"dan", []string{want}},  // not in the shadow file
		{"yan", []string{yescryptHash}},
		{"ann", []string{sha512Hash, want}},
	} {
		if got := try(tc.name); strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s verified %q, want %q", tc.name, got, tc.want)
		}
	}
	writeFile(t, shadow, "ann:"+sha512Hash+":19000:0:99999:7:::\n")
	if got := try("nosuchuser"); len(got) != 1 || got[0] != sha512Hash {
		t.Errorf("after the shadow file changed, an unknown name verified %q, want ann's hash", got)
	}
	s.shadow = filepath.Join(t.TempDir(), "missing")
	if got := try("nosuchuser"); len(got) != 1 || got[0] != dummyHash {
		t.Errorf("without a shadow file, an unknown name verified %q, want the built-in bcrypt hash", got)
	}
}
