package main_test

// Starting (issue 11 section 2): detaching with setsid and a pidfile, and
// systemd's socket activation.

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDetachWritesPidfile: without --foreground the daemon starts again
// in a session of its own (setsid), writes its pid to pidfile, serves,
// and removes the pidfile when SIGTERM stops it.
func TestDetachWritesPidfile(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "mailgate.pid")
	cfg := writeConfig(t, addr, fmt.Sprintf("foreground = false\npidfile = %q\n[logging]\ndestination = %q\n",
		pidfile, filepath.Join(dir, "log")), "")
	out, err := exec.Command(mailgateBin, "--config", cfg.path, "-d").CombinedOutput()
	if err != nil {
		t.Fatalf("mailgate -d: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`running in the background as process (\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("mailgate -d printed %q", out)
	}
	pid, _ := strconv.Atoi(string(m[1]))
	child, _ := os.FindProcess(pid)
	t.Cleanup(func() { child.Signal(syscall.SIGKILL) })
	var written []byte
	for i := 0; i < 250; i++ {
		if written, err = os.ReadFile(pidfile); err == nil && len(written) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if strings.TrimSpace(string(written)) != strconv.Itoa(pid) {
		t.Fatalf("pidfile holds %q, want %d", written, pid)
	}
	if sid, err := unixSID(pid); err != nil || sid != pid {
		t.Errorf("the detached daemon's session is %d (%v), want its own, %d", sid, err, pid)
	}
	// The pidfile is written before the listeners are bound.
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if i == 250 {
			t.Fatalf("the detached daemon does not listen: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	greeted(t, addr).cmd("z", "LOGOUT")
	child.Signal(syscall.SIGTERM)
	for i := 0; i < 250; i++ {
		if _, err := os.Stat(pidfile); os.IsNotExist(err) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("the pidfile is still there after SIGTERM")
}

// unixSID returns the session id of process pid.
func unixSID(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	// state ppid pgrp session
	return strconv.Atoi(f[3])
}

// TestSocketActivation: started as systemd starts a socket-activated
// service (the listening socket as fd 3, LISTEN_FDS=1 and LISTEN_PID its
// own pid), the daemon serves on that socket and binds nothing itself,
// even with foreground = false.
func TestSocketActivation(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File()
	ln.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	addr := ln.Addr().String()
	cfg := writeConfig(t, addr, "foreground = false\n", "")
	// sh sets LISTEN_PID to its own pid, which exec keeps, as systemd
	// sets it between fork and exec.
	cmd := exec.Command("/bin/sh", "-c", `LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"`, mailgateBin, "--config", cfg.path, "-d")
	cmd.ExtraFiles = []*os.File{f}
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	var c *imapConn
	for i := 0; ; i++ {
		if strings.Contains(stderr.String(), "socket from systemd") {
			c = greeted(t, addr)
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("mailgate exited (%v):\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if i == 500 {
			t.Fatalf("mailgate did not take the socket:\n%s", stderr.String())
		}
	}
	m := firstRunRE.FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("no first-run password:\n%s", stderr.String())
	}
	c.login("mailgate", m[1])
	c.cmd("z", "LOGOUT")
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("mailgate after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("mailgate did not stop")
	}
}

// TestPidfileDoesNotFollowLinks: the daemon (root) writes its pidfile
// into a new file renamed into place. Written through a link, as
// os.WriteFile did, a user who can plant one makes root truncate any
// file (/etc/shadow); a pidfile of theirs, kept, lets them write another
// pid into it, so that logrotate's "kill -HUP $(cat pidfile)" signals a
// process of their choice as root.
func TestPidfileDoesNotFollowLinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pidfile := filepath.Join(dir, "mailgate.pid")
	if err := os.Symlink(victim, pidfile); err != nil {
		t.Fatal(err)
	}
	// The pidfile is written before the daemon listens, which
	// startDaemon waited for.
	d := startDaemon(t, "pidfile = "+quoted(pidfile)+"\n", "")
	if b, err := os.ReadFile(pidfile); err != nil || string(b) != strconv.Itoa(d.cmd.Process.Pid)+"\n" {
		t.Errorf("the pidfile holds %q (%v), want the daemon's pid", b, err)
	}
	d.stop(10 * time.Second)
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Errorf("the daemon wrote its pidfile through a link: %s now holds %q", victim, b)
	}
	if _, err := os.Lstat(pidfile); !os.IsNotExist(err) {
		t.Errorf("the pidfile is still there after the daemon stopped: %v", err)
	}
}

// TestStartRefusesDirectoriesOthersCanWrite: a pidfile, log file or data
// directory in a directory that another user can write is refused by
// "config check" and at start (exit 78, with the key's line), before the
// first run writes anything.
func TestStartRefusesDirectoriesOthersCanWrite(t *testing.T) {
	t.Parallel()
	open := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, top, want string }{
		{"pidfile", "pidfile = " + quoted(filepath.Join(open, "mailgate.pid")) + "\n", ":2: pidfile: "},
		{"log file", "[logging]\ndestination = " + quoted(filepath.Join(open, "mailgate.log")) + "\n", ":3: logging.destination: "},
		{"data directory", "", ":1: data-dir: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := writeConfig(t, freeAddr(t), tc.top, "")
			if tc.name == "data directory" {
				cfg.dataDir = filepath.Join(open, "data-"+strconv.Itoa(os.Getpid()))
				text, _ := os.ReadFile(cfg.path)
				_, rest, _ := strings.Cut(string(text), "\n")
				os.WriteFile(cfg.path, []byte("data-dir = "+quoted(cfg.dataDir)+"\n"+rest), 0o600)
			}
			for _, args := range [][]string{{"config", "check", cfg.path}, {"--config", cfg.path, "-d", "--foreground"}} {
				r := runMailgate(t, 20*time.Second, "", args...)
				if r.code != 78 {
					t.Errorf("%q: exit %d, want 78; stderr %q", args, r.code, r.stderr)
				}
				if want := cfg.path + tc.want; !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, open+" is writable by everyone") {
					t.Errorf("%q: stderr %q; want %q and the directory at fault", args, r.stderr, want)
				}
			}
			if _, err := os.Stat(cfg.dataDir); !os.IsNotExist(err) {
				t.Errorf("the refused start made the data directory: %v", err)
			}
		})
	}
}
