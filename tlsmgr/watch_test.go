package tlsmgr

import (
	"crypto/x509"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/tlsmgr/tlsmgrtest"
)

// syncLog is a log sink safe for the Manager's and certmagic's goroutines.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The watcher used to reload on any event in the certificate files'
// directories, and a failed reload logs an ERROR. With the log file in
// such a directory (a data directory holding both, or /etc/mailgate),
// each ERROR line was a write there, which fired the next reload 250 ms
// later: one chmod 640 of the key made 4 ERROR lines a second for as long
// as it lasted. Only events on the files' own names count now, and a
// failure that repeats is logged once.
func TestCertWatchNoLogLoop(t *testing.T) {
	f := newStaticFiles(t)
	logFile, err := os.OpenFile(filepath.Join(f.dir, "mailgate.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	hook, reloaded := reloads()
	m, err := New(Options{CertificateFile: f.cert, KeyFile: f.key, Logger: slog.New(slog.NewTextHandler(logFile, nil)), onReload: hook})
	if err != nil {
		t.Fatal(err)
	}
	startManager(t, m)
	if err := os.Chmod(f.key, 0o640); err != nil { // fails the grdfil check
		t.Fatal(err)
	}
	select {
	case err := <-reloaded:
		if err == nil {
			t.Fatal("the key readable by its group loaded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the watcher did not reload after a chmod of the key")
	}
	// The loop's next reload came 250 ms after the ERROR line; four
	// times that without one is quiet.
	select {
	case <-reloaded:
		t.Error("the failed reload's own log line fired another reload")
	case <-time.After(time.Second):
	}
	b, _ := os.ReadFile(filepath.Join(f.dir, "mailgate.log"))
	if n := strings.Count(string(b), "level=ERROR"); n != 1 {
		t.Errorf("one chmod of the key made %d ERROR lines; want 1:\n%s", n, b)
	}
}

// A failure that repeats is logged once; another failure is logged, and
// so is the return to files that load, even unchanged. An administrator's
// reload logs its failure each time.
func TestReloadFailureLoggedOnce(t *testing.T) {
	f := newStaticFiles(t)
	logs := &syncLog{}
	hook, ch := reloads()
	m, err := New(Options{CertificateFile: f.cert, KeyFile: f.key, Logger: slog.New(slog.NewTextHandler(logs, nil)), onReload: hook})
	if err != nil {
		t.Fatal(err)
	}
	startManager(t, m)
	touch := func(mode os.FileMode) {
		t.Helper()
		chmod(t, f.key, mode)
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatal("the watcher did not reload after a chmod of the key")
		}
	}
	touch(0o640) // grdfil
	touch(0o640)
	touch(0o604) // ardfil
	touch(0o604)
	touch(0o640)
	m.Reload()
	m.Reload()
	<-ch
	<-ch
	touch(0o600)
	out := logs.String()
	if n := strings.Count(out, "level=ERROR"); n != 5 { // 640, 604, 640, and the two Reloads
		t.Errorf("%d ERROR lines; want 5 (each change of failure, each Reload):\n%s", n, out)
	}
	if !strings.Contains(out, "load again") {
		t.Errorf("the return to usable files is not logged:\n%s", out)
	}
}

// Certificates replaced by re-pointing a symbolic link (certbot's live/
// links into archive/) or by swapping a linked directory (a Kubernetes
// secret's ..data) are reloaded: the watcher follows the names leading to
// the files, and follows them anew after each reload.
func TestReloadOnLinkChange(t *testing.T) {
	t.Run("certbot", func(t *testing.T) {
		f := newStaticFiles(t)
		live, archive := filepath.Join(f.dir, "live"), filepath.Join(f.dir, "archive")
		for _, d := range []string{live, archive} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		put := func(n int, name string) {
			c, k := f.server.Issue(t, name, x509.ExtKeyUsageServerAuth)
			tlsmgrtest.WriteFile(t, filepath.Join(archive, "cert"+string(rune('0'+n))+".pem"), c, 0o644)
			tlsmgrtest.WriteFile(t, filepath.Join(archive, "key"+string(rune('0'+n))+".pem"), k, 0o600)
			for _, kind := range []string{"cert", "key"} {
				tmp := filepath.Join(live, "."+kind+".tmp")
				if err := os.Symlink("../archive/"+kind+string(rune('0'+n))+".pem", tmp); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(tmp, filepath.Join(live, kind+".pem")); err != nil {
					t.Fatal(err)
				}
			}
		}
		put(1, "one.example.org")
		f.cert, f.key = filepath.Join(live, "cert.pem"), filepath.Join(live, "key.pem")
		_, addr, ch := startStatic(t, f)
		put(2, "two.example.org")
		waitServed(t, addr, "two.example.org", ch)
		put(3, "three.example.org")
		waitServed(t, addr, "three.example.org", ch)
	})
	// Kubernetes' atomic writer removes the old timestamped directory
	// right after the ..data swap, and the watch on it (added through
	// ..data) dies with it; every later swap must still be seen.
	t.Run("kubernetes", func(t *testing.T) {
		f := newStaticFiles(t)
		n := 0
		prev := ""
		put := func(name string) {
			n++
			d := filepath.Join(f.dir, "..v"+strconv.Itoa(n))
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
			c, k := f.server.Issue(t, name, x509.ExtKeyUsageServerAuth)
			tlsmgrtest.WriteFile(t, filepath.Join(d, "tls.crt"), c, 0o644)
			tlsmgrtest.WriteFile(t, filepath.Join(d, "tls.key"), k, 0o600)
			tmp := filepath.Join(f.dir, "..data_tmp")
			if err := os.Symlink(filepath.Base(d), tmp); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, filepath.Join(f.dir, "..data")); err != nil {
				t.Fatal(err)
			}
			if prev != "" {
				if err := os.RemoveAll(prev); err != nil {
					t.Fatal(err)
				}
			}
			prev = d
		}
		put("one.example.org")
		for _, name := range []string{"tls.crt", "tls.key"} {
			if err := os.Symlink("..data/"+name, filepath.Join(f.dir, name)); err != nil {
				t.Fatal(err)
			}
		}
		f.cert, f.key = filepath.Join(f.dir, "tls.crt"), filepath.Join(f.dir, "tls.key")
		_, addr, ch := startStatic(t, f)
		for i := 2; i <= 5; i++ {
			name := "v" + strconv.Itoa(i) + ".example.org"
			put(name)
			waitServed(t, addr, name, ch)
		}
	})
}

// linkChain names every path whose replacement replaces the file.
func TestLinkChain(t *testing.T) {
	dir := t.TempDir()
	mk := func(path string) {
		if err := os.MkdirAll(filepath.Join(dir, path), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, path string) {
		if err := os.Symlink(target, filepath.Join(dir, path)); err != nil {
			t.Fatal(err)
		}
	}
	mk("plain")
	os.WriteFile(filepath.Join(dir, "plain/cert.pem"), nil, 0o644)
	mk("live/x")
	mk("archive/x")
	os.WriteFile(filepath.Join(dir, "archive/x/cert3.pem"), nil, 0o644)
	link("../../archive/x/cert3.pem", "live/x/cert.pem")
	mk("k8s/..v1")
	os.WriteFile(filepath.Join(dir, "k8s/..v1/tls.crt"), nil, 0o644)
	link("..v1", "k8s/..data")
	link("..data/tls.crt", "k8s/tls.crt")
	link("loop", "loop")

	for _, tc := range []struct {
		path string
		want []string
	}{
		{"plain/cert.pem", []string{"plain/cert.pem"}},
		{"live/x/cert.pem", []string{"live/x/cert.pem", "archive/x/cert3.pem"}},
		{"k8s/tls.crt", []string{"k8s/tls.crt", "k8s/..data/tls.crt", "k8s/..data", "k8s/..v1/tls.crt"}},
		{"missing.pem", []string{"missing.pem"}},
	} {
		got := linkChain(filepath.Join(dir, tc.path))
		var want []string
		for _, w := range tc.want {
			want = append(want, filepath.Join(dir, w))
		}
		if !slices.Equal(got, want) {
			t.Errorf("linkChain(%s) = %q; want %q", tc.path, got, want)
		}
	}
	if got := linkChain(filepath.Join(dir, "loop")); len(got) > 2*maxLinkHops+1 {
		t.Errorf("a link to itself gave %d names", len(got))
	}
}

// A directory holding the certificate and key, or one above it, is
// replaced whole, as deployment tools do: `mv certs certs.old; mv
// certs.new certs`. The watch on the old directory follows it aside, and
// the only event is on the directory's own name, which the watcher used
// to ignore, so the old certificate was served until it expired. The
// files' directory is watched in its parent now, for its own name; a
// directory further up is found by the periodic check.
func TestReloadOnDirectoryReplaced(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files string        // the files' directory, under the test's
		swap  string        // the directory replaced
		every time.Duration // the periodic check
	}{
		{"the files' own", "certs", "certs", time.Hour},
		{"one above, by the periodic check", "top/certs", "top", 200 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newStaticFiles(t)
			addr, ch := startInDir(t, f, filepath.Join(f.dir, tc.files), tc.every)
			swap := filepath.Join(f.dir, tc.swap)
			rel, _ := filepath.Rel(swap, filepath.Join(f.dir, tc.files))
			putPair(t, f, filepath.Join(swap+".new", rel), "two.example.org")
			if err := os.Rename(swap, swap+".old"); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(swap+".new", swap); err != nil {
				t.Fatal(err)
			}
			waitServed(t, addr, "two.example.org", ch)
		})
	}
}

