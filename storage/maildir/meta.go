package maildir

import (
	"errors"
	"math"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// fileMeta is what a scan learns from a file beyond its name. A file's
// base name never changes while its content stays the same, so it is the
// key under which fileMeta is cached.
type fileMeta struct {
	mtime int64 // INTERNALDATE, Unix nanoseconds, or unknownDate
	size  int64 // RFC822.SIZE
}

// unknownDate in fileMeta.mtime says that the file's date has not been
// learnt yet. A scan learns the size of a file whose name carries W=
// without a system call, and its date (the file's modification time,
// one lstat) only when a command asks for it (Folder.InternalDates), as
// Dovecot's first SELECT stats nothing.
const unknownDate = math.MinInt64

// date returns the internal date m holds, or the zero Time when it is
// unknown.
func (m fileMeta) date() time.Time {
	if m.mtime == unknownDate {
		return time.Time{}
	}
	return time.Unix(0, m.mtime)
}

// readMetas runs readMeta on cands[i] for each i in idx, on several
// goroutines when there are many: a cold scan of a large maildir is
// bound by file-system latency.
func (f *Folder) readMetas(cands []candidate, idx []int) {
	if len(idx) == 0 {
		return
	}
	workers := min(8, 2*runtime.GOMAXPROCS(0), len(idx)/256)
	if workers <= 1 {
		for _, i := range idx {
			f.readMeta(&cands[i])
		}
		return
	}
	var wg sync.WaitGroup
	var next atomic.Int64
	for range workers {
		wg.Go(func() {
			for {
				k := int(next.Add(64)) - 64
				if k >= len(idx) {
					return
				}
				for _, i := range idx[k:min(k+64, len(idx))] {
					f.readMeta(&cands[i])
				}
			}
		})
	}
	wg.Wait()
}

// readMeta learns a file's CRLF size: from its "W=" field, or for other
// programs' files by reading it once, which tells its modification time
// too. A file with W= is not touched (its date is learnt when asked, see
// unknownDate; the directory listing told that it is a regular file). It
// marks the candidate skip when it is not a regular file (a symbolic
// link is never followed, a FIFO never waited on), and sets err when it
// cannot be read.
func (f *Folder) readMeta(c *candidate) {
	if w := c.fn.vsize(); w >= 0 {
		c.meta = fileMeta{mtime: unknownDate, size: w}
		return
	}
	path := f.sub(c.inNew) + string(os.PathSeparator) + c.name
	file, fi, err := fsutil.OpenRegular(path)
	if errors.Is(err, fsutil.ErrNotRegular) {
		c.skip = true
		f.skipped.Note(f.log, f.path, path, err)
		return
	}
	if err != nil {
		c.err = err
		return
	}
	defer file.Close()
	size, err := storage.CRLFSize(file)
	if err != nil {
		c.err = err
		return
	}
	c.meta = fileMeta{mtime: fi.ModTime().UnixNano(), size: size}
}

// readNames lists a directory without sorting it or statting its entries.
func readNames(dir string) ([]string, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}

// InternalDates implements storage.Dater: it sets out[k] to the date of
// message uids[k], learning with one lstat each the dates that no scan
// learnt (see unknownDate), and keeps them for later scans and the index
// file. A message that is gone, or whose file is no longer a regular
// file, gets the zero Time.
func (f *Folder) InternalDates(uids []uint32, out []time.Time) error {
	if err := f.lock(); err != nil {
		return err
	}
	defer f.mu.Unlock()
	var st *dirStatter
	defer func() {
		if st != nil {
			st.close()
		}
	}()
	for k, uid := range uids {
		out[k] = time.Time{}
		e := f.find(uid)
		if e == nil {
			continue
		}
		if e.meta.mtime == unknownDate {
			if st == nil {
				st = f.openStatter()
			}
			var mtime int64
			err := f.onFile(uid, func(e *entry) error {
				t, regular, err := st.lstat(e.inNew, e.name)
				if err == nil && !regular {
					return fsutil.ErrNotRegular
				}
				mtime = t
				return err
			})
			if errors.Is(err, storage.ErrNoMessage) || errors.Is(err, fsutil.ErrNotRegular) {
				continue
			}
			if err != nil {
				return err
			}
			if e = f.find(uid); e == nil {
				continue
			}
			e.meta.mtime = mtime
			if f.learned == nil {
				f.learned = make(map[string]int64)
			}
			f.learned[parseName(e.name).base] = mtime
			f.datesUnsaved++
			f.last = nil // the snapshot kept for unchanged lacks it
		}
		out[k] = e.meta.date()
	}
	return nil
}
