package maildir

// Tests of 8f16705 (Folder.OpenQuick runs without the mailbox lock); they
// mean most under -race.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestOpenQuickConcurrentFolder: readers call OpenQuick on a
// Folder whose entries are still lazy (answered from the index file),
// while one goroutine (as the core does under the mailbox lock) builds
// them, changes flags, scans after another program's renames and
// removals, expunges, writes the index and finally closes the Folder.
// Every open must give the message's own content or say it cannot;
// never another message's, never a data race, never a hang.
func TestOpenQuickConcurrentFolder(t *testing.T) {
	const n = 120
	files := map[string]string{propsFile: fmt.Sprintf("uidnext: %d\nuid-validity: 1795730010\nversion: 3.15\n", n+1)}
	for i := 1; i <= n; i++ {
		files[fmt.Sprintf("cur/%d.M%dP1.host,u=%d:2,", 1700000000+i, i, i)] = fmt.Sprintf("Subject: %d\n\nbody %d\n", i, i)
	}
	path := mkMaildir(t, files)
	ageDirs(t, path, time.Hour)
	first := mustOpen(t, testDriver(), path)
	mustScan(t, first)
	first.Close()
	f := mustOpen(t, testDriver(), path)
	if mustScan(t, f); !f.fromIndex {
		t.Fatal("not answered from the index: the lazy entries are not raced")
	}

	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; !stop.Load(); round++ {
				for i := 1; i <= n; i++ {
					uid := uint32((i+r*31)%n + 1)
					rc, ok := f.OpenQuick(uid)
					if !ok {
						continue
					}
					b, err := io.ReadAll(rc)
					rc.Close()
					if want := fmt.Sprintf("Subject: %d\n", uid); err != nil || !strings.HasPrefix(string(b), want) {
						errs <- fmt.Errorf("OpenQuick(%d) read %q, %v; want %q", uid, b, err, want)
						return
					}
				}
			}
		}()
	}
	cur := filepath.Join(path, dirCur)
	for round := range 5 {
		for uid := uint32(1 + round); uid <= n; uid += 5 {
			if err := f.SetFlags(uid, []string{storage.FlagSeen}); err != nil && !errors.Is(err, storage.ErrNoMessage) {
				t.Error(err)
			}
		}
		names, _ := filepath.Glob(filepath.Join(cur, "*"))
		for i, name := range names {
			switch {
			case i%11 == round:
				os.Rename(name, name+"F") // another program flags it
			case i%37 == round:
				os.Remove(name)
			}
		}
		if _, err := f.Scan(); err != nil {
			t.Error(err)
		}
		if err := f.Expunge([]uint32{uint32(n - round)}); err != nil {
			t.Error(err)
		}
		f.WriteIndex()
	}
	f.Close()
	stop.Store(true)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a reader hangs")
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
