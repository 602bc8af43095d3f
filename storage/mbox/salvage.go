package mbox

import (
	"bytes"
	"os"
	"time"
)

// A rewrite renames a new file over the mailbox. A program that opened
// the old file before the rename and waited for its kernel lock (mutt
// appending, a deliverer that takes no dot lock) then writes into the
// replaced file, and the message would be lost. So the Folder keeps the
// old file open for a while (retiredFor) and looks at it again and again
// (retiredCheck): whatever was appended to it is appended to the mailbox.
//
// A replaced file holds its disk space and page cache while it is open:
// with a large mailbox rewritten every few seconds, a minute of them is
// many gigabytes. So where the system can tell (unusedElsewhere), a file
// that no other process has open for writing, and that has no name left
// to be opened by, is let go at the first check after retiredCheck.

const (
	retiredFor   = time.Minute
	retiredCheck = 2 * time.Second
)

// retiredFile is a file that a rewrite replaced.
type retiredFile struct {
	file  *os.File
	size  int64 // what it held when replaced, or last salvaged
	since time.Time
	until time.Time
}

// retire starts watching a replaced file.
func (f *Folder) retire(file *os.File, size int64) {
	now := time.Now()
	f.retired = append(f.retired, retiredFile{file: file, size: size, since: now, until: now.Add(retiredFor)})
	f.schedule(retiredCheck)
}

// salvage moves into the mailbox what was appended to retired files, and
// stops watching those past their time or that nobody can write into any
// more. While a rewrite holds the lock, moving waits for a later call.
func (f *Folder) salvage() {
	now := time.Now()
	keep := f.retired[:0]
	for _, r := range f.retired {
		// First whether anyone can still write into it; then what they
		// wrote, so that nothing written in between is missed.
		done := !now.Before(r.until) ||
			(now.Sub(r.since) >= retiredCheck && unusedElsewhere(r.file))
		fi, err := r.file.Stat()
		if err == nil && fi.Size() > r.size {
			if f.rewriting {
				// A rewrite holds the lock that rescue takes: next time.
				keep = append(keep, r)
				continue
			}
			if err := f.rescue(&r, fi.Size()); err != nil {
				f.d.log.Warn("mbox: cannot move mail written into a replaced file; will try again",
					"path", f.path, "err", err)
				keep = append(keep, r)
				continue
			}
		}
		if !done {
			keep = append(keep, r)
			continue
		}
		// The last close of a large file without a name frees its
		// blocks, which takes a while: not under the mutex.
		go r.file.Close()
	}
	f.retired = keep
}

// rescue appends r's bytes past r.size to the mailbox, once no program
// holds a kernel lock on r any more.
func (f *Folder) rescue(r *retiredFile, size int64) error {
	l, err := f.d.lock(f.path, true)
	if err != nil {
		return err
	}
	defer l.unlock()
	if f.d.typ != "null" {
		ok, err := kernelLock(r.file, false)
		if err != nil {
			return err
		}
		if !ok {
			return f.errorf("a replaced file is still locked by its writer")
		}
		defer kernelUnlock(r.file)
		if fi, err := r.file.Stat(); err == nil {
			size = fi.Size()
		}
	}
	data := make([]byte, size-r.size)
	if _, err := r.file.ReadAt(data, r.size); err != nil {
		return err
	}
	data = bytes.TrimLeft(data, "\r\n")
	if len(data) == 0 {
		r.size = size
		return nil
	}
	if err := f.refresh(l.file); err != nil {
		return err
	}
	end := f.stamp.size
	head, err := separator(l.file, end)
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(data, []byte("From ")) {
		head = append(head, fromLine(appendSender, f.d.now())...)
	}
	if !bytes.HasSuffix(data, []byte("\n")) {
		data = append(data, '\n')
	}
	if _, err := l.file.WriteAt(append(head, data...), end); err != nil {
		l.file.Truncate(end)
		return err
	}
	if err := l.file.Sync(); err != nil {
		l.file.Truncate(end)
		return err
	}
	f.d.log.Info("mbox: moved mail written into a replaced file into the mailbox",
		"path", f.path, "bytes", len(data))
	r.size = size
	return f.refresh(l.file)
}
