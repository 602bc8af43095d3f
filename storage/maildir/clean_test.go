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
// fixed-name temporary files (only ever there while the lock is held)
// and, under the lock, half written index files not modified for
// fsutil.WriteMaxAge; other programs' files in tmp/ only once they have
// not changed for 36 hours; and nothing else.
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
	// An old modification time does not make another program's file
	// abandoned: its change time is now. mailgate's own index write
	// never sets its file's times.
	mustScan(t, mustOpen(t, testDriver(), path))
	if got, want := left(), slices.Concat(files[:1], files[4:]); !slices.Equal(got, want) {
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

// TestWriteLeftoversAnyHost: a .mu-prop, keywords or cache write killed
// long ago leaves a temporary file whose name names a pid that runs
// again after a reboot, or another host (a re-created container): the
// first scan removes it under the lock by its age, and keeps a young
// one of another host, whose writer may still run there.
func TestWriteLeftoversAnyHost(t *testing.T) {
	host, _ := os.Hostname()
	path, _ := newMaildir(t)
	old, young := time.Unix(1600000000, 0), time.Now()
	files := map[string]time.Time{
		fsutil.TempPrefix + ".atomic.1.71234567890.0badc0de." + host:                 old,
		fsutil.TempPrefix + ".atomic.999999.71234567890.0badc0de.old-container-3f2a": old,
		"." + cacheFile + ".tmp1234567890":                                           old,
		fsutil.TempPrefix + ".atomic.999999.71234567890.0badc0de.other-host":         young,
	}
	for n, mtime := range files {
		writeFile(t, filepath.Join(path, n), "x\n", mtime)
	}
	mustScan(t, mustOpen(t, testDriver(), path))
	for n, mtime := range files {
		_, err := os.Lstat(filepath.Join(path, n))
		if gone := err != nil; gone != (mtime == old) {
			t.Errorf("%s (modified %v): gone %v", n, mtime, gone)
		}
	}
}
