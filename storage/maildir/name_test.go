package maildir

import (
	"strings"
	"testing"
	"time"
)

func TestParseName(t *testing.T) {
	tests := []struct {
		name    string
		base    string
		uid     uint32
		vsize   int64
		letters string
	}{
		{"1700000001.M1P4242.testhost,a=FO,u=2:2,F", "1700000001.M1P4242.testhost,a=FO,u=2", 2, -1, "F"},
		{"1.M2P3Q4.host,S=120,W=124,u=7:2,RSa", "1.M2P3Q4.host,S=120,W=124,u=7", 7, 124, "RSa"},
		{"1.M2P3.host", "1.M2P3.host", 0, -1, ""},
		{"1.M2P3.host:2,", "1.M2P3.host", 0, -1, ""},
		{"1.M2P3.host:1,xyz", "1.M2P3.host", 0, -1, ""},
		{"x,u=0:2,S", "x,u=0", 0, -1, "S"},
		{"x,u=4294967295:2,S", "x,u=4294967295", 4294967295, -1, "S"},
		{"x,u=4294967296:2,S", "x,u=4294967296", 0, -1, "S"},
		{"x,u=+5:2,S", "x,u=+5", 0, -1, "S"},
		{"x,u=5,u=6", "x,u=5,u=6", 5, -1, ""},
		{"u=5", "u=5", 0, -1, ""},
		{"x,W=abc", "x,W=abc", 0, -1, ""},
		{"", "", 0, -1, ""},
		{":", "", 0, -1, ""},
		{",,,:2,S:2,T", ",,,", 0, -1, "S:2,T"},
	}
	for _, tt := range tests {
		n := parseName(tt.name)
		if n.base != tt.base || n.uid() != tt.uid || n.vsize() != tt.vsize || n.letters() != tt.letters {
			t.Errorf("parseName(%q) = base %q uid %d vsize %d letters %q; want %q %d %d %q",
				tt.name, n.base, n.uid(), n.vsize(), n.letters(), tt.base, tt.uid, tt.vsize, tt.letters)
		}
		if got := n.String(); got != tt.name {
			t.Errorf("parseName(%q).String() = %q", tt.name, got)
		}
	}
}

func TestWithUID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1.M1P2.host", "1.M1P2.host,u=9"},
		{"1.M1P2.host:2,S", "1.M1P2.host,u=9:2,S"},
		{"1.M1P2.host,S=5,W=6:2,S", "1.M1P2.host,S=5,W=6,u=9:2,S"},
		{"1.M1P2.host,a=FO,u=2:2,F", "1.M1P2.host,a=FO,u=9:2,F"},
		{"1.M1P2.host,u=2,S=5,u=3:2,F", "1.M1P2.host,S=5,u=9:2,F"},
		{"1.M1P2.host,u=bad", "1.M1P2.host,u=9"},
		{"", ",u=9"},
	}
	for _, tt := range tests {
		if got := parseName(tt.in).withUID(9).String(); got != tt.want {
			t.Errorf("withUID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormatName(t *testing.T) {
	u := newUnique(time.Unix(1700000000, 123456789), "mx/1:a,b")
	if !strings.HasPrefix(u, "1700000000.M123456P") || !strings.HasSuffix(u, `.mx\0571\072a\054b`) {
		t.Fatalf("newUnique = %q", u)
	}
	if u2 := newUnique(time.Unix(1700000000, 123456789), "mx/1:a,b"); u2 == u {
		t.Fatalf("two unique names are equal: %q", u2)
	}
	name := formatName(u, 10, 12, 42, "FS")
	n := parseName(name)
	if n.uid() != 42 || n.vsize() != 12 || n.letters() != "FS" || strings.ContainsAny(n.base, ":/") {
		t.Fatalf("formatName gave %q: uid %d vsize %d letters %q", name, n.uid(), n.vsize(), n.letters())
	}
	if v, _ := n.field("S="); v != "10" {
		t.Fatalf("S= is %q", v)
	}
}

// FuzzParseName checks that any name parses without panic, formats back
// to itself, and keeps UIDs and flag letters through withUID and
// withLetters.
func FuzzParseName(f *testing.F) {
	for _, s := range []string{
		"1700000001.M1P4242.testhost,a=FO,u=2:2,F",
		"1.M2P3Q4.host,S=120,W=124,u=7:2,RSa",
		"1.M2P3.host", "x,u=0:2,S", ",,,:2,S:2,T", "", ":", "u=1,u=2",
		"1.M2P3Q4.host,S=1,W=x,u=99999999999:1,",
	} {
		f.Add(s, uint32(7), "DFS")
	}
	f.Fuzz(func(t *testing.T, s string, uid uint32, letters string) {
		n := parseName(s)
		if n.String() != s {
			t.Fatalf("round trip of %q gave %q", s, n.String())
		}
		// The accessors must not panic on any name.
		_, _, _ = n.uid(), n.vsize(), n.letters()
		if uid == 0 {
			uid = 1
		}
		withUID := parseName(n.withUID(uid).String())
		if withUID.uid() != uid || withUID.letters() != n.letters() || withUID.hasInfo != n.hasInfo {
			t.Fatalf("withUID(%d) on %q gave %q", uid, s, withUID.String())
		}
		clean := strings.Map(func(r rune) rune {
			if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' {
				return r
			}
			return -1
		}, letters)
		withLetters := parseName(n.withLetters(clean).String())
		if withLetters.letters() != clean || withLetters.base != n.base {
			t.Fatalf("withLetters(%q) on %q gave %q", clean, s, withLetters.String())
		}
		if !strings.ContainsAny(s, ":,") {
			name := formatName(s, 1, 2, uid, clean)
			m := parseName(name)
			if m.uid() != uid || m.vsize() != 2 || m.letters() != clean {
				t.Fatalf("formatName(%q) = %q parsed back wrong", s, name)
			}
		}
	})
}
