//go:build unix

package mh

// Tests of 0544e17 (MH's Folder.OpenQuick runs beside any other call);
// they mean most under -race.

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestOpenQuickConcurrentFolder: readers call OpenQuick on every
// UID while one goroutine (as the core does under the mailbox lock)
// scans after another program's rmm and inc under a reused number (the
// scan renumbers it), changes flags, expunges, appends, and finally
// closes the Folder. A message kept throughout must read as its own
// content with Status: stripped; nothing may race or hang.
func TestOpenQuickConcurrentFolder(t *testing.T) {
	const n = 60
	files := map[string]string{}
	for i := 1; i <= n; i++ {
		files[fmt.Sprint(i)] = fmt.Sprintf("Subject: %d\nStatus: RO\n\nbody %d\n", i, i)
	}
	path := mkFolder(t, files)
	f := mustOpen(t, testDriver(), path)
	mustScan(t, f)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for uid := uint32(1); uid <= n/2; uid++ { // never touched below
					rc, ok := f.OpenQuick(uid)
					if !ok {
						continue // closed
					}
					b, err := io.ReadAll(rc)
					rc.Close()
					want := fmt.Sprintf("Subject: %d\n\nbody %d\n", uid, uid)
					if err != nil || string(b) != want {
						t.Errorf("OpenQuick(%d) read %q, %v; want %q", uid, b, err, want)
						return
					}
				}
			}
		}()
	}
	for round := 0; round < 5; round++ {
		mustScan(t, f)
		if err := f.SetFlags(uint32(n/2+1+round), []string{storage.FlagSeen}); err != nil {
			t.Error(err)
		}
		if err := f.Expunge([]uint32{uint32(n - round)}); err != nil {
			t.Error(err)
		}
		// inc reuses the number of the removed last message.
		writeFile(t, filepath.Join(path, fmt.Sprint(n-round)), "Subject: reused\n\nx\n", testNow())
		mustScan(t, f)
		appendMsg(t, f, "Subject: appended\n\nx\n")
	}
	f.Close()
	time.Sleep(10 * time.Millisecond)
	close(stop)
	wg.Wait()
	names, _ := os.ReadDir(path)
	var list []string
	for _, e := range names {
		list = append(list, e.Name())
	}
	t.Logf("files at the end: %s", strings.Join(list, " "))
}
