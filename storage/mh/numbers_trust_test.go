//go:build linux

package mh

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestNumbersPlantedTemp: another member of a group-writable folder
// plants a symbolic link, or a file of theirs, at the name the numbers
// file's temporary file once had. The next write of the numbers file
// neither writes through the link nor takes their file: the numbers
// file is this user's own, not writable by others.
func TestNumbersPlantedTemp(t *testing.T) {
	for _, kind := range []string{"symlink", "foreign file"} {
		t.Run(kind, func(t *testing.T) {
			path := mkFolder(t, map[string]string{"1": msgA, "2": msgB})
			f := mustOpen(t, testDriver(), path)
			mustScan(t, f) // the first scan removed stale temporary files
			tmp := filepath.Join(path, tmpPrefix+numbersFile)
			victim := filepath.Join(t.TempDir(), "victim")
			writeFile(t, victim, "precious\n", time.Now())
			switch kind {
			case "symlink":
				if err := os.Symlink(victim, tmp); err != nil {
					t.Fatal(err)
				}
			default:
				writeFile(t, tmp, "", time.Now())
				if err := os.Chmod(tmp, 0o666); err != nil {
					t.Fatal(err)
				}
				if os.Geteuid() == 0 {
					if err := os.Chown(tmp, nobodyID, nobodyID); err != nil {
						t.Fatal(err)
					}
				}
			}
			writeFile(t, filepath.Join(path, "3"), "Subject: inc\n\nnew\n", time.Now()) // nmh's inc
			mustScan(t, f)
			if got := readFile(t, victim); got != "precious\n" {
				t.Errorf("the symlink's target was overwritten: %q", got)
			}
			fi, err := os.Lstat(filepath.Join(path, numbersFile))
			if err != nil {
				t.Fatal(err)
			}
			st := fi.Sys().(*syscall.Stat_t)
			if int(st.Uid) != os.Geteuid() || fi.Mode().Perm()&0o022 != 0 || !fi.Mode().IsRegular() {
				t.Errorf("%s is %v, uid %d: not this user's own file", numbersFile, fi.Mode(), st.Uid)
			}
		})
	}
}
