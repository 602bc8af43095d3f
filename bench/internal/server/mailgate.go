package server

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mailgate/mailgate/bench/internal/corpus"
	"github.com/mailgate/mailgate/storage/fts"
)

// Mailgate runs mailgate as a daemon (-d --foreground) with a data
// directory in the benchmark's directory. The account is made with
// `mailgate user add bench --password-stdin`; its INBOX is
// <data-dir>/bench/INBOX, loaded as a maildir with imap4d's UIDs (,u=N
// in the file names and .mu-prop) or, with Mbox, as an mbox file.
type Mailgate struct {
	Bin string
	// Mbox stores INBOX as an mbox file. mailgate refuses that
	// configuration ("not implemented yet") until its mbox driver lands;
	// the server is then skipped.
	Mbox bool
	// SHACrypt replaces the bcrypt hash that `user add` writes with the
	// SHA-512-crypt hash the other servers use, so that LOGIN compares
	// servers rather than hash functions.
	SHACrypt bool
	// LMTP also serves LMTP, on LMTPAddr.
	LMTP bool

	dir, conf, addr string
	lmtpAddr        string
	p               *process
}

func (m *Mailgate) Name() string {
	if m.Mbox {
		return "mailgate-mbox"
	}
	return "mailgate"
}

func (m *Mailgate) Available() error {
	if m.Bin == "" {
		return &SkipError{"no mailgate binary given"}
	}
	if _, err := os.Stat(m.Bin); err != nil {
		return &SkipError{fmt.Sprintf("mailgate binary: %v (build it with go build -o %s ./cmd/mailgate)", err, m.Bin)}
	}
	return nil
}

func (m *Mailgate) Setup(ctx context.Context, dir string) (corpus.Target, error) {
	port, err := FreePort()
	if err != nil {
		return corpus.Target{}, err
	}
	m.dir = dir
	m.addr = fmt.Sprintf("127.0.0.1:%d", port)
	m.conf = filepath.Join(dir, "mailgate.toml")
	data := filepath.Join(dir, "data")
	pattern, typ := "maildir:$home/INBOX", "maildir"
	if m.Mbox {
		pattern, typ = "mbox:$home/INBOX", "mbox"
	}
	conf := fmt.Sprintf(`# written by mailgate's benchmark harness
mode = "daemon"
foreground = true
max-children = 0
data-dir = %q

[[server]]
address = %q
tls-mode = "no"
timeout = "30m"
max-connections-per-address = 0
max-auth-failures = 0

[mailbox]
mailbox-pattern = %q
mailbox-type = %q

[logging]
level = "warn"
`, data, m.addr, pattern, typ)
	if m.LMTP {
		lport, err := FreePort()
		if err != nil {
			return corpus.Target{}, err
		}
		m.lmtpAddr = fmt.Sprintf("127.0.0.1:%d", lport)
		conf += fmt.Sprintf("\n[lmtp]\nlisten = [%q]\n", m.lmtpAddr)
	}
	if err := os.WriteFile(m.conf, []byte(conf), 0o644); err != nil {
		return corpus.Target{}, err
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return corpus.Target{}, err
	}
	if out, err := runOutput(ctx, Password+"\n", m.Bin, "--config", m.conf, "user", "add", "bench", "--password-stdin"); err != nil {
		if strings.Contains(out, "not implemented yet") {
			return corpus.Target{}, &SkipError{firstLine(out)}
		}
		return corpus.Target{}, err
	}
	if m.SHACrypt {
		if err := m.useSHACrypt(filepath.Join(data, "users")); err != nil {
			return corpus.Target{}, err
		}
	}
	t := corpus.Target{Format: corpus.Maildir, Path: filepath.Join(data, "bench", "INBOX"), MuProp: true, UID: -1}
	if m.Mbox {
		t = corpus.Target{Format: corpus.Mbox, Path: filepath.Join(data, "bench", "INBOX"), UID: -1}
	}
	return t, nil
}

