package mh

import (
	"errors"
	"io/fs"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// fileMeta is what a scan learns from reading a message file. It is
// cached under the file's name and trusted while the file's modification
// time and size stay the same.
type fileMeta struct {
	mtime int64 // INTERNALDATE, Unix nanoseconds
	fsize int64 // the size on disk
	size  int64 // RFC822.SIZE: without Status:, with CRLF
	hdr   headerInfo
}

// candidate is one numbered file that a scan found.
type candidate struct {
	num  uint32
	name string
	meta fileMeta
	skip bool  // gone, or not a regular file
	err  error // from reading the file
}

// readMetas learns every candidate's fileMeta: from one stat when known
// holds it, else by reading the file. A cold scan of a large folder is
// bound by file-system latency, so many files are read on several
// goroutines.
func readMetas(dir string, cands []candidate, known map[string]fileMeta, skipped func(path string, err error)) {
	workers := min(8, 2*runtime.GOMAXPROCS(0), len(cands)/256)
	if workers <= 1 {
		for i := range cands {
			readMeta(dir, &cands[i], known, skipped)
		}
		return
	}
	var wg sync.WaitGroup
	var next atomic.Int64
	for range workers {
		wg.Go(func() {
			for {
				k := int(next.Add(64)) - 64
				if k >= len(cands) {
					return
				}
				for i := k; i < min(k+64, len(cands)); i++ {
					readMeta(dir, &cands[i], known, skipped)
				}
			}
		})
	}
	wg.Wait()
}

// readMeta fills in c.meta. A file that is gone or not a regular file
// (a symbolic link is never followed, a FIFO never waited on) is marked
// skip; another error is kept in c.err. skipped hears of files that are
// not regular files.
func readMeta(dir string, c *candidate, known map[string]fileMeta, skipped func(path string, err error)) {
	path := dir + string(os.PathSeparator) + c.name
	fi, err := os.Lstat(path)
	if err == nil && !fi.Mode().IsRegular() {
		c.skip = true
		skipped(path, fsutil.ErrNotRegular)
		return
	}
	if m, ok := known[c.name]; ok && err == nil && fi.ModTime().UnixNano() == m.mtime && fi.Size() == m.fsize {
		c.meta = m
		return
	}
	file, fi, err := fsutil.OpenRegular(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.skip = true
		return
	case errors.Is(err, fsutil.ErrNotRegular):
		c.skip = true
		skipped(path, err)
		return
	case err != nil:
		c.err = err
		return
	}
	defer file.Close()
	size, hdr, err := measure(file)
	if err != nil {
		c.err = err
		return
	}
	c.meta = fileMeta{mtime: fi.ModTime().UnixNano(), fsize: fi.Size(), size: size, hdr: hdr}
}
