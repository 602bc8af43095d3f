package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// script writes an executable shell script and returns its path.
func script(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "prog")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// expandForTest replaces ${name} references, as config.Expand does.
func expandForTest(arg string, vars map[string]string) string {
	for k, v := range vars {
		arg = strings.ReplaceAll(arg, "${"+k+"}", v)
	}
	return arg
}

func TestProgramPreauth(t *testing.T) {
	users, _, _ := loadForTest(t, writeUsers(t, "alice:"+cheapHash(t, "pw")+"\n"))
	conn := PreauthConn{Client: netip.MustParseAddrPort("192.0.2.1:40000"), Server: netip.MustParseAddrPort("127.0.0.1:1143")}
	out := filepath.Join(t.TempDir(), "args")
	for _, tc := range []struct {
		name string
		body string
		args []string
		user string
		err  error
	}{
		{"name on stdout", "echo alice\n", nil, "alice", nil},
		{"arguments expanded, never split", `printf '%s|' "$@" > ` + out + "\necho alice\n",
			[]string{"${client_address}", "${client_port}", "${server_address}:${server_port}", "a b;$(x)"}, "alice", nil},
		{"exit 1", "echo alice\nexit 1\n", nil, "", ErrNoIdentity},
		{"no name", "exit 0\n", nil, "", ErrNoIdentity},
		{"unknown user", "echo mallory\n", nil, "", ErrBadCredentials},
		{"bad name", "echo ../etc\n", nil, "", ErrBadCredentials},
		{"killed", "kill -9 $$\n", nil, "", ErrUnavailable},
		{"stderr to the log", "echo oops >&2\necho alice\n", nil, "alice", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &ProgramPreauth{Program: Program{Path: script(t, tc.body), Logger: slog.New(slog.DiscardHandler)},
				Args: tc.args, Expand: expandForTest, Users: users}
			u, err := p.Preauthenticate(context.Background(), conn, &Attempt{})
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("got %v, %v; want %v", u, err, tc.err)
				}
				return
			}
			if err != nil || u.Name != tc.user {
				t.Fatalf("got %v, %v", u, err)
			}
		})
	}
	if got, _ := os.ReadFile(out); string(got) != "192.0.2.1|40000|127.0.0.1:1143|a b;$(x)|" {
		t.Errorf("arguments %q", got)
	}
}

// A program that outlives its timeout is killed with its whole process
// group (a child it started included), and the preauth is unavailable.
func TestProgramTimeoutKillsGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child")
	p := &ProgramPreauth{Program: Program{Path: script(t, "sleep 60 &\necho $! > "+pidFile+"\nwait\n"),
		Timeout: 200 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}}
	_, err := p.Preauthenticate(context.Background(), PreauthConn{}, &Attempt{})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
	pid, _ := os.ReadFile(pidFile)
	if pid := strings.TrimSpace(string(pid)); pid != "" {
		// The child is gone, or a zombie of init's. SIGKILL is acted on
		// when the child next runs, which on a loaded machine can take a
		// moment: it shows "R" until then.
		var stat []byte
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			var err error
			stat, err = os.ReadFile("/proc/" + pid + "/stat")
			if err != nil || strings.Contains(string(stat), ") Z ") || time.Now().After(deadline) {
				break
			}
		}
		if len(stat) > 0 && !strings.Contains(string(stat), ") Z ") {
			if _, err := os.Stat("/proc/" + pid); err == nil {
				t.Errorf("child %s still runs 10s after the timeout: %s", pid, stat)
			}
		}
	}
}

func TestCommandTokens(t *testing.T) {
	c := &CommandTokens{Program: Program{Path: script(t, `read tok; [ "$tok" = good ] && echo alice`),
		Logger: slog.New(slog.DiscardHandler)}}
	if name, err := c.Verify(context.Background(), "good"); err != nil || name != "alice" {
		t.Errorf("good token: %q, %v", name, err)
	}
	if _, err := c.Verify(context.Background(), "bad"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("bad token: %v", err)
	}
	missing := &CommandTokens{Program: Program{Path: "/nonexistent/prog"}}
	if _, err := missing.Verify(context.Background(), "good"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("missing program: %v", err)
	}
}
