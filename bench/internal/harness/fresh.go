package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The first phase measures the first access to a new mailbox: the corpus
// has just been written into each server's files and the server has
// never opened it (Dovecot has no dovecot.index*, mailgate no
// .mailgate-* files and no full-text index). To measure that more than
// once, the harness notes each server's directory as it is then (a
// freshState) and, before every further repetition, stops the server and
// puts the directory back: whatever the server wrote since is removed,
// the small files it may rewrite (dovecot-uidlist, .mu-prop, the users
// file) get their old bytes, times and owners back, and the message
// files, which a read-only phase has no reason to touch, are checked to
// be unchanged. Nothing else of the machine is touched: the page cache
// keeps the corpus for every server alike.

// freshKeepMax is the size up to which a file's bytes are kept so that
// they can be put back; larger files (an mbox, the very large messages)
// and maildir message files are only checked.
const freshKeepMax = 64 << 20

// freshState is a server's directory as it was right after the corpus
// was written, before the server first saw the mailbox.
type freshState struct {
	root  string
	files map[string]freshFile // by path relative to root
}

// freshFile is one entry of a freshState.
type freshFile struct {
	mode         fs.FileMode // type and permission bits
	size         int64
	atime, mtime time.Time
	uid, gid     int
	data         []byte // a kept file's bytes, a symlink's target; nil when only checked
	kept         bool
}

// noteFresh notes root's tree. Sockets and other special files (a
// server's runtime sockets) are left out: a server makes them anew.
func noteFresh(root string) (*freshState, error) {
	st := &freshState{root: root, files: map[string]freshFile{}}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		f := freshFile{mode: fi.Mode(), size: fi.Size(), mtime: fi.ModTime(), atime: fi.ModTime(), uid: -1, gid: -1}
		if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
			f.uid, f.gid = int(sys.Uid), int(sys.Gid)
			f.atime = time.Unix(sys.Atim.Unix())
		}
		switch {
		case fi.Mode().IsDir():
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			f.data, f.kept = []byte(target), true
		case fi.Mode().IsRegular():
			if fi.Size() <= freshKeepMax && !inMaildirFolder(rel) {
				if f.data, err = os.ReadFile(p); err != nil {
					return err
				}
				f.kept = true
			}
		default:
			return nil
		}
		st.files[rel] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("noting %s as the new mailbox's state: %w", root, err)
	}
	return st, nil
}

// inMaildirFolder tells whether rel is a file in a maildir's cur, new or
// tmp: a message, which is checked, never kept.
func inMaildirFolder(rel string) bool {
	switch filepath.Base(filepath.Dir(rel)) {
	case "cur", "new", "tmp":
		return true
	}
	return false
}

