package maildir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestIndexCountersWithoutMuProp: a process that opens a maildir whose
// .mu-prop was removed, and knows no UIDVALIDITY of its own, takes the
// one the index file's head records (the one the other processes hold),
// with its UIDNEXT, writes .mu-prop back; a damaged index is not trusted.
func TestIndexCountersWithoutMuProp(t *testing.T) {
	const validity = "uid-validity: 1795730010\n"
	for _, tc := range []struct {
		name         string
		damage       bool // a byte of the index's header changed
		append       bool // the first operation is an APPEND, not a scan
		wantValidity bool // the index's UIDVALIDITY is kept
	}{
		{"scan", false, false, true},
		{"append", false, true, true},
		{"damaged index", true, false, false},
		{"damaged index, append", true, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := indexedMaildir(t)
			// The message with the highest UID (4) went: UIDNEXT stays 5.
			if err := os.Remove(filepath.Join(path, "new", "4.M1P1.host,u=4")); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(filepath.Join(path, propsFile)); err != nil {
				t.Fatal(err)
			}
			if tc.damage {
				x := filepath.Join(path, indexFile)
				data, err := os.ReadFile(x)
				if err != nil {
					t.Fatal(err)
				}
				data[8+6*8] ^= 1 // the UIDVALIDITY's first byte
				if err := os.WriteFile(x, data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			f := mustOpen(t, testDriver(), path)
			var next uint32
			if tc.append {
				m, err := f.Append(strings.NewReader("Subject: 5\r\n\r\nfive\r\n"), nil, time.Time{})
				if err != nil {
					t.Fatal(err)
				}
				next = m.UID
			} else {
				next = mustScan(t, f).UIDNext
			}
			data, err := os.ReadFile(filepath.Join(path, propsFile))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(string(data), validity); got != tc.wantValidity {
				t.Errorf(".mu-prop written back is %q; index's %q kept: %v, want %v", data, validity, got, tc.wantValidity)
			}
			if tc.wantValidity && next < 5 {
				t.Errorf("UIDNEXT (or the appended UID) %d is below the index's 5: a UID used again", next)
			}
		})
	}
}
