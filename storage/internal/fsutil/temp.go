package fsutil

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// This file names the temporary files that mailgate leaves in a mailbox
// directory while it writes, so that they can be removed after a crash
// (kill -9, power loss) without ever removing one that a running process
// still writes.
//
// There are two kinds:
//
//   - Files of CreateTemp, named TempPrefix.<kind>.<pid>.<n>.<run>.<host>:
//     they may exist at any time, written without any lock (a message
//     being received), and are stale once their process is gone. <run>
//     is random for each process, so that a process that got the pid of
//     its dead predecessor (as PID 1 in a container does at each restart)
//     still tells its predecessor's files from its own. Names without
//     <run> and <host> (TempPrefix.<kind>.<pid>.<n>) are older mailgate's.
//   - Every other name starting with TempPrefix, such as
//     ".mailgate-tmp.mu-prop": written and renamed away only under the
//     directory's exclusive lock (LockDir), so that one seen under the
//     lock, shared or exclusive, is left over from a crash.
//
// The temporary file of a write of a whole small file (see
// AbandonedWriteTemp) is moreover stale once it is older than
// WriteMaxAge, whatever pid and host its name says: after a reboot the
// dead writer's pid is often a running process's, and a re-created
// container or another NFS client has another host name.

// TempPrefix starts the name of every temporary file that mailgate makes
// in a mailbox directory. The leading dot hides it from mail programs.
const TempPrefix = ".mailgate-tmp"

// tempCount numbers this process's temporary files.
var tempCount atomic.Uint64

// thisRun tells this process's temporary files from those of another
// process that had the same pid.
var thisRun = sync.OnceValue(func() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
})

// randomUint32 returns a random number that no other process can guess.
func randomUint32() uint32 {
	var b [4]byte
	rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:])
}

// thisHost is the host name as temporary file names carry it: process ids
// are only meaningful on their host, and a mailbox may be shared over NFS.
var thisHost = sync.OnceValue(func() string { return hostPart(Hostname()) })

// Hostname is the host's name (os.Hostname, "" when it cannot be known),
// asked once per process, as Dovecot does: new file names, own files and
// temporary names carry it.
var Hostname = sync.OnceValue(func() string {
	h, _ := os.Hostname()
	return h
})

// hostPart returns h with anything but letters, digits, '-' and '.'
// replaced by '_', so that it fits in a file name.
func hostPart(h string) string {
	if h == "" {
		return "localhost"
	}
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '.' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') {
			return r
		}
		return '_'
	}, h)
}

