package muprop

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
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
		// GNU Mailutils writes the fields as a header: each line ends
		// with a newline, and a blank line may end the file.
		{"uidnext: 3\nuid-validity: 1795730010\nversion: 3.15\n\n",
			Props{UIDNext: 3, UIDValidity: 1795730010, Version: "3.15"},
			"uidnext: 3\nuid-validity: 1795730010\nversion: 3.15\n"},
		// Read while another program writes it: the last line, without
		// its newline, is left out, and never written back.
		{"uidnext: 3\nuid-validity: 1796",
			Props{UIDNext: 3, Partial: true},
			"uidnext: 3\nuid-validity: 0\nversion: 3.15\n"},
		{"uidnext: 3\nuid-validity: 1795730010\nversion: 3.1",
			Props{UIDNext: 3, UIDValidity: 1795730010, Partial: true},
			"uidnext: 3\nuid-validity: 1795730010\nversion: 3.15\n"},
		{"uidnext: 3\nother: ke", Props{UIDNext: 3, Partial: true}, "uidnext: 3\nuid-validity: 0\nversion: 3.15\n"},
		{"uidn", Props{Partial: true}, "uidnext: 0\nuid-validity: 0\nversion: 3.15\n"},
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

// FuzzParse: any input parses; what Encode writes parses back the same,
// and is never partial; a read cut short anywhere in it (another program
// writing it anew) gives each number either in full or not at all.
func FuzzParse(f *testing.F) {
	f.Add("uidnext: 3\nuid-validity: 1795730010\nversion: 3.15\n")
	f.Add("recent-from: 7\nx\n\n:")
	f.Add("uidnext: 3\nuid-validity: 1796")
	f.Add("uid-validity: 1795730010\nuidnext: 12\nrecent-from: 11\n\n")
	f.Fuzz(func(t *testing.T, in string) {
		p := Parse([]byte(in))
		if want := in != "" && !strings.HasSuffix(in, "\n"); p.Partial != want {
			t.Fatalf("Parse(%q).Partial = %v", in, p.Partial)
		}
		enc := p.Encode()
		q := Parse(enc)
		if q.UIDNext != p.UIDNext || q.UIDValidity != p.UIDValidity || q.RecentFrom != p.RecentFrom || q.Partial {
			t.Fatalf("round trip of %q: %+v then %+v", in, p, q)
		}
		for n := range len(enc) {
			c := Parse(enc[:n])
			for _, v := range [][2]uint32{{c.UIDNext, p.UIDNext}, {c.UIDValidity, p.UIDValidity}, {c.RecentFrom, p.RecentFrom}} {
				if v[0] != 0 && v[0] != v[1] {
					t.Fatalf("%q cut at %d reads %+v, not a number of %+v", enc, n, c, p)
				}
			}
		}
	})
}

// TestReadPartial: a .mu-prop that stays cut short (a writer that died
// in the middle) reads as partial, its last line unset.
func TestReadPartial(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, File), []byte("uidnext: 3\nuid-validity: 17"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Partial || p.UIDNext != 3 || p.UIDValidity != 0 || p.ValidityOr(1795730010) != 1795730010 {
		t.Errorf("Read of a cut .mu-prop = %+v", p)
	}
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
		{"uidnext: 3\nuid-validity: 1796", 1796655321, 1796655321},
		{"uidnext: 3\nuid-validity: 1796", 0, 0},
		{"", 0, 0},
	} {
		if got := Parse([]byte(tc.in)).ValidityOr(tc.known); got != tc.want {
			t.Errorf("Parse(%q).ValidityOr(%d) = %d, want %d", tc.in, tc.known, got, tc.want)
		}
	}
}
