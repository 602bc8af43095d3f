package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/lmtp/lmtptest"
	"golang.org/x/sys/unix"
)

// TestEmbedBuildsAndServes builds the example and runs it: a message
// delivered over its LMTP socket is in the INBOX that its IMAP serves,
// its own ping frontend answers beside them, and SIGTERM stops it
// cleanly (issue 12 section 5).
func TestEmbedBuildsAndServes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "embed")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	sockDir, err := os.MkdirTemp("", "embed")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(sockDir)
	sock := filepath.Join(sockDir, "lmtp.sock")
	cmd := exec.CommandContext(ctx, bin, "-data-dir", filepath.Join(dir, "data"), "-imap", "127.0.0.1:0", "-lmtp", sock, "-ping", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("embed's log:\n%s", stderr.String())
		}
	}()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var password string
	var addrs []string
	for len(addrs) < 3 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("embed exited before it listened")
			}
			if p, ok := strings.CutPrefix(l, "user mailgate password "); ok {
				password = p
			} else if a, ok := strings.CutPrefix(l, "listening "); ok {
				addrs = append(addrs, a)
			}
		case <-ctx.Done():
			t.Fatal("embed did not listen in time")
		}
	}
	imapAddr, lmtpAddr, pingAddr := addrs[0], addrs[1], addrs[2]
	if password == "" || lmtpAddr != sock {
		t.Fatalf("password %q, addresses %q", password, addrs)
	}

	c, err := lmtptest.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	res, err := lmtptest.Send(c, "s@example.net", []string{"mailgate@example.org"}, "Subject: embedded\r\n\r\nHello.\r\n")
	c.Close()
	if err != nil || res.Data["mailgate@example.org"] != "250" {
		t.Fatalf("LMTP delivery: %v %+v", err, res)
	}
	i, err := lmtptest.IdleOn(imapAddr, "mailgate", password)
	if err != nil {
		t.Fatal(err)
	}
	if ex := i.Exists(); len(ex) == 0 || ex[len(ex)-1] != 1 {
		t.Errorf("IMAP SELECT INBOX: EXISTS %v; want 1", ex)
	}
	i.Close()

	pc, err := net.DialTimeout("tcp", pingAddr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	pc.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(pc, "PING\r\n")
	r := bufio.NewReader(pc)
	for _, want := range []string{"PING ready", "PONG"} {
		if l, err := r.ReadString('\n'); strings.TrimSpace(l) != want {
			t.Errorf("ping frontend said %q (%v); want %q", l, err, want)
		}
	}
	pc.Close()

	floodPing(t, cmd.Process.Pid, pingAddr)

	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("embed after SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Error("embed did not stop within 15s of SIGTERM")
	}
}

// floodPing uses up the program's file descriptors with connections to
// the ping frontend, whose accept loop is as naive as an embedder's may
// be, then checks that the gateway waited the exhaustion out for it: once
// the flood is gone, a new client is greeted.
func floodPing(t *testing.T, pid int, addr string) {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Logf("no flood: cannot count the descriptors: %v", err)
		return
	}
	limit := uint64(len(fds) + 6)
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: limit, Max: limit}, nil); err != nil {
		t.Logf("no flood: cannot lower the descriptor limit: %v", err)
		return
	}
	var flood []net.Conn
	for i := 0; i < 20; i++ {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			break
		}
		flood = append(flood, c)
	}
	greeted := 0
	for _, c := range flood {
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if l, _ := bufio.NewReader(c).ReadString('\n'); strings.HasPrefix(l, "PING ready") {
			greeted++
		}
	}
	for _, c := range flood {
		c.Close()
	}
	if greeted == len(flood) {
		t.Fatalf("all %d connections were greeted: the descriptor limit did not bite", greeted)
	}
	time.Sleep(300 * time.Millisecond)
	pc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial after the flood: %v", err)
	}
	defer pc.Close()
	pc.SetDeadline(time.Now().Add(10 * time.Second))
	if l, err := bufio.NewReader(pc).ReadString('\n'); !strings.HasPrefix(l, "PING ready") {
		t.Fatalf("after the flood the ping frontend said %q (%v); want its greeting", l, err)
	}
}
