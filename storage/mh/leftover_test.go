package mh

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// TestWriteLeftoversAnyHost: .mu-prop, .mh_sequences and the numbers
// file are written through CreateTemp names that carry the writer's pid
// and host, and the storage core writes the cache through its own
// temporary name. A writer killed long ago leaves a file that its name
// alone does not show as stale: after a reboot its pid is a running
// daemon's (PID 1 in a container), a re-created container or another
// NFS client has another host name. The first scan under the lock
// removes them by their age; a young one of another host (a writer
// that may still run there) stays.
func TestWriteLeftoversAnyHost(t *testing.T) {
	host, _ := os.Hostname()
	old, young := time.Unix(1600000000, 0), time.Now()
	for _, tt := range []struct {
		name, leftover string
		mtime          time.Time
		stays          bool
	}{
		{"pid reused", fsutil.TempPrefix + ".atomic.1.71234567890.0badc0de." + host, old, false},
		{"another host", fsutil.TempPrefix + ".atomic.999999.71234567890.0badc0de.old-container-3f2a", old, false},
		{"core cache", "." + cacheFile + ".tmp1234567890", old, false},
		{"fsutil cache", cacheFile + ".tmp1234567890", old, false},
		{"young, another host", fsutil.TempPrefix + ".atomic.999999.71234567890.0badc0de.old-container-3f2a", young, true},
		{"message being received", fsutil.TempPrefix + ".append.1.71234567890.0badc0de.other-host", old, true},
		{"another program's", ".mailgate-cache.tmp12x", old, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := mkFolder(t, map[string]string{"1": msgA})
			writeFile(t, filepath.Join(path, tt.leftover), "UIDVALIDITY 1\n", tt.mtime)
			for range 2 {
				f := mustOpen(t, testDriver(), path)
				mustScan(t, f)
				appendMsg(t, f, "Subject: x\n\ny\n") // takes the exclusive lock
				f.Close()
			}
			_, err := os.Lstat(filepath.Join(path, tt.leftover))
			if gone := err != nil; gone == tt.stays {
				t.Errorf("%s: gone %v, want %v: %v", tt.leftover, gone, !tt.stays, listDir(t, path))
			}
		})
	}
}
