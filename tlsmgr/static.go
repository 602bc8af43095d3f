package tlsmgr

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// staticState is one loaded set of the static files. It is never changed
// once published: a reload publishes a new one.
type staticState struct {
	cert      *tls.Certificate // Leaf is set
	clientCAs *x509.CertPool   // nil without a CA file
	raw       []byte           // the three files' contents, to tell a real change
}

// loadStatic checks and reads the static files, in imap4d's order:
// certificate, key, CA. It returns nil, nil when there are none.
func (m *Manager) loadStatic() (*staticState, error) {
	o := &m.opts
	if o.CertificateFile == "" {
		return nil, nil
	}
	files := []struct {
		key, path string
		checks    Checks
	}{
		{"certificate-file", o.CertificateFile, m.set.certChecks},
		{"key-file", o.KeyFile, m.set.keyChecks},
		{"ca-file", o.CAFile, m.set.caChecks},
	}
	var data [3][]byte
	for i, f := range files {
		if f.path == "" {
			continue
		}
		if err := CheckFile(f.path, f.checks); err != nil {
			return nil, fmt.Errorf("tls %s: %w", f.key, &OptionError{Option: f.key, Err: err})
		}
		b, err := os.ReadFile(f.path)
		if err != nil {
			return nil, fmt.Errorf("tls %s: %w", f.key, &OptionError{Option: f.key, Err: err})
		}
		data[i] = b
	}
	// Each error names the option at fault, for a configuration reader
	// to point at its line.
	bad := func(option, format string, args ...any) error {
		return fmt.Errorf("tls: %w", &OptionError{Option: option, Err: fmt.Errorf(format, args...)})
	}
	cert, err := tls.X509KeyPair(data[0], data[1])
	if err != nil {
		return nil, bad("certificate-file", "certificate-file %s and key-file %s: %w", o.CertificateFile, o.KeyFile, err)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, bad("certificate-file", "certificate-file %s: %w", o.CertificateFile, err)
		}
	}
	st := &staticState{cert: &cert, raw: bytes.Join(data[:], []byte{0})}
	if data[2] != nil {
		st.clientCAs = x509.NewCertPool()
		if !st.clientCAs.AppendCertsFromPEM(data[2]) {
			return nil, bad("ca-file", "ca-file %s: no PEM certificate in it", o.CAFile)
		}
	}
	return st, nil
}

// reloadStatic re-reads the static files and publishes them if they
// changed. On an error the files in use stay in use. It reports whether
// anything changed.
func (m *Manager) reloadStatic(why string) (bool, error) {
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	st, err := m.loadStatic()
	changed := false
	switch {
	case err != nil:
		m.log.Error("tls: reload failed; the certificate in use stays in use", "why", why, "err", err)
	case st != nil && !bytes.Equal(st.raw, m.static.Load().raw):
		m.static.Store(st)
		changed = true
		m.log.Info("tls: certificate reloaded", "why", why, "file", m.opts.CertificateFile,
			"subject", st.cert.Leaf.Subject.String(), "not-after", st.cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if m.opts.onReload != nil {
		m.opts.onReload(err)
	}
	return changed, err
}

// watchDebounce is how long the watcher waits for a burst of changes
// (certificate, then key) to end before reloading.
const watchDebounce = 250 * time.Millisecond

// watchStatic reloads the static files when their directories change,
// until stop is closed. It watches directories, not files, because
// certificates are usually replaced by a rename or a new symbolic link.
func (m *Manager) watchStatic(w *fsnotify.Watcher, stop <-chan struct{}) {
	var timer *time.Timer
	var fire <-chan time.Time
	for {
		select {
		case <-stop:
			if timer != nil {
				timer.Stop()
			}
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if ev.Op == fsnotify.Chmod && !m.watchedName(ev.Name) {
				continue
			}
			if timer == nil {
				timer = time.NewTimer(watchDebounce)
			} else {
				timer.Reset(watchDebounce)
			}
			fire = timer.C
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			m.log.Warn("tls: watching the certificate files", "err", err)
		case <-fire:
			fire = nil
			m.reloadStatic("files changed")
		}
	}
}

// watchedName reports whether path is one of the static files.
func (m *Manager) watchedName(path string) bool {
	for _, f := range []string{m.opts.CertificateFile, m.opts.KeyFile, m.opts.CAFile} {
		if f != "" && filepath.Clean(f) == filepath.Clean(path) {
			return true
		}
	}
	return false
}

// newStaticWatcher watches the directories holding the static files and,
// for symbolic links, their targets.
func (m *Manager) newStaticWatcher() (*fsnotify.Watcher, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("tls: watching the certificate files: %w", err)
	}
	seen := map[string]bool{}
	var errs []error
	for _, f := range []string{m.opts.CertificateFile, m.opts.KeyFile, m.opts.CAFile} {
		if f == "" {
			continue
		}
		dirs := []string{filepath.Dir(f)}
		if t, err := filepath.EvalSymlinks(f); err == nil {
			dirs = append(dirs, filepath.Dir(t))
		}
		for _, d := range dirs {
			if seen[d] {
				continue
			}
			seen[d] = true
			if err := w.Add(d); err != nil {
				errs = append(errs, fmt.Errorf("tls: watching %s: %w", d, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}
