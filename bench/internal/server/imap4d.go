package server

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/mailgate/mailgate/bench/internal/corpus"
)

// Imap4dInstall is how to install GNU imap4d on Debian.
const Imap4dInstall = "apt-get install -y --no-install-recommends mailutils-imap4d"

// Imap4d runs GNU Mailutils imap4d in its daemon mode (`imap4d
// --daemon=N --foreground --config-file=CONF`), one process per session,
// with INBOX an mbox file.
//
// The account needs no system user: it lives in a virtual-domain password
// file (virtdomain authorization, "generic" authentication that checks
// the crypt hash there), so the login name is bench@bench.test and INBOX
// is <home>/INBOX. imap4d does not change uid for such users; "system"
// follows virtdomain in the authorization list only because APPEND looks
// up the running uid for the From_ line. The listen backlog is raised from
// imap4d's small default, which drops connections when a hundred clients
// connect at once.
type Imap4d struct {
	// Bin is imap4d; found in PATH or /usr/sbin when empty.
	Bin string

	dir, conf, addr string
	p               *process
}

func (i *Imap4d) Name() string { return "imap4d" }

func (i *Imap4d) bin() string {
	if i.Bin != "" {
		return i.Bin
	}
	if p, err := exec.LookPath("imap4d"); err == nil {
		return p
	}
	return "/usr/sbin/imap4d"
}

func (i *Imap4d) Available() error {
	if _, err := os.Stat(i.bin()); err != nil {
		return &SkipError{"GNU imap4d is not installed (" + Imap4dInstall + ")"}
	}
	return nil
}

func (i *Imap4d) Setup(ctx context.Context, dir string) (corpus.Target, error) {
	port, err := FreePort()
	if err != nil {
		return corpus.Target{}, err
	}
	i.dir = dir
	i.addr = fmt.Sprintf("127.0.0.1:%d", port)
	i.conf = filepath.Join(dir, "imap4d.conf")
	uid, gid := mailUser()
	home := filepath.Join(dir, "home")
	virt := filepath.Join(dir, "virtdomain")
	if err := os.MkdirAll(virt, 0o755); err != nil {
		return corpus.Target{}, err
	}
	hash, err := shaCrypt(Password)
	if err != nil {
		return corpus.Target{}, err
	}
	line := fmt.Sprintf("bench:%s:%d:%d::%s:/bin/sh\n", hash, uid, gid, home)
	if err := os.WriteFile(filepath.Join(virt, "bench.test"), []byte(line), 0o644); err != nil {
		return corpus.Target{}, err
	}
	conf := fmt.Sprintf(`# written by mailgate's benchmark harness
logging { syslog false; };
auth {
  authentication clear;
  authentication generic;
  authorization clear;
  authorization virtdomain:system;
};
virtdomain { passwd-dir %q; };
tcp-wrappers { enable false; };
mailbox { mailbox-type mbox; };
max-children 5000;
timeout 1800;
server 127.0.0.1:%d {
  backlog 1024;
};
`, virt, port)
	if err := os.WriteFile(i.conf, []byte(conf), 0o644); err != nil {
		return corpus.Target{}, err
	}
	return corpus.Target{Format: corpus.Mbox, Path: filepath.Join(home, "INBOX"), UID: uid, GID: gid}, nil
}

func (i *Imap4d) Start(ctx context.Context) error {
	p, err := startProcess(ctx, "imap4d", i.addr, nil, i.dir, i.bin(), "--daemon=5000", "--foreground", "--config-file="+i.conf)
	if err != nil {
		return err
	}
	i.p = p
	return nil
}

func (i *Imap4d) Stop() error {
	err := i.p.stop()
	i.p = nil
	return err
}

func (i *Imap4d) Addr() string     { return i.addr }
func (i *Imap4d) Username() string { return "bench@bench.test" }
func (i *Imap4d) PID() int         { return i.p.pid() }
func (i *Imap4d) Log() string      { return i.p.log() }

func (i *Imap4d) Version() string {
	out, err := exec.Command(i.bin(), "--version").CombinedOutput()
	if err != nil {
		return "?"
	}
	return firstLine(string(out))
}
