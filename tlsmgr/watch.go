package tlsmgr

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watchDebounce is how long the watcher waits for a burst of changes
// (certificate, then key) to end before reloading.
const watchDebounce = 250 * time.Millisecond

// maxLinkHops bounds the symbolic links followed from one static file.
const maxLinkHops = 40

// fileWatch watches the static files for changes. It watches directories,
// not files, because certificates are usually replaced by a rename or a
// new symbolic link (certbot's live/ links, a Kubernetes secret's ..data);
// but only events on the names that lead to the files count, so that
// other files in those directories (a log file beside the certificate)
// never start a reload.
type fileWatch struct {
	w     *fsnotify.Watcher
	files []string        // the static files, as configured
	names map[string]bool // the files, the links leading to them and their targets
	dirs  map[string]bool // the directories watched
}

// newFileWatch watches the static files' names and directories.
func (m *Manager) newFileWatch() (*fileWatch, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("tls: watching the certificate files: %w", err)
	}
	fw := &fileWatch{w: w}
	for _, f := range []string{m.opts.CertificateFile, m.opts.KeyFile, m.opts.CAFile} {
		if f != "" {
			fw.files = append(fw.files, f)
		}
	}
	if err := fw.update(); err != nil {
		w.Close()
		return nil, err
	}
	return fw, nil
}

// update works out the names that lead to the files again, after a
// reload (a link may point elsewhere now), and watches their directories,
// and those only. Adding a directory watched already is harmless, and
// adds it anew if it was removed and made again.
func (fw *fileWatch) update() error {
	names, dirs := map[string]bool{}, map[string]bool{}
	var errs []error
	for _, f := range fw.files {
		for _, n := range linkChain(f) {
			names[n] = true
			d := filepath.Dir(n)
			if dirs[d] {
				continue
			}
			if err := fw.w.Add(d); err != nil {
				errs = append(errs, fmt.Errorf("tls: watching %s: %w", d, err))
				continue
			}
			dirs[d] = true
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

func (fw *fileWatch) close() { fw.w.Close() }

// watchStatic reloads the static files when a name leading to them
// changes, until stop is closed.
func (m *Manager) watchStatic(fw *fileWatch, stop <-chan struct{}) {
	var timer *time.Timer
	var fire <-chan time.Time
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
			m.reloadStatic("files changed")
			if err := fw.update(); err != nil {
				m.log.Warn("tls: watching the certificate files", "err", err)
			}
		}
	}
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
