package maildir

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// The keyword table is read when a name first carries a keyword letter,
// not when the Folder opens: a maildir whose names carry none is
// selected without opening dovecot-keywords. A flag change reads it
// first, so that the keywords of the letters it changes are dropped or
// kept as asked, and those another program gave the message meanwhile
// are known and kept.
func TestKeywordsReadWhenNeeded(t *testing.T) {
	for _, tc := range []struct {
		name     string
		letters  string // the message's info letters at the scan
		wantRead bool
		want     []string
	}{
		{"no keyword", "S", false, []string{storage.FlagSeen}},
		{"keyword", "Sa", true, []string{"Junk", storage.FlagSeen}},
		{"unknown letter", "Sc", true, []string{storage.FlagSeen}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, d := newMaildir(t)
			writeFile(t, filepath.Join(path, keywordsFile), "0 Junk\n1 Work\n", zeroTime)
			name := "1700000000.M1P1.host,S=6:2," + tc.letters
			writeFile(t, filepath.Join(path, dirCur, name), "Hello\n", zeroTime)
			f := mustOpen(t, d, path)
			s := mustScan(t, f)
			if len(s.Messages) != 1 || !slices.Equal(s.Messages[0].Flags, tc.want) {
				t.Fatalf("messages %+v, want flags %q", s.Messages, tc.want)
			}
			f.mu.Lock()
			read := f.kwRead
			f.mu.Unlock()
			if read != tc.wantRead {
				t.Errorf("keywords read: %v, want %v", read, tc.wantRead)
			}

			// Another program files the message as Work; a STORE of
			// \Flagged \Seen, which the core computed from the flags
			// it knew, takes away a keyword it knew (Junk, when given) and keeps
			// Work, which it did not know.
			uid := s.Messages[0].UID
			cur := listDir(t, filepath.Join(path, dirCur))
			if len(cur) != 1 {
				t.Fatalf("cur: %v", cur)
			}
			base, _, _ := strings.Cut(cur[0], ":2,")
			if err := os.Rename(filepath.Join(path, dirCur, cur[0]), filepath.Join(path, dirCur, base+":2,Sb")); err != nil {
				t.Fatal(err)
			}
			if err := f.SetFlags(uid, []string{storage.FlagFlagged, storage.FlagSeen}); err != nil {
				t.Fatal(err)
			}
			if got := listDir(t, filepath.Join(path, dirCur)); len(got) != 1 || !strings.HasSuffix(got[0], ":2,FSb") {
				t.Errorf("after STORE: %v, want \\Flagged added to the other program's letters", got)
			}
			if got, want := f.MergedFlags()[uid], []string{"Work", storage.FlagFlagged, storage.FlagSeen}; !slices.Equal(got, want) {
				t.Errorf("MergedFlags: %q, want %q", got, want)
			}
		})
	}
}