// CreateTemp creates a new file in dir, open for reading and writing with
// mode perm, whose name says that this process writes it (see the top of
// this file). kind names what the file is for ("append"), in letters.
// The file is new (O_EXCL, never through a symbolic link): a name that
// another user of dir planted, a link or a file of theirs, is passed
// over, and the name's random part keeps them from guessing the next.
func CreateTemp(dir, kind string, perm os.FileMode) (*os.File, error) {
	for range 100 {
		f, err := os.OpenFile(TempName(dir, kind), os.O_RDWR|os.O_CREATE|os.O_EXCL|noFollow, perm)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("%s: no free temporary file name", dir)
}

// TempName returns a new path in dir named as CreateTemp names its
// files, for a caller that makes the file otherwise (a hard link) and
// asks again when the name is taken.
func TempName(dir, kind string) string {
	name := fmt.Sprintf("%s.%s.%d.%d%010d.%s.%s", TempPrefix, kind, os.Getpid(), tempCount.Add(1), randomUint32(), thisRun(), thisHost())
	return filepath.Join(dir, name)
}

// tempOwner is what a temporary file's name says of its writer.
type tempOwner struct {
	kind string
	pid  int
	run  string // "" in older names
	host string // "" in older names
}

// parseTemp reads the writer of a CreateTemp file from its name; ok is
// false for any other name.
func parseTemp(name string) (o tempOwner, ok bool) {
	rest, found := strings.CutPrefix(name, TempPrefix+".")
	if !found {
		return o, false
	}
	parts := strings.SplitN(rest, ".", 5)
	if len(parts) != 3 && len(parts) != 5 {
		return o, false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 || !isDigits(parts[2]) {
		return o, false
	}
	o.kind, o.pid = parts[0], pid
	if len(parts) == 5 {
		o.run, o.host = parts[3], parts[4]
	}
	return o, true
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// StaleTemp reports whether the file called name is a CreateTemp file of
// a process of this host that is no longer running. A name without host
// counts as this host's.
func StaleTemp(name string) bool {
	o, ok := parseTemp(name)
	switch {
	case !ok || (o.host != "" && o.host != thisHost()):
		return false
	case o.pid == os.Getpid():
		return o.run != "" && o.run != thisRun()
	default:
		return !processRunning(o.pid)
	}
}

// LockedTemp reports whether the file called name is a temporary file
// that mailgate writes only under the directory's exclusive lock, so
// that, seen under the lock, it is left over from a crash.
func LockedTemp(name string) bool {
	if !strings.HasPrefix(name, TempPrefix) {
		return false
	}
	_, ok := parseTemp(name)
	return !ok
}

// WriteMaxAge bounds the time that a write of a whole small file
// through a temporary file (WriteAtomic, ReplaceUnsynced, WriteCache, the
// storage core's cache) takes from its last byte to its rename: such a
// temporary file untouched for longer was left by a writer that died. A
// write that still renamed its file after that would fail (its file
// gone) and report it, so that nothing it acknowledged is lost.
const WriteMaxAge = 15 * time.Minute

// WriteTemp reports whether the file called name is the temporary file
// of a write of a whole small file, by its name alone: one of
// WriteAtomic and ReplaceUnsynced (CreateTemp kind "atomic"), or one
// that os.CreateTemp named after one of mailgate's files, such as
// ".mailgate-cache.tmp123" (WriteCache) or "..mailgate-cache.tmp123"
// (the storage core's cache). A temporary file of another kind, such as
// a message being received, may take any time and is not one.
func WriteTemp(name string) bool {
	if o, ok := parseTemp(name); ok {
		return o.kind == "atomic"
	}
	if strings.HasPrefix(name, "..") {
		name = name[1:]
	}
	base, suffix, found := cutLast(name, ".tmp")
	return found && strings.HasPrefix(base, ".mailgate-") && isDigits(suffix)
}

// cutLast is strings.Cut at the last sep in s.
func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// AbandonedWriteTemp reports whether the file called name in dir is a
// WriteTemp file untouched for more than WriteMaxAge at now, by its
// modification time: a regular file, never a link. A time in the future
// (clocks of NFS clients differ) is not old.
func AbandonedWriteTemp(dir, name string, now time.Time) bool {
	if !WriteTemp(name) {
		return false
	}
	fi, err := os.Lstat(filepath.Join(dir, name))
	return err == nil && fi.Mode().IsRegular() && now.Sub(fi.ModTime()) > WriteMaxAge
}

// RemoveStaleTemps removes from dir every file among names (the names in
// dir, or a part of them) that StaleTemp reports, or, when locked says
// that the caller holds dir's lock (LockDir, shared or exclusive), that
// LockedTemp or AbandonedWriteTemp reports. It returns the names it
// removed.
func RemoveStaleTemps(dir string, names []string, locked bool) ([]string, error) {
	var stale []string
	now := time.Now()
	for _, n := range names {
		if StaleTemp(n) || (locked && (LockedTemp(n) || AbandonedWriteTemp(dir, n, now))) {
			stale = append(stale, n)
		}
	}
	return RemoveFiles(dir, stale)
}

// RemoveFiles removes the files called names in dir, and returns those
// it removed: one already gone is skipped, and the first other failure
// stops it.
func RemoveFiles(dir string, names []string) ([]string, error) {
	var removed []string
	for _, n := range names {
		err := os.Remove(filepath.Join(dir, n))
		switch {
		case err == nil:
			removed = append(removed, n)
		case !errors.Is(err, fs.ErrNotExist):
			return removed, err
		}
	}
	return removed, nil
}

// lastValidity is the last UIDVALIDITY that UIDValidity returned.
var lastValidity struct {
	sync.Mutex
	v uint32
}

// UIDValidity returns now in seconds, or one more than the value it
// returned last in this process when that is not smaller: the UIDVALIDITY
// of a new mailbox when no allocator is configured, which never repeats
// within the process. It never returns 0.
func UIDValidity(now time.Time) uint32 {
	lastValidity.Lock()
	defer lastValidity.Unlock()
	v := max(uint32(now.Unix()), lastValidity.v+1, 1)
	lastValidity.v = v
	return v
}
