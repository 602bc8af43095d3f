package gateway

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
)

// TestAllowedRacesReloadOfTCPWrappers: allowed (run in the listener's
// accept goroutine) loaded the live state twice: once to see whether
// tcp-wrappers are on, once to call them. A reload that turned them off
// in between made the second load a nil *auth.HostsAccess and the
// daemon panicked. A connection arriving while an administrator reloads
// was all it took.
func TestAllowedRacesReloadOfTCPWrappers(t *testing.T) {
	cfg, err := config.Parse([]byte("[[server]]\naddress = \"127.0.0.1:0\"\n"), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	allow := filepath.Join(dir, "hosts.allow")
	if err := os.WriteFile(allow, []byte("ALL: ALL\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	on := &liveState{cfg: cfg, auth: &authParts{hosts: &auth.HostsAccess{Daemon: "mailgate", AllowFile: allow,
		DenyFile: filepath.Join(dir, "hosts.deny")}}}
	off := &liveState{cfg: cfg, auth: &authParts{}}
	g := &Gateway{}
	g.live.Store(on)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cl, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { // reloads, as SIGHUP does
		for {
			select {
			case <-stop:
				return
			default:
			}
			g.live.Store(off)
			g.live.Store(on)
		}
	})
	defer func() {
		close(stop)
		wg.Wait()
		if p := recover(); p != nil {
			t.Fatalf("allowed panicked while a reload turned tcp-wrappers off: %v", p)
		}
	}()
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		g.allowed(c)
	}
}

// TestAcceptSurvivesAPanic: a panic while a connection is checked drops
// that connection and is logged; the listener goes on accepting, and the
// daemon (here, the test) lives on.
func TestAcceptSurvivesAPanic(t *testing.T) {
	cfg, err := config.Parse([]byte("[[server]]\naddress = \"127.0.0.1:0\"\n"), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer // written by Accept's goroutine, read once it has handed over a connection
	g := &Gateway{log: slog.New(slog.NewTextHandler(&logged, nil))}
	g.live.Store(&liveState{cfg: cfg}) // no authParts: allowed dereferences nil
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	gl := &guardedListener{Listener: ln, g: g, l: Listener{Unlimited: true}}

	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := gl.Accept()
		if err != nil {
			t.Errorf("Accept: %v", err)
		}
		accepted <- c
	}()
	first, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	first.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := first.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("the connection whose check panicked: read %d, %v; want it closed", n, err)
	}
	g.live.Store(&liveState{cfg: cfg, auth: &authParts{}}) // fixed
	second, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	select {
	case c := <-accepted:
		if c == nil {
			t.Fatal("no connection")
		}
		if c.RemoteAddr().String() != second.LocalAddr().String() {
			t.Errorf("accepted %v; want the second client %v", c.RemoteAddr(), second.LocalAddr())
		}
		c.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("Accept gave up after the panic")
	}
	if !strings.Contains(logged.String(), "panicked") {
		t.Errorf("the panic is not logged: %q", logged.String())
	}
}