// The directory is removed, and made again more than the debounce later
// (a slow copy, a package upgrade). The reload in between fails; the
// missing directory could not be watched, and the new files used to be
// never seen. Its parent's watch sees it made again.
func TestReloadOnDirectoryRecreatedLater(t *testing.T) {
	f := newStaticFiles(t)
	certs := filepath.Join(f.dir, "certs")
	addr, ch := startInDir(t, f, certs, time.Hour)
	if err := os.RemoveAll(certs); err != nil {
		t.Fatal(err)
	}
	<-ch // the failed reload
	time.Sleep(500 * time.Millisecond)
	putPair(t, f, certs, "two.example.org")
	waitServed(t, addr, "two.example.org", ch)
}

// putPair makes dir and writes a pair for name into it.
func putPair(t *testing.T, f *staticFiles, dir, name string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c, k := f.server.Issue(t, name, x509.ExtKeyUsageServerAuth)
	tlsmgrtest.WriteFile(t, filepath.Join(dir, "cert.pem"), c, 0o644)
	tlsmgrtest.WriteFile(t, filepath.Join(dir, "key.pem"), k, 0o600)
}

// Other names in the watched parent of the files' directory (a log file,
// a backup being written) start no reload, nor does the periodic check
// when the files did not change.
func TestParentWatchIgnoresOtherNames(t *testing.T) {
	f := newStaticFiles(t)
	certs := filepath.Join(f.dir, "certs")
	_, ch := startInDir(t, f, certs, 100*time.Millisecond)
	log := filepath.Join(f.dir, "mailgate.log")
	for i := range 20 {
		tlsmgrtest.WriteFile(t, log, []byte(strconv.Itoa(i)), 0o600)
		if err := os.Mkdir(certs+".tmp", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(certs + ".tmp"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case err := <-ch:
		t.Errorf("a reload (%v) with the files unchanged", err)
	case <-time.After(500 * time.Millisecond):
	}
}

// startInDir puts a pair for one.example.org in dir and starts a Manager
// on it, with the periodic check every every, serving on a listener, with
// the outcomes of its reloads on ch.
func startInDir(t *testing.T, f *staticFiles, dir string, every time.Duration) (addr string, ch chan error) {
	t.Helper()
	putPair(t, f, dir, "one.example.org")
	f.cert, f.key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	hook, ch := reloads()
	m, err := New(Options{CertificateFile: f.cert, KeyFile: f.key, onReload: hook, watchCheckEvery: every})
	if err != nil {
		t.Fatal(err)
	}
	startManager(t, m)
	return serveTLS(t, m.TLSConfig("imap")), ch
}

// sameFiles tells a file replaced, rewritten, made again or changed in
// mode from one left alone.
func TestSameFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "cert.pem")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(p+".tmp", []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(p+".tmp", p); err != nil {
			t.Fatal(err)
		}
	}
	write("one")
	for _, tc := range []struct {
		name   string
		change func()
		same   bool
	}{
		{"left alone", func() {}, true},
		{"replaced by rename", func() {
			fi, _ := os.Stat(p)
			write("two")
			os.Chtimes(p, fi.ModTime(), fi.ModTime()) // the same size and time: only the inode differs
		}, false},
		{"rewritten in place", func() {
			if err := os.WriteFile(p, []byte("three!"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"mode changed", func() { chmod(t, p, 0o600) }, false},
		{"removed", func() { os.Remove(p) }, false},
		{"still missing", func() {}, true},
		{"made again", func() { write("four") }, false},
	} {
		before := statFiles([]string{p, filepath.Join(dir, "missing")})
		tc.change()
		after := statFiles([]string{p, filepath.Join(dir, "missing")})
		if got := sameFiles(before, after); got != tc.same {
			t.Errorf("%s: sameFiles = %v; want %v", tc.name, got, tc.same)
		}
	}
}
