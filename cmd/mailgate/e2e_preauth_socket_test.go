package main_test

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// startInetdTCP runs mailgate with args on an accepted TCP connection, as
// inetd starts it for a client from the network: the socket is fds 0 and
// 1, standard error goes to stderr. It returns the client's end.
func startInetdTCP(t *testing.T, stderr *lockedBuffer, args ...string) (client net.Conn, exited <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	f, err := server.(*net.TCPConn).File()
	server.Close()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(mailgateBin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = f, f, stderr
	err = cmd.Start()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	waited := make(chan struct{})
	go func() { done <- cmd.Wait(); close(waited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-waited
	})
	return client, done
}

// TestStdioPreauthNeverOnANetworkSocket: PREAUTH as the invoking user is
// for that user's own pipe or terminal (ssh, a tunnel command, -i typed
// at a shell). On inetd's socket anyone may be at the other end: with
// preauth = "stdio" a client from the network got "* PREAUTH ... logged
// in as root" under inetd (security review D2). Now the client must log
// in; --preauth refuses to serve; preauth-only says BYE.
func TestStdioPreauthNeverOnANetworkSocket(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, top string
		args      []string
		greeting  string // prefix; "" when mailgate must exit without one
	}{
		{"config", `preauth = "stdio"`, []string{"-i"}, "* OK "},
		{"preauth-only", "preauth = \"stdio\"\npreauth-only = true", []string{"-i"}, "* BYE"},
		{"flag", "", []string{"--preauth"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := writeConfig(t, "", tc.top, "")
			var stderr lockedBuffer
			conn, exited := startInetdTCP(t, &stderr, append([]string{"--config", cfg.path}, tc.args...)...)
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			l, err := bufio.NewReader(conn).ReadString('\n')
			if tc.greeting == "" {
				if err == nil {
					t.Errorf("--preauth on a network socket answered %q", l)
				}
				select {
				case err := <-exited:
					if err == nil {
						t.Error("--preauth on a network socket exited 0")
					}
				case <-time.After(10 * time.Second):
					t.Fatal("mailgate still runs")
				}
			} else if !strings.HasPrefix(l, tc.greeting) {
				t.Errorf("greeting %q (%v), want %q...", l, err, tc.greeting)
			}
			// An inetd session logs to syslog; --preauth's refusal
			// comes before the session and names its reason here.
			if tc.greeting == "" && !strings.Contains(stderr.String(), "a network connection from 127.0.0.1:") {
				t.Errorf("the log does not say why there was no PREAUTH:\n%s", stderr.String())
			}
		})
	}
}

// TestStdioPreauthOnOwnSocket: a Unix-domain socket whose peer runs as
// the invoking user (ssh's, a tunnel's socketpair) still gets PREAUTH when
// --preauth asks for it on the command line.
func TestStdioPreauthOnOwnSocket(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, "", "", "")
	var stderr lockedBuffer
	conn, _, _ := startInetd(t, &stderr, nil, "--config", cfg.path, "--preauth")
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	l, err := bufio.NewReader(conn).ReadString('\n')
	if !strings.HasPrefix(l, "* PREAUTH") {
		t.Errorf("greeting %q (%v), want PREAUTH\n%s", l, err, stderr.String())
	}
}

// TestStdioPreauthNotAsRootThroughARelay: preauth = "stdio" on a socket
// or pipe of root's is a relay's (socat TCP-LISTEN EXEC:"mailgate -i",
// stunnel's exec=) as often as root's own, and the relay carries anyone:
// a client got PREAUTH as root through one (security review of the
// fixes, S2). As root only a terminal or --preauth gives PREAUTH.
func TestStdioPreauthNotAsRootThroughARelay(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the case is root's")
	}
	t.Parallel()
	cfg := writeConfig(t, "", `preauth = "stdio"`, "")
	var stderr lockedBuffer
	conn, _, _ := startInetd(t, &stderr, nil, "--config", cfg.path, "-i")
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	l, err := bufio.NewReader(conn).ReadString('\n')
	if !strings.HasPrefix(l, "* OK ") {
		t.Errorf("greeting %q (%v) through a root relay's socketpair, want * OK and a login", strings.TrimSpace(l), err)
	}
}
