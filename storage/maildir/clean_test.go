package maildir

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// TestStaleFilesRemoved: the first scan of a Folder removes mailgate's
// fixed-name temporary files (only ever there while the lock is held);
// other programs' files in tmp/ and half written index files only once
// they have not changed for 36 hours; and nothing else.
func TestStaleFilesRemoved(t *testing.T) {
	path, _ := newMaildir(t)
	files := []string{
		"tmp/1700000000.M1P99.otherhost",      // another program's delivery
		indexFile + ".tmp123456",              // a crash in saveIndex
		fsutil.TempPrefix + propsFile,         // a crash in allocate
		fsutil.TempPrefix + keywordsFile,      // a crash in letters
		"dovecot-uidlist.lock",                // not ours
		fsutil.TempPrefix + ".append.1.1.x.y", // pid 1 of another host
	}
	for _, n := range append(files, "new/1700000002.M1P99.otherhost") {
		writeFile(t, filepath.Join(path, n), "x\n", time.Unix(1600000000, 0))
	}
	left := func() []string {
		var l []string
		for _, n := range files {
			if _, err := os.Lstat(filepath.Join(path, n)); err == nil {
				l = append(l, n)
			}
		}
		return l
	}
	// An old modification time does not make a file abandoned: its
	// change time is now.
	mustScan(t, mustOpen(t, testDriver(), path))
	if got, want := left(), slices.Concat(files[:2], files[4:]); !slices.Equal(got, want) {
		t.Errorf("first scan left %v; want %v", got, want)
	}
	// 37 hours later.
	d := testDriver()
	d.Options.Now = func() time.Time { return time.Now().Add(37 * time.Hour) }
	if s := mustScan(t, mustOpen(t, d, path)); len(s.Messages) != 1 {
		t.Errorf("scan = %+v", s.Messages)
	}
	if got, want := left(), files[4:]; !slices.Equal(got, want) {
		t.Errorf("scan 37 hours later left %v; want %v", got, want)
	}
}

// TestStaleFilesRemovedAfterSummary: a Folder opened from its index's
// summary removes what crashed writers left once it builds the
// messages, after the SELECT that the summary answered.
func TestStaleFilesRemovedAfterSummary(t *testing.T) {
	path := mkMaildir(t, map[string]string{
		propsFile:                     "uidnext: 2\nuid-validity: 1795730010\nversion: 3.15\n",
		"cur/1.M1P1.host,u=1:2,S":     "Subject: 1\n\none\n",
		fsutil.TempPrefix + propsFile: "uidnext: 9\n", // a crash in allocate
	})
	ageDirs(t, path, time.Hour)
	f := mustOpen(t, testDriver(), path)
	mustScan(t, f) // writes the index
	f.Close()
	stale := filepath.Join(path, fsutil.TempPrefix+propsFile)
	writeFile(t, stale, "uidnext: 9\n", time.Now())

	f = mustOpen(t, testDriver(), path)
	defer f.Close()
	sum, ok := f.Summarize()
	if !ok {
		t.Fatal("not summarized")
	}
	if msgs, exact := sum.Messages(); len(msgs) != 1 || !exact {
		t.Fatalf("messages %+v (exact %v)", msgs, exact)
	}
	if _, err := os.Lstat(stale); !os.IsNotExist(err) {
		t.Errorf("%s left after the messages were built: %v", stale, err)
	}
}
