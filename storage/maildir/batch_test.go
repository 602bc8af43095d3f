package maildir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// TestSetFlagsBatch checks that a batch leaves the files named as one
// SetFlags per message would, also when another program moved or removed
// files since the last scan.
func TestSetFlagsBatch(t *testing.T) {
	files := map[string]string{
		propsFile:                  "uidnext: 7\nuid-validity: 9\nversion: 3.15\n",
		keywordsFile:               "0 Junk\n",
		"cur/1.M1P1.h,u=1:2,S":     "a\n",
		"cur/2.M1P1.h,u=2:2,FSa":   "b\n",
		"cur/3.M1P1.h,u=3:2,SZ":    "c\n", // Z: a letter mailgate does not know
		"new/4.M1P1.h,u=4":         "d\n",
		"cur/5.M1P1.h,u=5:2,S":     "e\n",
		"cur/6.M1P1.h,a=FO,u=6:2,": "f\n",
	}
	changes := map[uint32][]string{
		1:  {`\Flagged`, `\Seen`},
		2:  {`\Seen`},
		3:  {`\Answered`},
		4:  {"Junk", "$Work"},
		5:  {`\Deleted`, `\Seen`},
		6:  {`\Seen`},
		99: {`\Seen`}, // never existed
	}
	// Some messages only, with gaps between them and around them: the
	// batch walks the entries in UID order.
	some := map[uint32][]string{
		0:  {`\Seen`},
		2:  {`\Seen`},
		5:  {`\Deleted`, `\Seen`},
		6:  {`\Seen`},
		99: {`\Seen`},
	}
	tests := []struct {
		name  string
		other func(t *testing.T, path string) // another program, after the scan
	}{
		{"as scanned", func(t *testing.T, path string) {}},
		{"moved and removed by another program", func(t *testing.T, path string) {
			for _, mv := range [][2]string{
				{"new/4.M1P1.h,u=4", "cur/4.M1P1.h,u=4:2,S"},
				{"cur/1.M1P1.h,u=1:2,S", "cur/1.M1P1.h,u=1:2,RS"},
			} {
				if err := os.Rename(filepath.Join(path, mv[0]), filepath.Join(path, mv[1])); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Remove(filepath.Join(path, "cur/5.M1P1.h,u=5:2,S")); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		for _, v := range []struct {
			changes  map[uint32][]string
			reversed bool
		}{{changes, false}, {some, false}, {changes, true}} {
			changes := v.changes
			t.Run(fmt.Sprintf("%s/%d changes/reversed=%v", tt.name, len(changes), v.reversed), func(t *testing.T) {
				one, batch := mkMaildir(t, files), mkMaildir(t, files)
				fOne, fBatch := mustOpen(t, testDriver(), one), mustOpen(t, testDriver(), batch)
				mustScan(t, fOne)
				mustScan(t, fBatch)
				tt.other(t, one)
				tt.other(t, batch)
				for uid, flags := range changes {
					if err := fOne.SetFlags(uid, flags); err != nil && !errors.Is(err, storage.ErrNoMessage) {
						t.Fatalf("SetFlags(%d): %v", uid, err)
					}
				}
				list := storage.FlagChangesOf(changes)
				if v.reversed {
					// Out of the order the core keeps, and with the
					// messages alike sharing their flags, as the
					// core's do: each still changed as asked.
					slices.Reverse(list)
					shareFlags(list)
				}
				if err := fBatch.SetFlagsBatch(list); err != nil {
					t.Fatal(err)
				}
				for _, sub := range []string{"cur", "new"} {
					want, got := listDir(t, filepath.Join(one, sub)), listDir(t, filepath.Join(batch, sub))
					if !slices.Equal(got, want) {
						t.Fatalf("%s/ after the batch: %q\nafter SetFlags: %q", sub, got, want)
					}
				}
				if want, got := uidsOf(mustScan(t, fOne)), uidsOf(mustScan(t, fBatch)); !slices.Equal(got, want) {
					t.Fatalf("UIDs after the batch %v, after SetFlags %v", got, want)
				}
				// The Folder found every file again: reading works without a scan.
				for _, e := range fBatch.all() {
					readAll(t, fBatch, e.uid)
				}
			})
		}
	}
}

// shareFlags makes the changes with the same flags share one slice.
func shareFlags(changes []storage.FlagChange) {
	for k := range changes {
		for _, c := range changes[:k] {
			if slices.Equal(c.Flags, changes[k].Flags) {
				changes[k].Flags = c.Flags
				break
			}
		}
	}
}

// TestMemoLettersKeywords checks that a batch's memo of letters keeps
// apart what depends on the keywords' table: flags with a keyword, and
// old letters with a keyword's letter, are each worked out afresh, and
// system flags alike give the letters they would alone.
func TestMemoLettersKeywords(t *testing.T) {
	f := mustOpen(t, testDriver(), mkMaildir(t, map[string]string{
		keywordsFile:           "0 Junk\n1 Work\n",
		"cur/1.M1P1.h,u=1:2,S": "a\n",
	}))
	mustScan(t, f)
	f.mu.Lock()
	defer f.mu.Unlock()
	var memo lettersMemo
	flagged := []string{storage.FlagFlagged, storage.FlagSeen}
	withKw := []string{storage.FlagSeen, "Work"}
	for _, tt := range []struct {
		flags      []string
		old, want  string
		remembered bool
	}{
		{flagged, "S", "FS", true},
		{flagged, "S", "FS", true},
		{flagged, "RSZ", "FSZ", true}, // Z: another program's, kept
		{flagged, "Sa", "FS", false},  // a: Junk, taken away
		{withKw, "S", "Sb", false},
		{withKw, "S", "Sb", false},
	} {
		got, err := f.memoLetters(&memo, tt.flags, tt.old)
		if err != nil || got != tt.want {
			t.Fatalf("memoLetters(%q, %q) = %q, %v; want %q", tt.flags, tt.old, got, err, tt.want)
		}
		found := false
		for _, e := range memo.seen {
			found = found || e.old == tt.old && slices.Equal(e.flags, tt.flags)
		}
		if found != tt.remembered {
			t.Fatalf("memoLetters(%q, %q) remembered: %v, want %v", tt.flags, tt.old, found, tt.remembered)
		}
	}
}

func TestSetFlagsBatchClosed(t *testing.T) {
	path, d := newMaildir(t)
	f := mustOpen(t, d, path)
	f.Close()
	if err := f.SetFlagsBatch(storage.FlagChangesOf(map[uint32][]string{1: nil})); !errors.Is(err, errClosed) {
		t.Fatalf("SetFlagsBatch after Close: %v", err)
	}
}
