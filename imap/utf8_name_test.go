package imap

import (
	"testing"
	"unicode/utf8"

	"github.com/mailgate/mailgate/imap/internal/wire"
)

func TestUTF8Name(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      error
	}{
		{"Sent", "Sent", nil},
		{"Entwürfe", "Entw&APw-rfe", nil},
		{"a&b", "a&-b", nil},
		{"日本語/下", "&ZeVnLIqe-/&Tgs-", nil},
		{"Entw&APw-rfe", "Entw&-APw-rfe", nil}, // after ENABLE, & is a character
		{"bad\xff", "", errNotUTF8},
		{"tab\there", "", errControl},
		{"c1\u0085", "", errControl},
	} {
		got, err := utf8Name(tc.in)
		if err != tc.err || got != tc.want {
			t.Errorf("utf8Name(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// FuzzUTF8Name: a UTF-8 mailbox name either is refused or becomes a
// valid modified UTF-7 name that decodes back to it.
func FuzzUTF8Name(f *testing.F) {
	for _, s := range []string{"Entwürfe", "a&b", "日本語/下", "&-", "\xff", "😀x😀"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		internal, err := utf8Name(name)
		if err != nil {
			if utf8.ValidString(name) && err == errNotUTF8 {
				t.Fatalf("%q refused as not UTF-8", name)
			}
			return
		}
		back, err := wire.DecodeUTF7(internal)
		if err != nil || back != name {
			t.Fatalf("%q -> %q -> %q, %v", name, internal, back, err)
		}
	})
}
