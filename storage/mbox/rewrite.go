package mbox

import (
	"bufio"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// rewrite writes the mailbox anew without the messages in gone, with the
// pending flag changes, an X-UID in every message and X-IMAPbase in the
// first: into a temporary file in the same directory, synced, then
// renamed over the mailbox, and the directory synced. A crash at any
// point leaves the old file or the new one, whole. Messages whose fields
// need no change are copied as byte ranges (copy_file_range where the
// system has it). The file is read again first if it changed meanwhile.
//
// f.mu is held on entry and on return, but not while the new file is
// written and synced, which for a large mailbox takes long: meanwhile
// Scan, Open and flag changes go on from the state in memory and the old
// file, which the write lock keeps as it is. Whatever else needs the file
// lock waits for the rewrite (waitRewrite). Flag changes made meanwhile
// stay pending for the next rewrite.
//
// A background rewrite (the timer's: nobody waits for it) copies at a
// lower CPU priority (inBackground), so that it slows the sessions
// beside it less.
func (f *Folder) rewrite(gone map[uint32]bool, background bool) error {
	if err := f.waitRewrite(); err != nil {
		return err
	}
	l, err := f.d.lock(f.path, true)
	if err != nil {
		return err
	}
	defer l.unlock()
	validity := f.validity
	if err := f.refresh(l.file); err != nil {
		return err
	}
	if len(gone) > 0 && f.validity != validity {
		// The UIDs to expunge name other messages now.
		return f.errorf("rewrite: %w (the mailbox has a new UIDVALIDITY)", storage.ErrNoMessage)
	}
	f.claimJournals()
	needed := f.mustRewrite && len(f.msgs) > 0
	for i := range f.msgs {
		m := &f.msgs[i]
		if gone[m.uid] || f.flagsOf(m) != (want{bits: m.bits, kw: m.kw}) {
			needed = true
			break
		}
	}
	if !needed {
		clear(f.pending)
		f.trimJournal(0)
		return nil
	}
	fi, err := l.file.Stat()
	if err != nil {
		return f.errorf("rewrite: %w", err)
	}
	f.d.removeStale(f.path)
	p := f.plan(gone)
	var mark int64 // the journal's records up to mark are in p
	if f.jnl != nil {
		mark = f.jnl.size
	}

	f.rewriting = true
	hook := f.duringWrite
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	began := time.Now()
	var tmp *os.File
	var res rewriteResult
	if background {
		inBackground(func() { tmp, res, err = p.writeTemp(f.path, l.file, fi) })
	} else {
		tmp, res, err = p.writeTemp(f.path, l.file, fi)
	}
	f.mu.Lock()
	f.rewriting = false
	f.idle.Broadcast()

	ok := false
	defer func() {
		if !ok && tmp != nil {
			tmp.Close()
			removeOwn(tmp.Name())
		}
	}()
	if err == nil && f.beforeRename != nil {
		err = f.beforeRename()
	}
	var old *os.File
	if err == nil {
		// Kept to notice what other programs, which opened the file before
		// the rename, write into it after (see salvage).
		old, _ = openRegular(f.path, os.O_RDONLY)
		err = os.Rename(tmp.Name(), f.path)
	}
	if err != nil {
		if old != nil {
			old.Close()
		}
		return f.errorf("rewrite: %w", err)
	}
	ok = true
	liveFiles.Delete(tmp.Name())
	defer tmp.Close()
	if old != nil {
		f.retire(old, fi.Size())
	}
	nfi, err := tmp.Stat()
	if err != nil {
		return f.errorf("rewrite: %w", err)
	}
	sum, err := tailSum(tmp, nfi.Size())
	if err != nil {
		return f.errorf("rewrite: %w", err)
	}
	f.msgs, f.base, f.stamp, f.tailSum = res.msgs, res.base, stampOf(nfi), sum
	f.mustRewrite = false
	f.rewrites++
	f.dropWritten()

	// Syncing the directory and writing the index can take long on a
	// busy disk: not under the mutex either. The file lock is still
	// held, so rewriting stays set.
	idx := f.encodeIndex()
	f.rewriting = true
	f.mu.Unlock()
	serr := fsutil.SyncDir(filepath.Dir(f.path))
	iok := f.saveIndex(idx)
	f.mu.Lock()
	f.rewriting = false
	f.idle.Broadcast()
	f.dropWritten()
	if serr != nil {
		f.d.log.Warn("mbox: syncing the directory after a rewrite", "path", f.path, "err", serr)
	} else {
		f.trimJournal(mark)
	}
	f.indexStale = !iok
	f.lastRewrite = time.Since(began)
	f.d.log.Debug("mbox: rewrote the mailbox", "path", f.path, "bytes", nfi.Size(), "took", f.lastRewrite)
	return nil
}

// dropWritten forgets the pending changes that the file holds now.
// Changes made while a rewrite wrote it, to other flags, stay.
func (f *Folder) dropWritten() {
	for uid, w := range f.pending {
		if i := f.find(uid); i < 0 || w == (want{bits: f.msgs[i].bits, kw: f.msgs[i].kw}) {
			delete(f.pending, uid)
		}
	}
}

// waitRewrite waits until no rewrite is writing the file (the mutex is
// released meanwhile), so that the caller may take the file lock, which
// the rewrite holds. f.mu is held; it fails once the Folder is closed.
func (f *Folder) waitRewrite() error {
	if f.idle.L == nil {
		f.idle.L = &f.mu
	}
	for f.rewriting {
		f.idle.Wait()
	}
	if f.closed {
		return f.errorf("%w", errClosed)
	}
	return nil
}

// lockFile waits for a rewrite under way, then locks the file.
func (f *Folder) lockFile(write bool) (*lockedFile, error) {
	if err := f.waitRewrite(); err != nil {
		return nil, err
	}
	return f.d.lock(f.path, write)
}

// rewritePlan is what a rewrite writes, taken from the Folder under its
// mutex so that the rewrite can write without it.
type rewritePlan struct {
	msgs     []msg           // not changed while rewriting is set
	flags    map[uint32]want // the flags to write, where they differ from the file's
	kwSets   [][]string      // the keyword sets, by number
	validity uint32
	uidNext  uint32
	gone     map[uint32]bool
}

// rewriteResult is the new file's layout.
type rewriteResult struct {
	msgs []msg
	base baseLine
}

// plan takes what a rewrite needs; f.mu is held.
func (f *Folder) plan(gone map[uint32]bool) *rewritePlan {
	p := &rewritePlan{msgs: f.msgs, kwSets: f.kw.sets, validity: f.validity, uidNext: f.uidNext, gone: gone,
		flags: make(map[uint32]want, len(f.pending))}
	for uid, w := range f.pending {
		p.flags[uid] = w
	}
	return p
}

// flagsOf returns the flags m gets in the new file.
func (p *rewritePlan) flagsOf(m *msg) want {
	if w, ok := p.flags[m.uid]; ok {
		return w
	}
	return want{bits: m.bits, kw: m.kw}
}

// kwSet returns the keywords of set number id.
func (p *rewritePlan) kwSet(id uint32) []string {
	if id == 0 || int(id) >= len(p.kwSets) {
		return nil
	}
	return p.kwSets[id]
}

// writeTemp writes the new mailbox of the mbox at path into a new
// temporary file beside it, from src (fi), and syncs it. It runs without
// f.mu: it reads only p and what never changes in f.
func (p *rewritePlan) writeTemp(path string, src *os.File, fi os.FileInfo) (*os.File, rewriteResult, error) {
	var res rewriteResult
	tmp, err := createOwn(path, kindTemp, 0, fi.Mode().Perm())
	if err != nil {
		if unwritable(err) {
			return nil, res, fmt.Errorf("%w (mailgate needs write access to %s to rewrite the mailbox safely)", err, filepath.Dir(path))
		}
		return nil, res, err
	}
	if err := keepOwner(tmp, fi); err != nil {
		return tmp, res, err
	}
	if err := tmp.Chmod(fi.Mode().Perm()); err != nil { // without the umask
		return tmp, res, err
	}
	res.msgs, res.base, err = p.writeAll(tmp, src, fi.Size())
	if err == nil {
		err = tmp.Sync()
	}
	return tmp, res, err
}

// keepOwner gives tmp the owner and group of the file fi describes, as
// far as this process may.
func keepOwner(tmp *os.File, fi os.FileInfo) error {
	uid, gid, ok := fileOwner(fi)
	if !ok {
		return nil
	}
	if os.Geteuid() == 0 {
		return tmp.Chown(uid, gid)
	}
	if own, err := tmp.Stat(); err == nil {
		if _, g, _ := fileOwner(own); g != gid {
			tmp.Chown(-1, gid) // allowed when we are in the group
		}
	}
	return nil
}

// rewriter copies one file into another.
type rewriter struct {
	src, dst *os.File
	w        *bufio.Writer
	pos      int64 // bytes written to dst
	run      [2]int64
	hdr      *bufio.Reader
}

// copyRaw copies src[from:to] to dst, joining adjacent ranges.
func (rw *rewriter) copyRaw(from, to int64) error {
	if rw.run[1] == from && rw.run[1] > rw.run[0] {
		rw.run[1] = to
	} else {
		if err := rw.flushRun(); err != nil {
			return err
		}
		rw.run = [2]int64{from, to}
	}
	rw.pos += to - from
	return nil
}

func (rw *rewriter) flushRun() error {
	from, to := rw.run[0], rw.run[1]
	rw.run = [2]int64{}
	if to <= from {
		return nil
	}
	if err := rw.w.Flush(); err != nil {
		return err
	}
	if _, err := rw.src.Seek(from, io.SeekStart); err != nil {
		return err
	}
	n, err := rw.dst.ReadFrom(io.LimitReader(rw.src, to-from))
	if err == nil && n != to-from {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// write writes generated bytes.
func (rw *rewriter) write(b []byte) error {
	if err := rw.flushRun(); err != nil {
		return err
	}
	_, err := rw.w.Write(b)
	rw.pos += int64(len(b))
	return err
}

// writeAll writes the new mailbox to tmp and returns its messages.
func (p *rewritePlan) writeAll(tmp, src *os.File, size int64) ([]msg, baseLine, error) {
	rw := &rewriter{src: src, dst: tmp, w: bufio.NewWriterSize(tmp, 256*1024),
		hdr: bufio.NewReaderSize(nil, 64*1024)}
	base := baseLine{off: -1}
	pre := size
	if len(p.msgs) > 0 {
		pre = p.msgs[0].off
	}
	if err := rw.copyRaw(0, pre); err != nil {
		return nil, base, err
	}
	out := make([]msg, 0, max(len(p.msgs)-len(p.gone), 0))
	for i := range p.msgs {
		m := p.msgs[i]
		if p.gone[m.uid] {
			continue
		}
		next := size
		if i+1 < len(p.msgs) {
			next = p.msgs[i+1].off
		}
		w := p.flagsOf(&m)
		first := len(out) == 0
		if !first && m.inFile && w == (want{bits: m.bits, kw: m.kw}) {
			delta := rw.pos - m.off
			m.off, m.start, m.end = m.off+delta, m.start+delta, m.end+delta
			if err := rw.copyRaw(m.off-delta, next); err != nil {
				return nil, base, err
			}
			out = append(out, m)
			continue
		}
		nm, b, err := p.writeHeaders(rw, m, w, next, first)
		if err != nil {
			return nil, base, err
		}
		if first {
			base = b
		}
		out = append(out, nm)
	}
	if err := rw.flushRun(); err != nil {
		return nil, base, err
	}
	return out, base, rw.w.Flush()
}

// writeHeaders writes message m with new IMAP fields: its From_ line, its
// header fields but ours, ours (X-IMAPbase when first, Status, X-Status,
// X-Keywords, X-UID), and the rest as it is.
func (p *rewritePlan) writeHeaders(rw *rewriter, m msg, w want, next int64, first bool) (msg, baseLine, error) {
	base := baseLine{off: -1}
	nm := m
	nm.off = rw.pos
	from := make([]byte, m.start-m.off)
	if _, err := rw.src.ReadAt(from, m.off); err != nil {
		return nm, base, err
	}
	if from[len(from)-1] != '\n' {
		from = append(from, '\n') // a From_ line at the end of the file
	}
	if err := rw.write(from); err != nil {
		return nm, base, err
	}
	nm.start = rw.pos
	rw.hdr.Reset(io.NewSectionReader(rw.src, m.start, m.end-m.start))
	crc := crc32.Update(0, fsutil.Castagnoli(), from)
	hashed := int64(len(from))
	consumed, hiding, hidden := int64(0), false, false
	for {
		line, rerr := rw.hdr.ReadBytes('\n')
		if len(line) == 0 || isBlank(line) {
			break
		}
		if line[0] != ' ' && line[0] != '\t' {
			fld := hiddenField(line)
			hidden, hiding = fld != fieldNone, fld.ours()
		}
		consumed += int64(len(line))
		if n := len(line); line[n-1] != '\n' && !hiding {
			// The last line of the file, without a line ending.
			if line[0] != ' ' && line[0] != '\t' {
				// Ours go before it, and it is copied as it is.
				if !hidden {
					crc = crc32.Update(crc, fsutil.Castagnoli(), line)
					hashed += int64(len(line))
				}
				consumed -= int64(n)
				break
			}
			// A continuation line would continue our last field: it gets
			// a line ending, and ours follow.
			if !hidden {
				nm.size += 2
				if line[n-1] == '\r' {
					nm.size--
				}
			}
			line = append(line, '\n')
		}
		if hiding {
			continue
		}
		if err := rw.write(line); err != nil {
			return nm, base, err
		}
		if !hidden {
			crc = crc32.Update(crc, fsutil.Castagnoli(), line)
			hashed += int64(len(line))
		}
		if rerr != nil {
			break
		}
	}
	nm.hash = uint64(crc)<<32 | uint64(uint32(hashed))
	var ours []byte
	if first {
		base.off = rw.pos
		ours = appendBase(ours, p.validity, p.uidNext)
		base.n, base.validity, base.next = len(ours), p.validity, p.uidNext
	}
	ours = appendStatus(ours, w.bits, p.kwSet(w.kw))
	ours = appendUID(ours, m.uid)
	if err := rw.write(ours); err != nil {
		return nm, base, err
	}
	rest := m.start + consumed
	nm.end = rw.pos + (m.end - rest)
	if err := rw.copyRaw(rest, next); err != nil {
		return nm, base, err
	}
	nm.bits, nm.kw, nm.inFile = w.bits, w.kw, true
	return nm, base, nil
}

// updateBase rewrites the first message's X-IMAPbase in place with UIDNEXT
// next, when the field is there and the number fits in its width. The
// caller holds the write lock and syncs.
func (f *Folder) updateBase(file *os.File, next uint32) error {
	b := f.base
	if b.off < 0 || b.n <= 0 || b.n > 256 || b.next == next || b.validity != f.validity {
		return nil
	}
	line := make([]byte, b.n)
	if _, err := file.ReadAt(line, b.off); err != nil {
		return err
	}
	nl, ok := rewriteBase(line, next)
	if !ok {
		return nil
	}
	if _, err := file.WriteAt(nl, b.off); err != nil {
		return fmt.Errorf("X-IMAPbase: %w", err)
	}
	f.base.next = next
	return nil
}
