package tlsmgr

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watchDebounce is how long the watcher waits for a burst of changes
// (certificate, then key) to end before reloading.
const watchDebounce = 250 * time.Millisecond

// maxLinkHops bounds the symbolic links followed from one static file.
const maxLinkHops = 40

// watchCheckEvery is how often the watcher compares the files' identities
// with those it last loaded, a safety net for what inotify does not
// report: a directory further up replaced, a watch that could not be set.
const watchCheckEvery = time.Minute

// fileWatch watches the static files for changes. It watches directories,
// not files, because certificates are usually replaced by a rename or a
// new symbolic link (certbot's live/ links, a Kubernetes secret's ..data);
// but only events on the names that lead to the files count, so that
// other files in those directories (a log file beside the certificate)
// never start a reload. A directory holding a file may itself be replaced
// (mv certs certs.old; mv certs.new certs) or removed and made again, so
// its parent is watched too, for the directory's own name.
type fileWatch struct {
	w     *fsnotify.Watcher
	files []string        // the static files, as configured
	names map[string]bool // the files, the links leading to them, their targets and directories
	dirs  map[string]bool // the directories watched: those holding names, and their parents
	seen  []os.FileInfo   // the files' identities before the last load; nil for one missing
}

// newFileWatch watches the static files' names and directories. The
// identities it starts from are those of the files New loaded.
func (m *Manager) newFileWatch() (*fileWatch, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("tls: watching the certificate files: %w", err)
	}
	fw := &fileWatch{w: w, files: m.staticFiles(), seen: m.static.Load().seen}
	if err := fw.update(); err != nil {
		w.Close()
		return nil, err
	}
	return fw, nil
}

// update works out the names that lead to the files again (a link may
// point elsewhere now) and watches their directories and the parents of
// those, and those only. Adding a directory watched already is harmless,
// and watches it anew if it was replaced or made again. A missing
// directory is left to its parent's watch and to the periodic check.
func (fw *fileWatch) update() error {
	names, want := map[string]bool{}, map[string]bool{}
	for _, f := range fw.files {
		for _, n := range linkChain(f) {
			d := filepath.Dir(n)
			names[n], names[d] = true, true
			want[d], want[filepath.Dir(d)] = true, true
		}
	}
	dirs := map[string]bool{}
	var errs []error
	for d := range want {
		err := fw.w.Add(d)
		switch {
		case err == nil:
			dirs[d] = true
		case !errors.Is(err, fs.ErrNotExist):
			errs = append(errs, fmt.Errorf("tls: watching %s: %w", d, err))
		}
	}
	for d := range fw.dirs {
		if !dirs[d] {
			fw.w.Remove(d) // it may be gone, and its watch with it
		}
	}
	fw.names, fw.dirs = names, dirs
	return errors.Join(errs...)
}

// concerns reports whether ev is about a name that leads to a file.
func (fw *fileWatch) concerns(ev fsnotify.Event) bool {
	return fw.names[filepath.Clean(ev.Name)]
}

// changed reports whether a file's identity differs from the last load's.
func (fw *fileWatch) changed() bool {
	return !sameFiles(statFiles(fw.files), fw.seen)
}

func (fw *fileWatch) close() { fw.w.Close() }

// watchStatic reloads the static files when a name leading to them
// changes, or when the periodic check finds a file changed, until stop is
// closed.
func (m *Manager) watchStatic(fw *fileWatch, stop <-chan struct{}) {
	every := m.opts.watchCheckEvery
	if every <= 0 {
		every = watchCheckEvery
	}
	check := time.NewTicker(every)
	defer check.Stop()
	var timer *time.Timer
	var fire <-chan time.Time
	reload := func(why string) {
		// The watches first, so that no change made during the reload
		// goes unseen; the identities before the files are read, so that
		// a change made while they are read is found by the next check.
		if err := fw.update(); err != nil {
			m.log.Warn("tls: watching the certificate files", "err", err)
		}
		fw.seen = statFiles(fw.files)
		m.reloadStatic(why)
	}
	for {
		select {
		case <-stop:
			if timer != nil {
				timer.Stop()
			}
			return
		case ev, ok := <-fw.w.Events:
			if !ok {
				return
			}
			if !fw.concerns(ev) {
				continue
			}
			if timer == nil {
				timer = time.NewTimer(watchDebounce)
			} else {
				timer.Reset(watchDebounce)
			}
			fire = timer.C
		case err, ok := <-fw.w.Errors:
			if !ok {
				return
			}
			m.log.Warn("tls: watching the certificate files", "err", err)
		case <-fire:
			fire = nil
			reload("files changed")
		case <-check.C:
			if fire == nil && fw.changed() {
				reload("files changed, found by the periodic check")
			}
		}
	}
}

// statFiles returns the identities of files, following links: nil for
// one that cannot be stat'ed.
func statFiles(files []string) []os.FileInfo {
	fis := make([]os.FileInfo, len(files))
	for i, f := range files {
		fis[i], _ = os.Stat(f)
	}
	return fis
}

// sameFiles reports whether two lists of identities from statFiles name
// the same files, unchanged: the same inode, modification time, size,
// mode and owner.
func sameFiles(a, b []os.FileInfo) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x == nil || y == nil {
			if x != y {
				return false
			}
			continue
		}
		if !os.SameFile(x, y) || !x.ModTime().Equal(y.ModTime()) || x.Size() != y.Size() ||
			x.Mode() != y.Mode() || owner(x) != owner(y) {
			return false
		}
	}
	return true
}

// owner returns a file's user and group ids, where the system says.
func owner(fi os.FileInfo) [2]uint32 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return [2]uint32{st.Uid, st.Gid}
	}
	return [2]uint32{}
}

// linkChain returns the absolute path of a file and, when symbolic links
// lead from it to the file, each link on the way (a directory's too) and
// each path it leads to: every name whose replacement replaces the file.
func linkChain(path string) []string {
	p, err := filepath.Abs(path)
	if err != nil {
		return []string{filepath.Clean(path)}
	}
	names := []string{p}
	for range maxLinkHops {
		link, next, ok := firstLink(p)
		if !ok {
			break
		}
		if link != p {
			names = append(names, link)
		}
		names = append(names, next)
		p = next
	}
	return names
}

// firstLink finds the first symbolic link among the leading parts of the
// absolute path p, p itself included, and returns it with the path p
// stands for through it.
func firstLink(p string) (link, next string, ok bool) {
	sep := string(filepath.Separator)
	cur := filepath.VolumeName(p) + sep
	for part := range strings.SplitSeq(strings.TrimPrefix(p[len(filepath.VolumeName(p)):], sep), sep) {
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		if err != nil {
			return "", "", false
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		target, err := os.Readlink(cur)
		if err != nil {
			return "", "", false
		}
		if !filepath.IsAbs(target) {
			// The parts before cur are no links: lexical is right.
			target = filepath.Join(filepath.Dir(cur), target)
		}
		rest, err := filepath.Rel(cur, p)
		if err != nil {
			return "", "", false
		}
		return cur, filepath.Join(target, rest), true
	}
	return "", "", false
}
