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
// cached under the file's name and trusted while the file's identity
// (inode, modification time and size) stays the same. It lives in memory
// only (a Registry shared by the Folders of one process), never on disk.
type fileMeta struct {
	fileID
	size int64 // RFC822.SIZE: without Status:, with CRLF
	hdr  headerInfo
	gen  uint32 // the inode's generation, 0 where unknown (see sameMessage)
}

// fileID tells a message file from another put under its number later.
// MH programs rename files to other numbers (sortm, folder -pack) and
// reuse a removed message's number (rmm, then inc), so a number alone
// proves nothing: another inode is another file, and a file changed in
// place (nmh's anno adds header fields) has another size or time.
type fileID struct {
	dev, ino uint64 // zero where the platform does not tell
	mtime    int64  // INTERNALDATE, Unix nanoseconds
	fsize    int64  // the size on disk
}

// idOf returns the identity of the file fi describes.
func idOf(fi fs.FileInfo) fileID {
	dev, ino, _ := fsutil.FileIDs(fi)
	return fileID{dev: dev, ino: ino, mtime: fi.ModTime().UnixNano(), fsize: fi.Size()}
}

// sameFile reports whether id and o are the same file, perhaps changed
// in place since: not another file renamed or written under its name.
func (id fileID) sameFile(o fileID) bool {
	return id.dev == o.dev && id.ino == o.ino
}

// candidate is one numbered file that a scan found.
type candidate struct {
	num  uint32 // the file's number, which is the message's UID
	name string
	meta fileMeta
	skip bool // gone, or not a regular file
	// stuck says that another program put the file under a number that
	// named another message, and this user may not rename it (see
	// markStuck).
	stuck bool
	err   error // from reading the file
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
	if m, ok := known[c.name]; ok && err == nil && idOf(fi) == m.fileID {
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
	c.meta = fileMeta{fileID: idOf(fi), size: size, hdr: hdr, gen: fsutil.Generation(file)}
}
