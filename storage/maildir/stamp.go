package maildir

import (
	"time"
)

// stableAge is how old a directory's modification time must be, when Scan
// reads the directory, for a later equal time to prove that nothing in it
// changed: file systems update it with a coarse clock.
const stableAge = 2 * time.Second

// dirState identifies one state of a directory. Adding, removing or
// renaming a file in it sets its modification and change times; a program
// may set the modification time back (rsync, a restore from backup), but
// not the change time; a directory made anew has another inode number.
type dirState struct {
	ino   uint64
	mtime int64 // Unix nanoseconds
	ctime int64 // Unix nanoseconds; 0 where the platform does not say
}

// dirStamp holds the states of new/ and cur/ at a scan.
type dirStamp struct {
	new, cur dirState
	valid    bool // the times were old enough to trust
}

// same reports whether s and o saw the same states of new/ and cur/.
func (s dirStamp) same(o dirStamp) bool {
	return s.new == o.new && s.cur == o.cur
}

// stableAt reports whether the directories' modification times were old
// enough at t for an equal time later to prove that nothing changed since
// t. Only the modification times count: a change time differs whenever
// they do, and checking it for equality is then only the stricter.
func (s dirStamp) stableAt(t time.Time) bool {
	return t.Sub(time.Unix(0, max(s.new.mtime, s.cur.mtime))) > stableAge
}

// readStamp reads the states of new/ and cur/.
func (f *Folder) readStamp() (dirStamp, error) {
	n, err := statDir(f.newDir)
	if err != nil {
		return dirStamp{}, err
	}
	c, err := statDir(f.curDir)
	if err != nil {
		return dirStamp{}, err
	}
	return dirStamp{new: n, cur: c}, nil
}
