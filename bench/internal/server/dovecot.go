package server

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/mailgate/mailgate/bench/internal/corpus"
)

// DovecotInstall is how to install Dovecot on Debian.
const DovecotInstall = "apt-get install -y --no-install-recommends dovecot-imapd"

// Dovecot runs `dovecot -F -c CONF` with everything (base_dir, state_dir,
// the passwd-file holding the account, the maildir) in the benchmark's
// directory, listening on 127.0.0.1 without TLS.
//
// Dovecot refuses mail access as root, so as root the account's mail
// belongs to nobody (the userdb gives uid/gid 65534) and the directory is
// made reachable for it and for Dovecot's unprivileged login and internal
// users; otherwise everything runs as the current user.
//
// Fast runs it in Dovecot's documented high-performance mode instead of
// its default high-security one: login processes serve many connections
// (service_count = 0) and are started before they are needed
// (process_min_avail); the report compares mailgate with the faster of
// the two on each row.
type Dovecot struct {
	// Bin is the dovecot master; /usr/sbin/dovecot when empty.
	Bin string
	// Fast selects the high-performance login mode ("dovecot-fast").
	Fast bool
	// LMTP also serves LMTP (dovecot-lmtpd) on LMTPAddr, recipients named
	// by their local part.
	LMTP bool
	// Mbox stores INBOX as the mbox file ~/INBOX (folders in ~/mail)
	// instead of a maildir ("dovecot-mbox").
	Mbox bool

	dir, conf, addr string
	lmtpAddr        string
	p               *process
}

// DovecotLMTPInstall is how to install Dovecot's LMTP server on Debian.
const DovecotLMTPInstall = "apt-get install -y --no-install-recommends dovecot-lmtpd"

func (d *Dovecot) Name() string {
	switch {
	case d.Fast:
		return "dovecot-fast"
	case d.Mbox:
		return "dovecot-mbox"
	}
	return "dovecot"
}

func (d *Dovecot) bin() string {
	if d.Bin != "" {
		return d.Bin
	}
	if p, err := exec.LookPath("dovecot"); err == nil {
		return p
	}
	return "/usr/sbin/dovecot"
}

func (d *Dovecot) Available() error {
	if _, err := os.Stat(d.bin()); err != nil {
		return &SkipError{"Dovecot is not installed (" + DovecotInstall + ")"}
	}
	if _, err := os.Stat("/usr/lib/dovecot/imap"); err != nil {
		return &SkipError{"Dovecot's IMAP server is not installed (" + DovecotInstall + ")"}
	}
	if _, err := os.Stat("/usr/lib/dovecot/lmtp"); err != nil && d.LMTP {
		return &SkipError{"Dovecot's LMTP server is not installed (" + DovecotLMTPInstall + ")"}
	}
	if os.Geteuid() == 0 {
		for _, u := range []string{"dovecot", "dovenull"} {
			if _, err := user.Lookup(u); err != nil {
				return &SkipError{"Dovecot's system user " + u + " is missing (reinstall dovecot-core)"}
			}
		}
	}
	return nil
}

