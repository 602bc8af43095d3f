package muprop

import (
	"reflect"
	"testing"
)

func TestParseAndEncode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Props
		out  string
	}{
		{"uidnext: 3\nuid-validity: 1795730010\nversion: 3.15\n",
			Props{UIDNext: 3, UIDValidity: 1795730010, Version: "3.15"},
			"uidnext: 3\nuid-validity: 1795730010\nversion: 3.15\n"},
		{"uidnext: 3\r\nuid-validity: 5\r\nrecent-from: 2\r\nother: kept\r\n\r\n",
			Props{UIDNext: 3, UIDValidity: 5, RecentFrom: 2, Extra: []string{"other: kept"}},
			"uidnext: 3\nuid-validity: 5\nversion: 3.15\nrecent-from: 2\nother: kept\n"},
		{"uidnext: x\nuid-validity: 99999999999\nuidnext: +4\n", Props{}, "uidnext: 0\nuid-validity: 0\nversion: 3.15\n"},
		{"", Props{}, "uidnext: 0\nuid-validity: 0\nversion: 3.15\n"},
	} {
		got := Parse([]byte(tc.in))
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if out := string(got.Encode()); out != tc.out {
			t.Errorf("Encode of %q = %q, want %q", tc.in, out, tc.out)
		}
	}
}

// FuzzParse: any input parses, and what Encode writes parses back the same.
func FuzzParse(f *testing.F) {
	f.Add("uidnext: 3\nuid-validity: 1795730010\nversion: 3.15\n")
	f.Add("recent-from: 7\nx\n\n:")
	f.Fuzz(func(t *testing.T, in string) {
		p := Parse([]byte(in))
		q := Parse(p.Encode())
		if q.UIDNext != p.UIDNext || q.UIDValidity != p.UIDValidity || q.RecentFrom != p.RecentFrom {
			t.Fatalf("round trip of %q: %+v then %+v", in, p, q)
		}
	})
}

// TestValidityOr: a .mu-prop without a UIDVALIDITY (removed, or read
// empty while another program writes it) keeps the one known.
func TestValidityOr(t *testing.T) {
	for _, tc := range []struct {
		in          string
		known, want uint32
	}{
		{"uidnext: 3\nuid-validity: 7\n", 9, 7},
		{"", 9, 9},
		{"uidnext: 3\nuid-vali", 9, 9},
		{"", 0, 0},
	} {
		if got := Parse([]byte(tc.in)).ValidityOr(tc.known); got != tc.want {
			t.Errorf("Parse(%q).ValidityOr(%d) = %d, want %d", tc.in, tc.known, got, tc.want)
		}
	}
}
