package gateway

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// A start sweeping killed runs' new files spares another start's that is
// not written yet: between WritePIDFile's O_EXCL create and its write the
// file is empty, as a killed run's may be, and unlinking it made that
// start's rename fail (ENOENT). Only files over a minute old are
// leftovers.
func TestWritePIDFileSparesAConcurrentStartsEmptyNewFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mailgate.pid")
	// The first start, just after its create, before its write.
	tmp := filepath.Join(dir, ".mailgate.pid.FIRST2345STA") // pidTempName's pattern
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	// The second start runs its whole WritePIDFile meanwhile.
	remove, err := WritePIDFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer remove()
	// The first start goes on.
	if _, err := f.WriteString(strconv.Itoa(os.Getpid()) + "\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Rename(tmp, path); err != nil {
		t.Errorf("the first start's rename of its pidfile: %v; the second start's sweep removed its new file", err)
	}
}
