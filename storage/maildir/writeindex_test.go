package maildir

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// quietMaildir returns a Folder on a maildir of n messages whose
// directories look quiet for an hour, scanned once with its index write
// deferred (as a first SELECT leaves it for WriteIndex).
func quietMaildir(t *testing.T, n int) (*Folder, string) {
	t.Helper()
	path, d := newMaildir(t)
	old := time.Now().Add(-time.Hour)
	for i := 1; i <= n; i++ {
		writeFile(t, filepath.Join(path, dirCur, fmt.Sprintf("1700000000.M%dP1.host,S=6,W=7,u=%d:2,S", i, i)), "Hello\n", old)
	}
	writeFile(t, filepath.Join(path, propsFile), fmt.Sprintf("uidnext: %d\nuid-validity: 1700000000\n", n+1), old)
	for _, sub := range []string{dirCur, dirNew} {
		os.Chtimes(filepath.Join(path, sub), old, old)
	}
	f := mustOpen(t, d, path)
	f.DeferIndex()
	mustScan(t, f)
	if !f.indexPending {
		t.Fatal("the scan left no index write for later")
	}
	return f, path
}

// WriteIndex holds the Folder's lock only to copy the entries and to
// rename the file into place: while it encodes and writes, the Folder
// serves reads and changes. A change made meanwhile makes it drop its
// now stale file; DropIndex waits for a write under way, after which
// nothing of it is left.
func TestWriteIndexLeavesFolderFree(t *testing.T) {
	for _, tc := range []struct {
		name string
		// during runs while WriteIndex is between its copy and its
		// rename; it returns what to wait for once the write is let go.
		during    func(t *testing.T, f *Folder) <-chan struct{}
		wantIndex bool
	}{
		{"read", func(t *testing.T, f *Folder) <-chan struct{} {
			readAll(t, f, 2)
			return nil
		}, true},
		{"flag change", func(t *testing.T, f *Folder) <-chan struct{} {
			if err := f.SetFlags(2, []string{storage.FlagFlagged}); err != nil {
				t.Error(err)
			}
			return nil
		}, false},
		{"dropped", func(t *testing.T, f *Folder) <-chan struct{} {
			dropped := make(chan struct{})
			go func() {
				f.DropIndex() // waits for the write, then forbids the next
				close(dropped)
			}()
			return dropped
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, path := quietMaildir(t, 20)
			entered, release, done := heldWriteIndex(t, f)
			select {
			case <-entered:
			case <-done:
				t.Fatal("WriteIndex wrote nothing")
			}
			var after <-chan struct{}
			within(t, 10*time.Second, "a Folder call during WriteIndex", func() { after = tc.during(t, f) })
			close(release)
			<-done
			if after != nil {
				<-after
			}

			_, err := os.Lstat(filepath.Join(path, indexFile))
			if tc.wantIndex && err != nil {
				t.Errorf("no index after WriteIndex: %v", err)
			} else if !tc.wantIndex && err == nil {
				t.Errorf("an index of the state before the change was written")
			}
			for _, n := range listDir(t, path) {
				if strings.HasPrefix(n, indexFile+".tmp") {
					t.Errorf("temporary file %s left", n)
				}
			}
			if tc.name == "dropped" {
				f.mu.Lock()
				pending, dropped := f.indexPending, f.noIndex
				f.mu.Unlock()
				if pending || !dropped {
					t.Errorf("after DropIndex: pending %v, dropped %v", pending, dropped)
				}
			}
		})
	}
}

// within fails the test unless fn returns within d.
func within(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		fn()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s waited for the index write", what)
	}
}

// TestWriteIndexEndsBeforeClose: Close waits for a background index
// write. The core closes a released mailbox at once (Linger < 0, or past
// MaxLingering), and a DELETE then finds no open mailbox to call
// DropIndex on; a write that outlived Close would rename the old
// mailbox's index into whatever is at the path then: here a maildir
// created again under the same name.
func TestWriteIndexEndsBeforeClose(t *testing.T) {
	f, path := quietMaildir(t, 20)
	d := testDriver()
	// View.Settle's background write, after its live check.
	entered, release, done := heldWriteIndex(t, f)
	<-entered

	// The session releases the mailbox: mb.close -> Folder.Close, which
	// does not wait for the write under way.
	closed := make(chan struct{})
	go func() {
		f.Close()
		close(closed)
	}()
	select {
	case <-closed:
		close(release)
		t.Error("Close returned while an index write was under way")
	case <-time.After(100 * time.Millisecond):
		close(release)
		<-closed
	}
	<-done
	// DELETE (no DropIndex: the mailbox is no longer open), then CREATE:
	// nothing of the old mailbox may land in the new one.
	if err := d.Delete(path); err != nil {
		t.Fatal(err)
	}
	if err := d.Create(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if names := listDir(t, path); len(names) != 4 {
		t.Errorf("the new mailbox holds %v, want only .mu-prop, cur, new, tmp", names)
	}
}

// heldWriteIndex starts f.WriteIndex in a goroutine and holds it once it
// has copied the entries and let go of the Folder's lock (writeIndexHook):
// entered is closed then, closing release lets it go on, and done is
// closed when it returns.
func heldWriteIndex(t *testing.T, f *Folder) (entered, release, done chan struct{}) {
	t.Helper()
	entered, release, done = make(chan struct{}), make(chan struct{}), make(chan struct{})
	writeIndexHook = func() {
		close(entered)
		<-release
	}
	t.Cleanup(func() { writeIndexHook = nil })
	go func() {
		f.WriteIndex()
		close(done)
	}()
	return entered, release, done
}