// restore puts the directory back as noteFresh found it. The server must
// be stopped. It fails, saying what, when something that cannot be put
// back (a message file, an mbox) was changed or removed: a first phase
// that changed the mail itself cannot be repeated.
func (st *freshState) restore() error {
	// What the server wrote since: remove it.
	var extra []string
	err := filepath.WalkDir(st.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if p == st.root {
			return nil
		}
		rel, err := filepath.Rel(st.root, p)
		if err != nil {
			return err
		}
		f, ok := st.files[rel]
		if !ok && d.Type()&(fs.ModeSocket|fs.ModeNamedPipe|fs.ModeDevice|fs.ModeCharDevice|fs.ModeIrregular) != 0 {
			return nil
		}
		if !ok || f.mode.Type() != d.Type() {
			extra = append(extra, p)
			if d.IsDir() {
				return fs.SkipDir
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", st.root, err)
	}
	for _, p := range extra {
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("removing what the server wrote: %w", err)
		}
	}

	// What was there: check it, or put it back. Parents before children.
	rels := make([]string, 0, len(st.files))
	for rel := range st.files {
		rels = append(rels, rel)
	}
	slices.Sort(rels)
	var changed []string
	for _, rel := range rels {
		if err := st.files[rel].put(filepath.Join(st.root, rel)); err != nil {
			changed = append(changed, err.Error())
		}
	}
	if len(changed) > 0 {
		if len(changed) > 3 {
			changed = append(changed[:3], fmt.Sprintf("and %d more", len(changed)-3))
		}
		return fmt.Errorf("the first phase changed what cannot be put back: %v", changed)
	}
	// A directory's times last: putting its entries back changed them.
	for _, rel := range slices.Backward(rels) {
		if f := st.files[rel]; f.mode.IsDir() {
			p := filepath.Join(st.root, rel)
			if err := os.Chtimes(p, f.atime, f.mtime); err != nil {
				return err
			}
		}
	}
	return nil
}

// put makes p as f says, or says why it cannot.
func (f freshFile) put(p string) error {
	fi, err := os.Lstat(p)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	switch {
	case f.mode.IsDir():
		if err != nil {
			if err := os.Mkdir(p, f.mode.Perm()); err != nil {
				return err
			}
		}
		return f.owner(p)
	case f.mode&fs.ModeSymlink != 0:
		if err == nil {
			if target, _ := os.Readlink(p); target == string(f.data) {
				return nil
			}
			if err := os.Remove(p); err != nil {
				return err
			}
		}
		return os.Symlink(string(f.data), p)
	case !f.kept:
		if err != nil {
			return fmt.Errorf("%s is gone", p)
		}
		if fi.Size() != f.size || !fi.ModTime().Equal(f.mtime) {
			return fmt.Errorf("%s changed (size %d, was %d; modified %s, was %s)", p, fi.Size(), f.size,
				fi.ModTime().Format(time.RFC3339Nano), f.mtime.Format(time.RFC3339Nano))
		}
		return nil
	}
	if err == nil && fi.Size() == f.size && fi.ModTime().Equal(f.mtime) && fi.Mode() == f.mode {
		if cur, err := os.ReadFile(p); err == nil && bytes.Equal(cur, f.data) {
			return nil
		}
	}
	// Written anew under a temporary name and renamed, so that a file
	// linked elsewhere is not changed there.
	tmp := p + ".bench-restore"
	if err := os.WriteFile(tmp, f.data, f.mode.Perm()); err != nil {
		return err
	}
	if err := os.Chmod(tmp, f.mode.Perm()); err != nil {
		return err
	}
	if err := f.owner(tmp); err != nil {
		return err
	}
	if err := os.Chtimes(tmp, f.atime, f.mtime); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// owner gives p its noted owner and permissions.
func (f freshFile) owner(p string) error {
	if f.uid >= 0 && os.Geteuid() == 0 {
		if err := os.Lchown(p, f.uid, f.gid); err != nil {
			return err
		}
	}
	return os.Chmod(p, f.mode.Perm())
}

// syncFiles writes back whatever is waiting to be written on the file
// system holding dir (syncfs(2)): the corpus just written, the files a
// server wrote in its last turn. Nothing is dropped from the page
// cache. Without it the kernel writes the corpus back 30 seconds after
// it was written, in the middle of whichever server's turn comes then,
// and an fsync of that server (mailgate's first SELECT syncs its new
// modseq file) waits behind gigabytes.
func syncFiles(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return fmt.Errorf("syncfs %s: %w", dir, err)
	}
	return nil
}

// first is one repetition of the first phase: the server stopped, its
// directory put back as the corpus left it, the server started again and
// the file system's pending writes written back (syncFiles), then the
// read phase, checked as in every phase. Afterwards the server is
// stopped (parked), so that what it goes on doing in the background
// (mailgate's full-text build) does not run during the other servers'
// turns; the next step that needs it starts it again.
func (r *runner) first(ctx context.Context) error {
	if err := r.s.Stop(); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	r.parked = true
	if err := r.fresh.restore(); err != nil {
		return fmt.Errorf("putting the new mailbox back: %w", err)
	}
	if err := r.restart(ctx); err != nil {
		return err
	}
	t := time.Now()
	if err := syncFiles(r.fresh.root); err != nil {
		return err
	}
	if d := time.Since(t); d > time.Second {
		r.logf("%s: writing back the file system's pending writes took %.1fs", r.s.Name(), d.Seconds())
	}
	if err := r.readPhase(ctx, "first"); err != nil {
		return err
	}
	if err := r.s.Stop(); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	r.parked = true
	return nil
}
