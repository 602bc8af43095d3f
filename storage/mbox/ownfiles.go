package mbox

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// Beside an mbox file NAME, mailgate keeps hidden files of its own:
//
//	.NAME.mgidx                       the sidecar index (index.go)
//	.NAME.mgrecent                    \Recent claims across processes (recent.go)
//	.NAME.mgcache                     the storage core's cache
//	.NAME.mgmodseq                    the storage core's modseqs (CONDSTORE)
//	.NAME.mgfts, .NAME.mgfts.seg      a session process's full-text index (storage.FullText.Beside),
//	                                  written through .mailgate-tmp.fts*.PID... (fsutil.CreateTemp)
//	.NAME.mgappend                    an APPEND under way, or none (torn.go)
//	.NAME.mgidx.tmpN                  an index being written (fsutil.WriteCache)
//	.NAME.mgtmp.PID.HOST.N            a rewrite's new file (rewrite.go)
//	.NAME.mgspool.PID.HOST.N          a staged APPEND (stage.go)
//	.NAME.mgflags.PID.HOST.N          flag changes not yet in the file (journal.go)
//
// PID and HOST (a checksum of the host name) tell whose a file is, so
// that a file left by a process that died (kill -9, a crash) is known as
// such: temporary files and spools are removed when the mailbox is
// opened, journals are taken over and replayed (claimJournals). A file of
// a live process is never touched; in this process, a file counts as
// live while its creator has it registered (liveFiles), so that a process
// that comes back with the pid of its dead predecessor (PID 1 in a
// container) still cleans up after it. N numbers the files of a process
// in the order it makes them.
//
// A spool in the system's temporary directory (tmpspool.go) has no name,
// or one of the same kind, .mailgate-mbox-spool-PID.HOST.N, removed as
// soon as it is made.

// Kinds of own files.
const (
	kindTemp    = "tmp"
	kindSpool   = "spool"
	kindJournal = "flags"
)

// indexTempAge is the age past which an index temporary is left over: an
// index is written in well under a second.
const indexTempAge = time.Hour

// liveFiles holds the names of the own files this process has made and
// not yet removed, whatever Driver made them.
var liveFiles sync.Map

// ownSeq numbers the own files of this process.
var ownSeq atomic.Uint64

// hostTag identifies this host in own file names.
var hostTag = sync.OnceValue(func() string {
	return fmt.Sprintf("%08x", crc32.ChecksumIEEE([]byte(fsutil.Hostname())))
})

// ownPrefix starts the names of the own files of kind beside path.
func ownPrefix(path, kind string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".mg"+kind+".")
}

// createOwn creates a new own file of kind beside path, never following a
// symbolic link or opening one that exists (O_EXCL), and registers it as
// live until removeOwn. flag adds to O_RDWR|O_CREATE|O_EXCL.
func createOwn(path, kind string, flag int, perm os.FileMode) (*os.File, error) {
	return createOwnAt(ownPrefix(path, kind), flag, perm)
}

// createOwnAt is createOwn of the file named prefix + "PID.HOST.N".
func createOwnAt(prefix string, flag int, perm os.FileMode) (*os.File, error) {
	for try := 0; ; try++ {
		name := prefix + strconv.Itoa(os.Getpid()) + "." + hostTag() + "." +
			strconv.FormatUint(ownSeq.Add(1), 10)
		liveFiles.Store(name, true)
		file, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL|noFollow|flag, perm)
		if err == nil {
			return file, nil
		}
		liveFiles.Delete(name)
		// A name of a dead predecessor with our pid, or one that another
		// user made in a directory all may write (a sticky spool, the
		// temporary directory) to be in our way: the names are easy to
		// foresee, so the next try is at a number nobody can.
		if !errors.Is(err, fs.ErrExist) || try > 100 {
			return nil, err
		}
		ownSeq.Add(rand.Uint64N(1 << 32))
	}
}

// removeOwn removes an own file and forgets it.
func removeOwn(name string) error {
	err := os.Remove(name)
	liveFiles.Delete(name)
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	return err
}

// ownName is what the name of an own file says.
type ownName struct {
	name string
	kind string
	pid  int
	host string // "" in names written before hosts were recorded
	seq  uint64
}

// parseOwn reads the name of an own file of kind beside path.
func parseOwn(path, kind, name string) (ownName, bool) {
	return parseOwnAt(ownPrefix(path, kind), name)
}

// parseOwnAt reads the name of an own file that starts with prefix.
func parseOwnAt(prefix, name string) (ownName, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return ownName{}, false
	}
	parts := strings.Split(rest, ".")
	pid, err := strconv.Atoi(parts[0])
	if err != nil || pid <= 0 || len(parts) > 3 {
		return ownName{}, false
	}
	o := ownName{name: name, pid: pid}
	if len(parts) > 1 {
		o.host = parts[1]
	}
	if len(parts) > 2 {
		if o.seq, err = strconv.ParseUint(parts[2], 10, 64); err != nil {
			return ownName{}, false
		}
	}
	return o, true
}

