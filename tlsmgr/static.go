package tlsmgr

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"
)

// staticState is one loaded set of the static files. It is never changed
// once published: a reload publishes a new one.
type staticState struct {
	cert      *tls.Certificate // Leaf is set
	clientCAs *x509.CertPool   // nil without a CA file
	raw       []byte           // the three files' contents, to tell a real change
	seen      []os.FileInfo    // staticFiles' identities before they were read
}

// staticFiles returns the static files configured, in loadStatic's order.
func (m *Manager) staticFiles() []string {
	var files []string
	for _, f := range []string{m.opts.CertificateFile, m.opts.KeyFile, m.opts.CAFile} {
		if f != "" {
			files = append(files, f)
		}
	}
	return files
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
	seen := statFiles(m.staticFiles())
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
	st := &staticState{cert: &cert, raw: bytes.Join(data[:], []byte{0}), seen: seen}
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
// anything changed. why is "reload" for an administrator's request, whose
// failure is always logged; a failure of the watcher's reloads is logged
// once until it changes or the files load again, since a file left broken
// may see many events.
func (m *Manager) reloadStatic(why string) (bool, error) {
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	st, err := m.loadStatic()
	changed := false
	switch {
	case err != nil && (why == "reload" || err.Error() != m.reloadFailure):
		m.reloadFailure = err.Error()
		m.log.Error("tls: reload failed; the certificate in use stays in use", "why", why, "err", err)
	case err != nil:
		m.log.Debug("tls: reload failed again, as last logged", "why", why, "err", err)
	case st != nil && !bytes.Equal(st.raw, m.static.Load().raw):
		m.static.Store(st)
		changed = true
		m.reloadFailure = ""
		m.log.Info("tls: certificate reloaded", "why", why, "file", m.opts.CertificateFile,
			"subject", st.cert.Leaf.Subject.String(), "not-after", st.cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
	case m.reloadFailure != "":
		m.reloadFailure = ""
		m.log.Info("tls: the certificate files load again; unchanged, they stay in use", "why", why)
	}
	if m.opts.onReload != nil {
		m.opts.onReload(err)
	}
	return changed, err
}
