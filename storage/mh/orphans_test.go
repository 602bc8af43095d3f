package mh

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// TestOrphanNumbersDropped: numbers above the last message in
// .mh_sequences (what a crash between writing the sequences and linking
// the message leaves) are dropped by the next scan, so that a message
// another program files under such a number later does not inherit their
// flags. cur is left alone, as nmh leaves it.
func TestOrphanNumbersDropped(t *testing.T) {
	path := mkFolder(t, map[string]string{"1": "Subject: a\n\n", "2": "Subject: b\n\n", "3": "Subject: c\n\n"})
	writeFile(t, filepath.Join(path, seqFile), "unseen: 2-5\nflagged: 5\nJunk: 1 4-6\ncur: 9\n", testNow())
	f := mustOpen(t, testDriver(), path)
	mustScan(t, f)
	if got := readFile(t, filepath.Join(path, seqFile)); got != "unseen: 2-3\nJunk: 1\ncur: 9\n" {
		t.Errorf("%s = %q", seqFile, got)
	}
	// procmail files a message under the next number.
	writeFile(t, filepath.Join(path, "4"), "Subject: d\n\n", testNow())
	s := mustScan(t, f)
	if m, ok := message(s, 4); !ok || !slices.Equal(m.Flags, []string{storage.FlagSeen}) {
		t.Errorf("message 4 = %+v; want it as nmh sees a new file: seen, nothing else", m)
	}
}

// TestLinkTakenMeanwhile: when another program takes the number between
// the sequences being written and the link, the number's memberships are
// put back as they were, and Commit takes the next number.
func TestLinkTakenMeanwhile(t *testing.T) {
	path, d := newFolder(t)
	f := mustOpen(t, d, path)
	appendMsg(t, f, "Subject: a\n\n", storage.FlagSeen)
	mustScan(t, f)
	src := filepath.Join(path, ".mailgate-test-src")
	writeFile(t, src, "Subject: b\n\n", testNow())
	f.mu.Lock()
	err := f.locked(func() error {
		_, err := f.linkAs(src, 2, func(ss sequences) (sequences, error) {
			// procmail delivers 2 now.
			writeFile(t, filepath.Join(path, "2"), "Subject: procmail\n\n", testNow())
			return f.fm.setFlags(ss, 2, []string{storage.FlagFlagged})
		})
		return err
	})
	f.mu.Unlock()
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("linkAs = %v; want ErrExist", err)
	}
	if got := readFile(t, filepath.Join(path, seqFile)); got != "" {
		t.Errorf("%s = %q; want 2's memberships put back (none)", seqFile, got)
	}
	os.Remove(src)
	m := appendMsg(t, f, "Subject: c\n\n", storage.FlagFlagged)
	s := mustScan(t, f)
	// The file that appeared under a number given out already is
	// renumbered, as any reused number is.
	if m.UID != 3 || !slices.Equal(uidsOf(s), []uint32{1, 3, 4}) {
		t.Errorf("Append = %+v, folder %v", m, uidsOf(s))
	}
	if got := readAll(t, f, 4); got != "Subject: procmail\n\n" {
		t.Errorf("message 4 is %q", got)
	}
	if m4, _ := message(s, 4); !slices.Equal(m4.Flags, []string{storage.FlagSeen}) {
		t.Errorf("procmail's message has flags %v", m4.Flags)
	}
}
