package storage

import (
	"reflect"
	"testing"
)

// FuzzParseSpecialUse: the special-use file reader never panics, keeps
// only RFC 6154's attributes, and what it reads writes back the same.
func FuzzParseSpecialUse(f *testing.F) {
	f.Add([]byte("\\Sent Sent\n\\Drafts Drafts\n\\Trash Deleted Items\n"))
	f.Add([]byte("\\junk Spam\r\n\\Bogus x\nnospace\n\\All \n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		uses := parseSpecialUse(data)
		for name, us := range uses {
			for _, u := range us {
				if c, ok := CanonicalSpecialUse(u); !ok || c != u {
					t.Fatalf("%q: use %q kept for %q", data, u, name)
				}
			}
		}
		if again := parseSpecialUse(formatSpecialUse(uses)); !reflect.DeepEqual(again, uses) {
			t.Fatalf("%q: round trip\n got %q\nwant %q", data, again, uses)
		}
	})
}