// dead reports whether the process that made the file is gone: a process
// of this host whose pid no longer runs, or this process when it has not
// the file registered.
func (o ownName) dead() bool {
	if o.host != "" && o.host != hostTag() {
		return false // another host's: nothing to tell
	}
	if o.pid == os.Getpid() {
		_, live := liveFiles.Load(o.name)
		return !live
	}
	return !pidAlive(o.pid)
}

// ownFiles lists the own files beside path of the given kinds, by pid
// and in the order their process made them, reading the directory once.
func ownFiles(path string, kinds ...string) []ownName {
	return ownAmong(namesBeside(path), path, kinds...)
}

// namesBeside returns the names of the hidden files beside path.
func namesBeside(path string) []string {
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return nil
	}
	names, _ := dir.Readdirnames(-1)
	dir.Close()
	start := "." + filepath.Base(path) + "."
	keep := names[:0]
	for _, n := range names {
		if strings.HasPrefix(n, start) {
			keep = append(keep, n)
		}
	}
	return keep
}

// ownAmong is ownFiles among names (namesBeside's).
func ownAmong(names []string, path string, kinds ...string) []ownName {
	start := "." + filepath.Base(path) + ".mg"
	var list []ownName
	for _, n := range names {
		if !strings.HasPrefix(n, start) {
			continue
		}
		for _, kind := range kinds {
			if o, ok := parseOwn(path, kind, filepath.Join(filepath.Dir(path), n)); ok {
				o.kind = kind
				list = append(list, o)
				break
			}
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].pid != list[j].pid {
			return list[i].pid < list[j].pid
		}
		return list[i].seq < list[j].seq
	})
	return list
}

// removeStale removes the temporary files and spools beside path that
// dead processes left (see ownName.dead), and index temporaries older
// than indexTempAge. Journals are not removed: they hold flag changes
// that claimJournals replays.
func (d *Driver) removeStale(path string) {
	names := namesBeside(path)
	for _, o := range ownAmong(names, path, kindTemp, kindSpool) {
		if !o.dead() {
			continue
		}
		if err := os.Remove(o.name); err == nil {
			d.log.Info("mbox: removed a file a dead process left", "path", o.name, "pid", o.pid)
		}
	}
	idxTemp := filepath.Base(indexPath(path)) + ".tmp"
	for _, n := range names {
		if !strings.HasPrefix(n, idxTemp) {
			continue
		}
		name := filepath.Join(filepath.Dir(path), n)
		if fi, err := os.Lstat(name); err == nil && time.Since(fi.ModTime()) > indexTempAge {
			os.Remove(name)
		}
	}
	// The files that dot locks are linked from (createDotlock), left by
	// processes that died between creating and removing them.
	own := filepath.Base(dotlockOwnPrefix(path + ".lock"))
	for _, n := range names {
		rest, ok := strings.CutPrefix(n, own)
		if !ok {
			continue
		}
		pid, _, _ := strings.Cut(rest, ".")
		if p, err := strconv.Atoi(pid); err == nil && p != os.Getpid() && !pidAlive(p) {
			os.Remove(filepath.Join(filepath.Dir(path), n))
		}
	}
}

// errNotRegular means that something other than a regular file is where
// an mbox file or one of its own files should be.
var errNotRegular = errors.New("not a regular file")

// openRegular opens the file at path with flag, never following a
// symbolic link and never waiting on a FIFO, and fails unless it is a
// regular file: a link or a device named like a mailbox is refused, with
// an error that says what is there.
func openRegular(path string, flag int) (*os.File, error) {
	file, err := os.OpenFile(path, flag|noFollow|nonBlock, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%w: %s is a symbolic link, which mailgate does not follow", errNotRegular, path)
		}
		if errors.Is(err, syscall.ENXIO) {
			return nil, fmt.Errorf("%w: %s is a FIFO or a device", errNotRegular, path)
		}
		return nil, err
	}
	fi, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		file.Close()
		return nil, fmt.Errorf("%w: %s is a %s", errNotRegular, path, typeName(fi.Mode()))
	}
	return file, nil
}

// typeName says what kind of file mode describes.
func typeName(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeSymlink != 0:
		return "symbolic link"
	case mode&fs.ModeNamedPipe != 0:
		return "FIFO"
	case mode.IsDir():
		return "directory"
	case mode&fs.ModeSocket != 0:
		return "socket"
	case mode&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// readRegular reads a whole file that openRegular accepts.
func readRegular(path string) ([]byte, error) {
	file, err := openRegular(path, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return nil, err
	}
	b := make([]byte, fi.Size())
	n, err := file.ReadAt(b, 0)
	if n == len(b) {
		err = nil
	}
	return b[:n], err
}
