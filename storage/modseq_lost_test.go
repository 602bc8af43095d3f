package storage_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// vanishedTells reports whether VanishedSince(known) lets a QRESYNC
// client learn that uid went: it names it, or says the list is not
// complete (the session then names every UID that is not there, RFC
// 7162 section 3.2.5.1).
func vanishedTells(v *storage.View, known uint64, uid uint32) bool {
	runs, complete := v.VanishedSince(known)
	if !complete {
		return true
	}
	for _, r := range runs {
		if r.First <= uid && uid <= r.Last {
			return true
		}
	}
	return false
}

// TestModSeqLostHistoryTellsExpunges: a message goes between two
// processes while the next one cannot trust or read what the modseq
// file knew (an untold MH folder, a damaged or removed modseq file).
// A QRESYNC client that synced before must still learn that it went,
// and HIGHESTMODSEQ must not go back, also when no message is left.
func TestModSeqLostHistoryTellsExpunges(t *testing.T) {
	cut := func(t *testing.T, box string) {
		if err := os.Truncate(filepath.Join(box, ".mailgate-modseq"), 50); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, typ string
		all       bool // every message goes
		lose      func(t *testing.T, box string)
	}{
		{"untold", "mh", false, func(t *testing.T, box string) { mustRemove(t, filepath.Join(box, ".mailgate-numbers")) }},
		// With no file left the MH scan has nothing untold: the table
		// stays, and the expunges are found exactly.
		{"numbers file gone, emptied", "mh", true, func(t *testing.T, box string) { mustRemove(t, filepath.Join(box, ".mailgate-numbers")) }},
		{"modseq file cut", "maildir", false, cut},
		{"modseq file cut, emptied", "maildir", true, cut},
		{"modseq file removed", "maildir", false, func(t *testing.T, box string) { mustRemove(t, filepath.Join(box, ".mailgate-modseq")) }},
		{"modseq file removed, mh", "mh", false, func(t *testing.T, box string) { mustRemove(t, filepath.Join(box, ".mailgate-modseq")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			box := filepath.Join(root, "alice", "INBOX")
			s, a := accountAt(t, root, tc.typ)
			v := appendSelect(t, a, "a", "b", "c")
			uids := v.UIDs()
			known, _ := v.HighestModSeq() // the QRESYNC client's
			var files []string
			for _, subject := range []string{"a", "b", "c"} {
				files = append(files, messageFile(t, box, subject))
			}
			v.Close()
			s.Close()
			gone := files[2:]
			if tc.all {
				gone = files
			}
			for _, f := range gone { // nmh's rmm, mutt
				mustRemove(t, f)
			}
			tc.lose(t, box)

			s2, a2 := accountAt(t, root, tc.typ)
			defer s2.Close()
			v2, err := a2.Select("INBOX", false)
			if err != nil {
				t.Fatal(err)
			}
			defer v2.Close()
			if h, _ := v2.HighestModSeq(); h <= known {
				t.Errorf("HIGHESTMODSEQ %d, was %d: it went back or stayed over a change", h, known)
			}
			if !vanishedTells(v2, known, uids[2]) {
				runs, _ := v2.VanishedSince(known)
				t.Errorf("VanishedSince(%d) = %v, complete: UID %d, removed since, is never reported", known, runs, uids[2])
			}
			// A client that synced after this process's start needs
			// no more than the exact list.
			now, _ := v2.HighestModSeq()
			if _, complete := v2.VanishedSince(now); !complete {
				t.Errorf("VanishedSince(HIGHESTMODSEQ %d) is not complete", now)
			}
		})
	}
}

// messageFile returns the file of the message with subject in the
// mailbox at box (an MH folder or a maildir).
func messageFile(t *testing.T, box, subject string) string {
	t.Helper()
	var found []string
	filepath.WalkDir(box, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err == nil && strings.HasPrefix(strings.ReplaceAll(string(b), "\r\n", "\n"), "Subject: "+subject+"\n") {
			found = append(found, path)
		}
		return nil
	})
	if len(found) != 1 {
		t.Fatalf("files of message %q in %s: %q", subject, box, found)
	}
	return found[0]
}

func mustRemove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}
