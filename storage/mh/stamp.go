package mh

import (
	"os"
	"path/filepath"
	"time"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// stableAge is how old the folder's files' modification times must be,
// when a scan reads them, for a later equal time to prove that nothing
// changed: file systems update them with a coarse clock.
const stableAge = 2 * time.Second

// fileState identifies one state of a file or directory; the zero value
// stands for one that does not exist.
type fileState struct {
	ino          uint64
	size         int64
	mtime, ctime int64 // Unix nanoseconds; ctime 0 where the platform does not say
}

// folderStamp holds the states of what a scan reads: the folder
// directory (a message added, removed or renamed), .mh_sequences and
// .mu-prop (which may be rewritten in place).
type folderStamp struct {
	dir, seq, props fileState
}

func stateOf(path string) fileState {
	fi, err := os.Lstat(path)
	if err != nil {
		return fileState{}
	}
	_, ino, ctime := fsutil.FileIDs(fi)
	return fileState{ino: ino, size: fi.Size(), mtime: fi.ModTime().UnixNano(), ctime: ctime}
}

// readStamp reads the folder's state.
func (f *Folder) readStamp() folderStamp {
	return folderStamp{
		dir:   stateOf(f.path),
		seq:   stateOf(filepath.Join(f.path, seqFile)),
		props: stateOf(filepath.Join(f.path, propsFile)),
	}
}

// stableAt reports whether the modification times were old enough at t
// for an equal stamp later to prove that nothing changed since t.
func (s folderStamp) stableAt(t time.Time) bool {
	return t.Sub(time.Unix(0, max(s.dir.mtime, s.seq.mtime, s.props.mtime))) > stableAge
}

// Unchanged implements storage.Unchanger: the folder is in the state the
// last scan saw, with times old enough to prove it. The core asks it
// instead of watching the folder while nobody waits for news of it, as
// for a maildir: adding a watch on a directory of many files costs the
// kernel time that grows with it.
func (f *Folder) Unchanged() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stampValid && !f.closed && f.readStamp() == f.stamp
}
