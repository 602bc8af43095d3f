package gateway

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// WritePIDFile writes the process's id to path and returns what removes
// it again (only while it still names this process). The pid goes
// into a new file, created O_EXCL|O_NOFOLLOW beside path and renamed
// into place: root never writes through a link or into a file that
// someone else made, and a reader never sees half a pidfile. A path in a
// directory that someone other than root and the daemon's user could
// change is refused (checkPrivateDir).
func WritePIDFile(path string) (remove func(), err error) {
	dir := filepath.Dir(path)
	if err := checkPIDFileDir(path); err != nil {
		return nil, fmt.Errorf("pidfile %s: %w", path, err)
	}
	var tmp string
	var f *os.File
	for try := 0; ; try++ {
		tmp = filepath.Join(dir, "."+filepath.Base(path)+"."+rand.Text()[:12])
		f, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o644)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) || try == 10 {
			return nil, fmt.Errorf("pidfile %s: %w", path, err)
		}
	}
	pid := strconv.Itoa(os.Getpid()) + "\n"
	_, err = f.WriteString(pid)
	if err == nil {
		err = f.Chmod(0o644) // whatever the umask: readers need not be root
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("pidfile %s: %w", path, err)
	}
	return func() {
		if b, err := os.ReadFile(path); err == nil && string(b) == pid {
			os.Remove(path)
		}
	}, nil
}
