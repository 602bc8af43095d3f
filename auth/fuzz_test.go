package auth

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseUsersFile checks that the users-file parser never panics, that
// its errors name a line of the input, and that every user it accepts
// survives being written back and parsed again.
func FuzzParseUsersFile(f *testing.F) {
	for _, seed := range []string{
		"",
		"# comment only\n\n",
		"alice:{PLAIN}secret\n",
		"alice:$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW:1001:100:Alice,,,:/home/alice:/bin/sh\n",
		"bob:$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0::::\r\n",
		"carol:$argon2id$v=19$m=1024,t=2,p=2$c29tZXNhbHQ$kEfNQbPvk6Q7hokW6Jrvn1Mjb9kdT/I7OXVDKsviazk\n",
		"dave:*::::/srv/dave:\nerin:!locked\n",
		"frank:{SHA256-CRYPT}$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5:0:0\n",
		"a:{PLAIN}x\na:{PLAIN}y\n",
		"bad\n",
		"x:{PLAIN}y:1:2:3:4:5:6\n",
		"q:{PLAIN}y:::::/bin/sh:storage=5G,messages=10000\n",
		"q:{PLAIN}y:::::/bin/sh:storage=none\nr:{PLAIN}y::::::messages=0\n",
		"..:{PLAIN}x\n",
		"u:{PLAIN}x:99999999999999999999\n",
		"u:$argon2id$v=19$m=,t=1,p=1$$\n",
		"u:$6$rounds=99999999999999999999$s$h\n",
		"u:{\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := parseUsers(data, "/fuzz/users", "/data")
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if n := strings.Count(string(data), "\n") + 1; pe.Line < 1 || pe.Line > n {
				t.Fatalf("error on line %d of a %d-line input", pe.Line, n)
			}
			return
		}
		for _, e := range tab.entries {
			if err := CheckUserName(e.user.Name); err != nil {
				t.Fatalf("accepted a bad name: %v", err)
			}
			if e.user.Home == "" || !filepath.IsAbs(e.user.Home) {
				t.Fatalf("user %q has home %q", e.user.Name, e.user.Home)
			}
			line := formatLine(&e.fields)
			again, err := parseLine(line, "/data")
			if err != nil {
				t.Fatalf("written line %q does not parse: %v", line, err)
			}
			if again.user != e.user || again.hash.scheme != e.hash.scheme {
				t.Fatalf("round trip of %q: %+v, want %+v", line, again.user, e.user)
			}
		}
	})
}