func (d *Dovecot) Setup(ctx context.Context, dir string) (corpus.Target, error) {
	port, err := FreePort()
	if err != nil {
		return corpus.Target{}, err
	}
	d.dir = dir
	d.addr = fmt.Sprintf("127.0.0.1:%d", port)
	d.conf = filepath.Join(dir, "dovecot.conf")
	uid, gid := mailUser()
	internal, login := "dovecot", "dovenull"
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return corpus.Target{}, err
		}
		internal, login = u.Username, u.Username
	}
	// The login and internal users must reach base_dir and read the
	// passwd-file.
	if err := os.Chmod(dir, 0o755); err != nil {
		return corpus.Target{}, err
	}
	if os.Geteuid() == 0 {
		if err := searchable(filepath.Dir(dir)); err != nil {
			return corpus.Target{}, err
		}
	}
	for _, sub := range []string{"run", "state", "home"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return corpus.Target{}, err
		}
	}
	home := filepath.Join(dir, "home", "bench")
	hash, err := shaCrypt(Password)
	if err != nil {
		return corpus.Target{}, err
	}
	passwd := fmt.Sprintf("bench:{SHA512-CRYPT}%s:%d:%d::%s::\n", hash, uid, gid, home)
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(passwd), 0o644); err != nil {
		return corpus.Target{}, err
	}
	conf := fmt.Sprintf(`# written by mailgate's benchmark harness
base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = /dev/stderr
info_log_path = /dev/stderr
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
listen = 127.0.0.1
protocols = imap
first_valid_uid = 0
first_valid_gid = 0
default_internal_user = %[2]s
default_login_user = %[3]s
default_process_limit = 3000
default_client_limit = 6000
default_vsz_limit = 2G
# LOGIN is measured twice: the first of a fresh server (no cache on
# either side) and repeated, where mailgate answers from its cache;
# Dovecot's cache is off by default, so it is on here.
auth_cache_size = 10M
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
  prefix =
}
passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT %[1]s/passwd
}
userdb {
  driver = passwd-file
  args = %[1]s/passwd
}
protocol imap {
  mail_max_userip_connections = 5000
}
# default_process_limit does not raise the imap service's own limit
# (1024, as doveconf shows); more than a thousand sessions need it.
service imap {
  process_limit = 3000
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[4]d
  }
  inet_listener imaps {
    port = 0
  }
%[5]s}
`, dir, internal, login, port, d.loginMode())
	location := "maildir:~/Maildir"
	if d.Mbox {
		location = "mbox:~/mail:INBOX=~/INBOX"
	}
	conf = strings.Replace(conf, "mail_location = maildir:~/Maildir\n", "mail_location = "+location+"\n", 1)
	if d.LMTP {
		lport, err := FreePort()
		if err != nil {
			return corpus.Target{}, err
		}
		d.lmtpAddr = fmt.Sprintf("127.0.0.1:%d", lport)
		conf = strings.Replace(conf, "protocols = imap\n", "protocols = imap lmtp\n", 1)
		// Recipients are looked up by their local part, as mailgate's
		// [lmtp] does with no domains listed.
		conf += fmt.Sprintf(`auth_username_format = %%Ln
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = %d
  }
}
`, lport)
		// LMTP makes the mailbox itself: the home must exist and be
		// the mail user's.
		for _, sub := range []string{home, filepath.Join(home, "mail")} {
			if err := os.MkdirAll(sub, 0o700); err != nil {
				return corpus.Target{}, err
			}
			if err := os.Chown(sub, uid, gid); err != nil && os.Geteuid() == 0 {
				return corpus.Target{}, err
			}
		}
	}
	if err := os.WriteFile(d.conf, []byte(conf), 0o644); err != nil {
		return corpus.Target{}, err
	}
	if d.Mbox {
		return corpus.Target{Format: corpus.Mbox, Path: filepath.Join(home, "INBOX"), UID: uid, GID: gid}, nil
	}
	return corpus.Target{Format: corpus.Maildir, Path: filepath.Join(home, "Maildir"), UIDList: true, UID: uid, GID: gid}, nil
}

// loginMode is the imap-login settings of the mode: none for the
// default (a process per connection, service_count = 1), and those of
// Dovecot's high-performance mode for Fast.
func (d *Dovecot) loginMode() string {
	if !d.Fast {
		return ""
	}
	return fmt.Sprintf("  service_count = 0\n  process_min_avail = %d\n  vsz_limit = 1G\n", runtime.NumCPU())
}

func (d *Dovecot) Start(ctx context.Context) error {
	p, err := startProcess(ctx, "dovecot", d.addr, nil, d.dir, d.bin(), "-F", "-c", d.conf)
	if err != nil {
		return err
	}
	d.p = p
	return nil
}

func (d *Dovecot) Stop() error {
	err := d.p.stop()
	d.p = nil
	return err
}

func (d *Dovecot) Addr() string     { return d.addr }
func (d *Dovecot) LMTPAddr() string { return d.lmtpAddr }
func (d *Dovecot) Username() string { return "bench" }
func (d *Dovecot) PID() int         { return d.p.pid() }
func (d *Dovecot) Log() string      { return d.p.log() }

func (d *Dovecot) Version() string {
	out, err := exec.Command(d.bin(), "--version").CombinedOutput()
	if err != nil {
		return "?"
	}
	return "Dovecot " + firstLine(string(out))
}

// searchable checks that other users (Dovecot's) can pass through dir and
// every directory above it; if not, Dovecot cannot run there and is
// skipped.
func searchable(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return &SkipError{fmt.Sprintf("Dovecot's unprivileged processes cannot enter %s (mode %v); "+
				"use a work directory whose parents are world-searchable (--workdir)", d, fi.Mode().Perm())}
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}
