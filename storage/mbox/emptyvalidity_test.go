package mbox

import (
	"os"
	"testing"
	"time"
)

// TestEmptyMailboxKeepsValidity: an empty mbox has no X-IMAPbase, so its
// UIDVALIDITY and UIDNEXT live only in the sidecar index. When the file
// changes behind the index while empty (a first APPEND torn by a crash and
// rolled back, an EXPUNGE of everything cut short before the index was
// saved), the mailbox must keep them: a new UIDVALIDITY would make every
// client drop its cache, and reading the index's UIDNEXT again must never
// give a UID twice.
func TestEmptyMailboxKeepsValidity(t *testing.T) {
	raw, _ := otherMessage(1)
	cases := []struct {
		name   string
		change func(t *testing.T, path string) // what happened while the index was not looking
		next   uint32                          // the lowest UIDNEXT acceptable afterwards
		uids   int                             // messages in the file afterwards
	}{
		{name: "rolled back to empty, new mtime", change: func(t *testing.T, path string) {
			later := time.Now().Add(5 * time.Second)
			if err := os.Chtimes(path, later, later); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "replaced by an empty file", change: func(t *testing.T, path string) {
			tmp := path + ".new"
			if err := os.WriteFile(tmp, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, path); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "another program appended without X-IMAPbase", change: func(t *testing.T, path string) {
			// An X-UID below the UIDNEXT given out must not be taken.
			msg := "From other@example.org Tue Nov  7 08:00:00 2023\nX-UID: 1\nSubject: x\n\nbody\n\n"
			if err := os.WriteFile(path, []byte(msg+raw), 0o600); err != nil {
				t.Fatal(err)
			}
		}, uids: 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeMbox(t, raw)
			uv := uint32(1000)
			nextUV := func() uint32 { uv++; return uv }
			d := testDriver(t, Options{UIDValidity: nextUV})
			f := mustOpen(t, d, path)
			s := mustScan(t, f)
			if len(s.Messages) != 1 {
				t.Fatalf("%d messages", len(s.Messages))
			}
			if err := f.Expunge([]uint32{s.Messages[0].UID}); err != nil {
				t.Fatal(err)
			}
			s = mustScan(t, f)
			validity, next := s.UIDValidity, s.UIDNext
			if len(s.Messages) != 0 || next < 2 {
				t.Fatalf("after expunge: %d messages, UIDNEXT %d", len(s.Messages), next)
			}
			f.Close()
			c.change(t, path)

			// A new process: a fresh driver reads the index again.
			f2 := mustOpen(t, testDriver(t, Options{UIDValidity: nextUV}), path)
			s2 := mustScan(t, f2)
			if s2.UIDValidity != validity {
				t.Errorf("UIDVALIDITY %d, was %d", s2.UIDValidity, validity)
			}
			if len(s2.Messages) != c.uids {
				t.Fatalf("%d messages, want %d", len(s2.Messages), c.uids)
			}
			for _, m := range s2.Messages {
				if s2.UIDValidity == validity && m.UID < next {
					t.Errorf("UID %d given again under UIDVALIDITY %d (UIDNEXT was %d)", m.UID, validity, next)
				}
			}
		})
	}
}
