package gateway

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// WritePIDFile writes the process's id to path and returns what removes
// it again (only while it still names this process). The pid goes
// into a new file, created O_EXCL|O_NOFOLLOW beside path and renamed
// into place: root never writes through a link or into a file that
// someone else made, and a reader never sees half a pidfile. A path in a
// directory that someone other than root and the daemon's user could
// change is refused (checkPrivateDir). The new files of earlier runs
// killed before their rename are removed (removeStalePIDTemps).
func WritePIDFile(path string) (remove func(), err error) {
	if err := checkPIDFileDir(path); err != nil {
		return nil, fmt.Errorf("pidfile %s: %w", path, err)
	}
	removeStalePIDTemps(path)
	var tmp string
	var f *os.File
	for try := 0; ; try++ {
		tmp = pidTempName(path, rand.Text()[:pidTempSuffixLen])
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

// pidTempSuffixLen is the length of the random part of a pidfile's new
// file's name: rand.Text's characters, base32's A-Z and 2-7.
const pidTempSuffixLen = 12

// pidTempName is the name of a new file for the pidfile path, with the
// random suffix.
func pidTempName(path, suffix string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+"."+suffix)
}

// removeStalePIDTemps removes the new files that WritePIDFile made for
// path and never renamed: a run killed (kill -9, a power cut) between the
// create and the rename leaves one, which nothing else removes. Only
// regular files of this process's user whose name is exactly of
// pidTempName's pattern go, and only when the pid they hold, if any, is
// not a live process's (another start writing its pidfile at this
// moment). The directory is one checkPIDFileDir accepted, which only
// root and the daemon's user can change.
func removeStalePIDTemps(path string) {
	dir, prefix := filepath.Dir(path), "."+filepath.Base(path)+"."
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		suffix, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !isPIDTempSuffix(suffix) || !e.Type().IsRegular() {
			continue
		}
		tmp := filepath.Join(dir, e.Name())
		fi, err := os.Lstat(tmp)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); !ok || st.Uid != uint32(os.Geteuid()) {
			continue
		}
		// A start under way right now may not have written its pid yet:
		// a file of the last minute is nobody's leftover.
		if time.Since(fi.ModTime()) < time.Minute {
			continue
		}
		if b, err := os.ReadFile(tmp); err != nil || pidAlive(strings.TrimSpace(string(b))) {
			continue
		}
		os.Remove(tmp)
	}
}

// isPIDTempSuffix reports whether s is a suffix pidTempName makes.
func isPIDTempSuffix(s string) bool {
	if len(s) != pidTempSuffixLen {
		return false
	}
	for _, c := range s {
		if !('A' <= c && c <= 'Z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}

// pidAlive reports whether text is the pid of a live process.
func pidAlive(text string) bool {
	pid, err := strconv.Atoi(text)
	if err != nil || pid <= 0 {
		return false
	}
	err = syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
