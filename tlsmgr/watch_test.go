package tlsmgr

import (
	"crypto/x509"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
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
	m, err := New(Options{CertificateFile: f.cert, KeyFile: f.key, Logger: slog.New(slog.NewTextHandler(logFile, nil))})
	if err != nil {
		t.Fatal(err)
	}
	startManager(t, m)
	if err := os.Chmod(f.key, 0o640); err != nil { // fails the grdfil check
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	b, _ := os.ReadFile(filepath.Join(f.dir, "mailgate.log"))
	n := strings.Count(string(b), "level=ERROR")
	t.Logf("ERROR lines in 3 s after one chmod: %d", n)
	if n != 1 {
		t.Errorf("one chmod of the key made %d ERROR lines in 3 s; want 1:\n%s", n, b)
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
	t.Run("kubernetes", func(t *testing.T) {
		f := newStaticFiles(t)
		n := 0
		put := func(name string) {
			n++
			d := filepath.Join(f.dir, "..v"+string(rune('0'+n)))
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
		}
		put("one.example.org")
		for _, name := range []string{"tls.crt", "tls.key"} {
			if err := os.Symlink("..data/"+name, filepath.Join(f.dir, name)); err != nil {
				t.Fatal(err)
			}
		}
		f.cert, f.key = filepath.Join(f.dir, "tls.crt"), filepath.Join(f.dir, "tls.key")
		_, addr, ch := startStatic(t, f)
		put("two.example.org")
		waitServed(t, addr, "two.example.org", ch)
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
