package maildir

import (
	"path/filepath"
	"sync"
	"time"
)

// ownExpiry is how long an expected change notification is waited for.
// inotify delivers within milliseconds; an expectation left over (its
// rename failed, or nobody watches the directory) must not hide a real
// change to the same name for long.
const ownExpiry = 10 * time.Second

// ownChanges records the file names this process is about to create,
// rename or remove in new/ and cur/, so that the change notifications they
// cause can be told from other programs' (see Folder.Foreign). Without it
// every STORE, APPEND and EXPUNGE made the core re-read the whole maildir:
// at 100,000 messages a tenth of a second each, with the mailbox locked.
// It is keyed by full path, so one registry serves every Folder.
// Dropping an expectation is always safe: the notification then counts as
// foreign and costs one rescan.
var ownChanges = struct {
	sync.Mutex
	expect  map[string][]time.Time // path -> when each expectation was made
	sweepAt int                    // map size at which expired entries go
}{expect: make(map[string][]time.Time), sweepAt: minSweep}

// minSweep and maxExpected bound the registry when notifications do not
// consume what is expected (a directory polled rather than watched, a
// driver used without the core): expired entries are swept when the map
// has doubled since the last sweep, so the cost stays linear, and past
// maxExpected live entries everything is dropped.
const minSweep = 4096

var maxExpected = 1 << 20 // a variable for tests

// expectChange notes that this process is about to change each path.
func expectChange(paths ...string) {
	now := time.Now()
	ownChanges.Lock()
	defer ownChanges.Unlock()
	if len(ownChanges.expect) >= ownChanges.sweepAt {
		for p, ts := range ownChanges.expect {
			if now.Sub(ts[len(ts)-1]) > ownExpiry {
				delete(ownChanges.expect, p)
			}
		}
		if len(ownChanges.expect) > maxExpected {
			clear(ownChanges.expect)
		}
		ownChanges.sweepAt = min(max(minSweep, 2*len(ownChanges.expect)), maxExpected+1)
	}
	for _, p := range paths {
		p = filepath.Clean(p)
		ownChanges.expect[p] = append(ownChanges.expect[p], now)
	}
}

// NoteWatched implements storage.WatchNoter: while new/ and cur/ are not
// watched, the Folder's own changes are not recorded as notifications to
// come (expect), since none will come to use the record up, and one left
// over would hide another program's change to the same name for up to
// ownExpiry once the Folder is watched.
func (f *Folder) NoteWatched(watched bool) { f.unwatched.Store(!watched) }

// expect records that f is about to change each path, one of its own
// files, unless nobody watches f (NoteWatched). It reports whether it
// did, so that a change that then fails can drop the records again
// (unexpectChange).
func (f *Folder) expect(paths ...string) (recorded bool) {
	if f.unwatched.Load() {
		return false
	}
	expectChange(paths...)
	return true
}

// unexpectChange drops the latest record of a change to each path: the
// change that expectChange recorded it for failed, so no notification
// will come of it. Left over, it would take another program's change to
// that name within ownExpiry for this process's own: a STORE whose
// rename failed because another program had just renamed the file
// (which relocate then finds and renames again) hid that program's later
// removal of it, and the sessions never heard EXPUNGE. Should a
// notification have used the record up meanwhile (another program's, to
// the same name), an older record goes instead, which is safe.
func unexpectChange(paths ...string) {
	ownChanges.Lock()
	defer ownChanges.Unlock()
	for _, p := range paths {
		p = filepath.Clean(p)
		switch ts := ownChanges.expect[p]; len(ts) {
		case 0:
		case 1:
			delete(ownChanges.expect, p)
		default:
			ownChanges.expect[p] = ts[:len(ts)-1]
		}
	}
}

// Foreign implements storage.OwnChanges: a notification about path is
// ours when this process expected a change to that name within the last
// ownExpiry, and that expectation is used up. It is safe for concurrent
// use.
func (f *Folder) Foreign(path string) bool {
	path = filepath.Clean(path)
	now := time.Now()
	ownChanges.Lock()
	defer ownChanges.Unlock()
	ts := ownChanges.expect[path]
	for len(ts) > 0 && now.Sub(ts[0]) > ownExpiry {
		ts = ts[1:]
	}
	if len(ts) == 0 {
		delete(ownChanges.expect, path)
		return true
	}
	if len(ts) == 1 {
		delete(ownChanges.expect, path)
	} else {
		ownChanges.expect[path] = ts[1:]
	}
	return false
}