// useSHACrypt puts the SHA-512-crypt hash into bench's line of the users
// file (name:password:uid:gid:gecos:home:shell).
func (m *Mailgate) useSHACrypt(users string) error {
	data, err := os.ReadFile(users)
	if err != nil {
		return err
	}
	h, err := shaCrypt(Password)
	if err != nil {
		return err
	}
	lines := strings.Split(string(data), "\n")
	found := false
	for i, l := range lines {
		f := strings.Split(l, ":")
		if len(f) >= 2 && f[0] == "bench" {
			f[1] = h
			lines[i] = strings.Join(f, ":")
			found = true
		}
	}
	if !found {
		return fmt.Errorf("%s: no line for bench", users)
	}
	return os.WriteFile(users, []byte(strings.Join(lines, "\n")), 0o600)
}

func (m *Mailgate) Start(ctx context.Context) error {
	p, err := startProcess(ctx, m.Name(), m.addr, nil, m.dir, m.Bin, "-d", "--foreground", "--config", m.conf)
	if err != nil {
		if strings.Contains(err.Error(), "not implemented yet") {
			return &SkipError{notImplemented(err.Error())}
		}
		return err
	}
	m.p = p
	return nil
}

func (m *Mailgate) Stop() error {
	err := m.p.stop()
	m.p = nil
	return err
}

func (m *Mailgate) Addr() string     { return m.addr }
func (m *Mailgate) LMTPAddr() string { return m.lmtpAddr }
func (m *Mailgate) Username() string { return "bench" }
func (m *Mailgate) PID() int         { return m.p.pid() }
func (m *Mailgate) Log() string      { return m.p.log() }

func (m *Mailgate) Version() string {
	out, err := exec.Command(m.Bin, "--version").CombinedOutput()
	if err != nil {
		return "?"
	}
	return firstLine(string(out))
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// notImplemented picks what mailgate said is not implemented from its
// log, a line such as: time=... level=ERROR msg="mailgate: ... not
// implemented yet; ...".
func notImplemented(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if !strings.Contains(l, "not implemented yet") {
			continue
		}
		if i := strings.Index(l, "msg="); i >= 0 {
			if m, err := strconv.QuotedPrefix(l[i+4:]); err == nil {
				if u, err := strconv.Unquote(m); err == nil {
					return firstLine(u)
				}
			}
		}
		return strings.TrimSpace(l)
	}
	return firstLine(s)
}

// InetdCommand is the command that serves one session on its standard
// input and output, as inetd would start it: `mailgate -i` on the same
// configuration and data as the daemon.
func (m *Mailgate) InetdCommand() (string, []string) {
	return m.Bin, []string{"-i", "--config", m.conf}
}

// FullTextIndexer is a server whose full-text index is built in the
// background: FullTextIndexed says how many messages of INBOX it holds,
// and DropFullText removes the index (the server stopped), so that the
// next SELECT builds it anew.
type FullTextIndexer interface {
	FullTextIndexed() (int, error)
	DropFullText() error
}

// DropFullText removes mailgate's index files (<data-dir>/fts).
func (m *Mailgate) DropFullText() error {
	if err := os.RemoveAll(filepath.Join(m.dir, "data", "fts")); err != nil {
		return fmt.Errorf("removing mailgate's full-text index: %w", err)
	}
	return nil
}

// FullTextIndexed reads mailgate's index files (<data-dir>/fts, one a
// mailbox; the benchmark's account has INBOX only) without changing them.
func (m *Mailgate) FullTextIndexed() (int, error) {
	files, err := filepath.Glob(filepath.Join(m.dir, "data", "fts", "*.fts"))
	if err != nil || len(files) == 0 {
		return 0, fmt.Errorf("no index file yet")
	}
	best := 0
	for _, f := range files {
		if n, err := fts.Peek(f); err == nil {
			best = max(best, n)
		}
	}
	return best, nil
}
