package imap_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/imap"
)

// preauthScript writes a preauth program that records each run (its
// arguments) in a file, and prints the user or fails as body says.
func preauthScript(t *testing.T, body string) (prog, runs string) {
	t.Helper()
	dir := t.TempDir()
	prog, runs = filepath.Join(dir, "preauth"), filepath.Join(dir, "runs")
	src := "#!/bin/sh\necho \"$@\" >> " + runs + "\n" + body
	if err := os.WriteFile(prog, []byte(src), 0o755); err != nil {
		t.Fatal(err)
	}
	return prog, runs
}

// greet connects and returns the greeting line, and the connection.
func (e *testEnv) greet() (*rawConn, string) {
	e.t.Helper()
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	rc := &rawConn{t: e.t, conn: c, r: bufio.NewReader(c)}
	return rc, rc.line()
}

func expandArgs(arg string, vars map[string]string) string {
	for k, v := range vars {
		arg = strings.ReplaceAll(arg, "${"+k+"}", v)
	}
	return arg
}

// Issue 10, item 1: a preauth program that prints a user name and exits
// 0 logs the connection in: the greeting is PREAUTH. One that exits 1
// leaves the OK greeting, and under preauth-only the connection gets BYE.
func TestPreauthProgram(t *testing.T) {
	for _, tc := range []struct {
		name  string
		body  string
		only  bool
		greet string
	}{
		{"user", "echo alice\n", false, "* PREAUTH "},
		{"no user", "exit 1\n", false, "* OK "},
		{"unknown user", "echo mallory\n", false, "* OK "},
		{"no user, preauth-only", "exit 1\n", true, "* BYE "},
		{"user, preauth-only", "echo bob\n", true, "* PREAUTH "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prog, runs := preauthScript(t, tc.body)
			e := startServer(t, func(o *imap.Options) {
				users := o.Authenticator.(*auth.UsersFile)
				o.Preauth = &auth.ProgramPreauth{Program: auth.Program{Path: prog, Logger: quietLogger()},
					Args:   []string{"${client_address}", "${client_port}", "${server_address}", "${server_port}"},
					Expand: expandArgs, Users: users}
				o.PreauthOnly = tc.only
			})
			c, greeting := e.greet()
			if !strings.HasPrefix(greeting, tc.greet) {
				t.Fatalf("greeting %q, want %q", greeting, tc.greet)
			}
			args, _ := os.ReadFile(runs)
			local := c.conn.LocalAddr().(*net.TCPAddr)
			if want := fmt.Sprintf("127.0.0.1 %d 127.0.0.1 %s\n", local.Port, e.addr[strings.LastIndexByte(e.addr, ':')+1:]); string(args) != want {
				t.Errorf("program arguments %q, want %q", args, want)
			}
			if strings.HasPrefix(greeting, "* PREAUTH") {
				c.ok("a SELECT INBOX")
			}
		})
	}
}

// Issue 10, items 1 and 7: under preauth-only every failure counts in the
// throttle; once the address is blocked the program is not even run.
func TestPreauthFailuresThrottled(t *testing.T) {
	prog, runs := preauthScript(t, "exit 1\n")
	throttle := auth.NewThrottle(&auth.ThrottleOptions{Limit: 100, AddressLimit: 2, Delay: time.Millisecond,
		MaxDelay: 5 * time.Millisecond, Logger: quietLogger()})
	e := startServer(t, func(o *imap.Options) {
		o.Preauth = &auth.ProgramPreauth{Program: auth.Program{Path: prog, Logger: quietLogger()},
			Users: o.Authenticator.(*auth.UsersFile)}
		o.PreauthOnly, o.Throttle = true, throttle
	})
	for i := range 4 {
		if _, g := e.greet(); !strings.HasPrefix(g, "* BYE") {
			t.Fatalf("connection %d: %q", i, g)
		}
	}
	data, _ := os.ReadFile(runs)
	if n := strings.Count(string(data), "\n"); n != 2 {
		t.Errorf("the program ran %d times, want 2 (then the address was blocked)", n)
	}
	if b := throttle.Blocks(); len(b) != 1 || b[0].User != "" {
		t.Errorf("blocks %+v", b)
	}
}

// Issue 10, item 1: ident preauth asks the client's ident server, here a
// small one in the test, which names alice.
func TestPreauthIdent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			fmt.Fprintf(c, "%s : USERID : UNIX : alice\r\n", strings.TrimSpace(line))
			c.Close()
		}
	}()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	e := startServer(t, func(o *imap.Options) {
		o.Preauth = &auth.IdentPreauth{Port: port, Timeout: 5 * time.Second, Users: o.Authenticator.(*auth.UsersFile), Logger: quietLogger()}
		o.PreauthOnly = true
	})
	if c, g := e.greet(); !strings.HasPrefix(g, "* PREAUTH") || !strings.Contains(g, "alice") {
		t.Fatalf("greeting %q", g)
	} else {
		c.ok("a SELECT INBOX")
	}
}
