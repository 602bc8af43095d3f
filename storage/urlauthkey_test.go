package storage

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseURLAuthKeys(t *testing.T) {
	k1, k2 := strings.Repeat("ab", URLAuthKeySize), strings.Repeat("0f", URLAuthKeySize)
	got := parseURLAuthKeys([]byte(k1 + " 7 INBOX\n" + k2 + " 9 a b/c\nbad\n" + k1[2:] + " 1 short\n" +
		strings.Repeat("zz", URLAuthKeySize) + " 1 nothex\n" + k1 + " x box\n" + k1 + " 4294967296 box\n" + k1 + " 1 \n"))
	if len(got) != 2 || got["INBOX"].uidValidity != 7 || got["a b/c"].uidValidity != 9 || got["INBOX"].key[0] != 0xab {
		t.Fatalf("got %v", got)
	}
	if again := parseURLAuthKeys(formatURLAuthKeys(got)); len(again) != 2 || !bytes.Equal(again["a b/c"].key, got["a b/c"].key) {
		t.Fatalf("round trip: %v", again)
	}
}

// FuzzParseURLAuthKeys: any key file reads without panic; every key it
// yields has the full size, and what is written back reads the same.
func FuzzParseURLAuthKeys(f *testing.F) {
	f.Add([]byte(strings.Repeat("ab", URLAuthKeySize) + " 7 INBOX\n"))
	f.Add([]byte("x 1 y\n\n\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys := parseURLAuthKeys(data)
		for n, k := range keys {
			if len(k.key) != URLAuthKeySize || n == "" {
				t.Fatalf("%q: key %v for %q", data, k, n)
			}
		}
		again := parseURLAuthKeys(formatURLAuthKeys(keys))
		if len(again) != len(keys) {
			t.Fatalf("%q: %d keys, %d after a round trip", data, len(keys), len(again))
		}
		for n, k := range keys {
			if a, ok := again[n]; !ok || !bytes.Equal(a.key, k.key) || a.uidValidity != k.uidValidity {
				t.Fatalf("%q: %q changed in a round trip", data, n)
			}
		}
	})
}
