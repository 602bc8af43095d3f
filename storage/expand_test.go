package storage

import (
	"strings"
	"testing"
)

// FuzzExpand checks expand against strings.Replacer, the plain definition.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"$home/INBOX", "/var/mail/${user}", "$$user$", "${home", "$homer/$username", "plain"} {
		f.Add(s, "alice", "/home/alice")
	}
	f.Fuzz(func(t *testing.T, s, user, home string) {
		want := strings.NewReplacer("${user}", user, "${home}", home, "$user", user, "$home", home).Replace(s)
		if got := expand(s, user, home); got != want {
			t.Fatalf("expand(%q, %q, %q) = %q, want %q", s, user, home, got, want)
		}
	})
}
