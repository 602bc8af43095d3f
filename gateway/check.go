package gateway

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
)

// Check runs every check that the daemon runs on a configuration before it
// starts, beyond what config.Load validates: features that are not built
// yet, the certificate files (tls-file-checks, then whether they load), a
// tls-mode without a certificate, a log file in a directory that does
// not exist, and a data directory, pidfile or log file in a directory
// that someone other than root and the daemon's user could change. "mailgate config check" and --config-lint run it too, so that
// a file they pass is one the daemon accepts. Problems come back as a
// *config.Error, each naming the file and line of the key at fault.
func Check(cfg *config.Config) error {
	_, err := prepare(cfg, slog.New(slog.DiscardHandler))
	return err
}

// prepare is Check, returning what the checks loaded for the gateway to
// use: the certificates, loaded but not started, logging to log.
func prepare(cfg *config.Config, log *slog.Logger) (*certificates, error) {
	var ps []*config.Problem
	ps = append(ps, unsupported(cfg)...)
	certs, tlsProblems := loadCertificates(cfg, log)
	ps = append(ps, tlsProblems...)
	ps = append(ps, logFileProblems(cfg)...)
	ps = append(ps, privateDirProblems(cfg)...)
	ps = append(ps, lmtpProblems(cfg)...)
	ps = append(ps, proxyAuthProblems(cfg)...)
	ps = append(ps, identityProblems(cfg)...)
	ps = append(ps, mailGroupProblems(cfg)...)
	return certs, config.Problems(ps...)
}

// unsupported refuses settings whose feature is not built yet, so that a
// configuration never silently means less than it says.
func unsupported(cfg *config.Config) []*config.Problem {
	var ps []*config.Problem
	for i, a := range cfg.Auth.Authentication {
		if a == "pam" && !auth.PAMBuilt {
			ps = append(ps, cfg.Problemf(fmt.Sprintf("auth.authentication[%d]", i),
				`"pam" needs mailgate built with -tags pam (cgo, libpam0g-dev); use "system" or rebuild`))
		}
	}
	return ps
}

// checkCAFile checks that path holds at least one PEM certificate and
// nothing that does not parse.
func checkCAFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	n := 0
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return fmt.Errorf("%s: certificate %d: %w", path, n+1, err)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("%s holds no PEM certificate", path)
	}
	return nil
}

// logFileProblems checks that a log file can be created where [logging]
// destination says.
func logFileProblems(cfg *config.Config) []*config.Problem {
	d := cfg.Logging.Destination
	if d == config.LogStderr || d == config.LogSyslog || d == "" {
		return nil
	}
	dir := filepath.Dir(d)
	if fi, err := os.Stat(dir); err != nil {
		return []*config.Problem{cfg.Problemf("logging.destination", "the log file's directory: %v", err)}
	} else if !fi.IsDir() {
		return []*config.Problem{cfg.Problemf("logging.destination", "%s is not a directory", dir)}
	}
	if fi, err := os.Lstat(d); err == nil {
		if fi.Mode()&os.ModeSymlink != 0 {
			return []*config.Problem{cfg.Problemf("logging.destination", "%s is a symbolic link; name the file itself", d)}
		}
		if err := checkLogFile(fi); err != nil {
			return []*config.Problem{cfg.Problemf("logging.destination", "%s: %v", d, err)}
		}
	}
	return nil
}
