package maildir

import (
	"errors"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// fileMeta is what a scan learns from a file beyond its name. A file's
// base name never changes while its content stays the same, so it is the
// key under which fileMeta is cached.
type fileMeta struct {
	mtime int64 // INTERNALDATE, Unix nanoseconds
	size  int64 // RFC822.SIZE
}

// readMetas runs readMeta on cands[i] for each i in idx, on several
// goroutines when there are many: a cold scan of a large maildir is
// bound by file-system latency.
func (f *Folder) readMetas(cands []candidate, idx []int) {
	if len(idx) == 0 {
		return
	}
	st := f.openStatter()
	defer st.close()
	workers := min(8, 2*runtime.GOMAXPROCS(0), len(idx)/256)
	if workers <= 1 {
		for _, i := range idx {
			f.readMeta(st, &cands[i])
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
					f.readMeta(st, &cands[i])
				}
			}
		})
	}
	wg.Wait()
}

// readMeta learns a file's modification time and CRLF size: from its "W="
// field and one lstat, or for other programs' files by reading it once.
// It marks the candidate skip when it is not a regular file (a symbolic
// link is never followed, a FIFO never waited on), and sets err when it
// cannot be read.
func (f *Folder) readMeta(st *dirStatter, c *candidate) {
	if w := c.fn.vsize(); w >= 0 {
		mtime, regular, err := st.lstat(c.inNew, c.name)
		switch {
		case err != nil:
			c.err = err
		case !regular:
			c.skip = true
			f.skipped.Note(f.log, f.path, f.sub(c.inNew)+string(os.PathSeparator)+c.name, fsutil.ErrNotRegular)
		default:
			c.meta = fileMeta{mtime: mtime, size: w}
		}
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
