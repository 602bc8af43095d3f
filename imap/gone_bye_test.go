package imap_test

import (
	"bufio"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
	"github.com/mailgate/mailgate/storage/mbox"
	"github.com/mailgate/mailgate/storage/mh"
)

// byeEnv starts a server whose new mailboxes are of typ, whose INBOX is
// an mbox in a spool directory (as /var/mail/$user) and whose mbox locks
// are not retried when busy.
func byeEnv(t *testing.T, typ string) (e *testEnv, spool string) {
	t.Helper()
	return byeEnvValidities(t, typ, nil)
}

// byeEnvValidities is byeEnv whose mbox driver takes UIDVALIDITYs from
// uv (as the gateway's, shared by every process through a file).
func byeEnvValidities(t *testing.T, typ string, uv *storage.UIDValidities) (e *testEnv, spool string) {
	t.Helper()
	e = startServerStore(t, func(root string, o *storage.Options) {
		log := quietLogger()
		opts := mbox.Options{Logger: log, RetryCount: -1, RetrySleep: time.Millisecond}
		if uv != nil {
			opts.UIDValidity = uv.Next
		}
		o.Drivers = []storage.Driver{maildir.New(), mh.New(), mbox.New(opts)}
	}, func(root string, l *storage.Layout) {
		spool = filepath.Join(root, "var-mail")
		os.MkdirAll(spool, 0o1777)
		l.DefaultType = typ
		l.Inbox = "mbox:" + spool + "/$user"
	}, nil)
	return e, spool
}

// expectNoBye sends NOOP and wants its OK: the session goes on.
func (c *rawConn) expectNoBye(tag, why string) []string {
	c.t.Helper()
	c.send(tag + " NOOP")
	var before []string
	for {
		l := c.line()
		if strings.HasPrefix(l, "* BYE ") {
			c.t.Fatalf("%s: %q (a false BYE); before: %q", why, l, before)
		}
		if strings.HasPrefix(l, tag+" ") {
			if !strings.HasPrefix(l, tag+" OK") {
				c.t.Fatalf("%s: %q", why, l)
			}
			return before
		}
		before = append(before, l)
	}
}

// TestGoneFailedDelete: a DELETE that fails (another program holds
// the mbox's dot lock: mutt, procmail) is answered NO and changes
// nothing; yet the deleting session, and every other session that has
// the mailbox selected, are told "* BYE Selected mailbox was deleted".
func TestGoneFailedDelete(t *testing.T) {
	for _, op := range []string{"DELETE box", "RENAME box other"} {
		t.Run(strings.Fields(op)[0], func(t *testing.T) {
			e, _ := byeEnv(t, "mbox")
			a := e.raw()
			p := selectBox(t, e, a, "box")
			b := e.raw()
			b.login("alice")
			b.ok("s SELECT box")
			lock := p + ".lock"
			if err := os.WriteFile(lock, []byte(strconv.Itoa(os.Getppid())+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			_, done := a.do("d " + op)
			os.Remove(lock)
			if strings.HasPrefix(done, "d OK") {
				t.Fatalf("%s under another program's lock: %q", op, done)
			}
			if strings.Contains(done, e.root) {
				t.Errorf("the NO tells the client a server path: %q", done)
			}
			b.expectNoBye("n1", "the other session after a failed "+op)
			a.expectNoBye("n2", "the session whose "+op+" failed")
		})
	}
}

// TestGoneDeleteParent: DELETE par leaves par/box (its children
// stay); a session that has par/box selected must go on.
func TestGoneDeleteParent(t *testing.T) {
	for _, typ := range []string{"maildir", "mh"} {
		t.Run(typ, func(t *testing.T) {
			e, _ := byeEnv(t, typ)
			a := e.raw()
			a.login("alice")
			a.ok("c1 CREATE par")
			a.ok("c2 CREATE par/box")
			a.appendMsg("par/box", "", testMessage("mine", "x"))
			a.ok("s SELECT par/box")
			b := e.raw()
			b.login("alice")
			b.ok("d DELETE par")
			if u := b.ok("st STATUS par/box (MESSAGES)"); len(u) == 0 || !strings.Contains(u[0], "MESSAGES 1") {
				t.Fatalf("par/box after DELETE par: %q", u)
			}
			a.expectNoBye("n1", "a session of par/box after DELETE par")
		})
	}
}

// TestGoneSpoolEmptied: an INBOX in /var/mail whose file the mail
// client removes when it empties (mutt with save_empty unset, mailx
// without keep, movemail) and the MDA makes again at the next delivery.
// The user's IMAP client must not be thrown out each time (GNU imap4d,
// whose INBOX this is, reads a missing spool file as an empty mailbox).
func TestGoneSpoolEmptied(t *testing.T) {
	e, spool := byeEnv(t, "mbox")
	c := e.raw()
	c.login("alice")
	c.appendMsg("INBOX", "", testMessage("one", "x"))
	c.ok("s SELECT INBOX")
	p := filepath.Join(spool, "alice")
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	c.expectNoBye("n1", "the spool file removed when empty")
	if err := os.WriteFile(p, []byte("From bob@example.org Mon Dec  7 12:00:00 2026\nSubject: two\n\nbody\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.expectNoBye("n2", "the spool file made again by a delivery")
}

// TestGoneIdleCheckNoLeak: many sessions IDLE with the 30 s look
// shortened; some leave IDLE with DONE and LOGOUT, the others drop the
// connection mid-IDLE. Nothing of the look may stay behind: the
// goroutines go back to where they were, and no session was told BYE.
func TestGoneIdleCheckNoLeak(t *testing.T) {
	defer imap.SetGoneCheckEvery(5 * time.Millisecond)()
	e, _ := byeEnv(t, "maildir")
	first := e.raw()
	selectBox(t, e, first, "box")
	first.ok("u UNSELECT")
	time.Sleep(100 * time.Millisecond)
	base := runtime.NumGoroutine()
	const n = 40
	conns := make([]*rawConn, n)
	for i := range conns {
		c := e.raw()
		c.login("alice")
		c.ok("s SELECT box")
		c.send("i IDLE")
		if l := c.line(); !strings.HasPrefix(l, "+") {
			t.Fatalf("IDLE: %q", l)
		}
		conns[i] = c
	}
	time.Sleep(200 * time.Millisecond) // some 40 looks each
	for i, c := range conns {
		if i%2 == 0 {
			c.send("DONE")
			for {
				l := c.line()
				if strings.HasPrefix(l, "* BYE") {
					t.Fatalf("a false BYE in IDLE: %q", l)
				}
				if strings.HasPrefix(l, "i ") {
					break
				}
			}
			c.ok("o LOGOUT")
		}
		c.conn.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > base+2 {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: %d before, %d after\n%s", base, g, buf[:runtime.Stack(buf, true)])
	}
}

// noDeadlineConn is a connection without read deadlines, as inetd mode
// on pipes gives a session.
type noDeadlineConn struct{ net.Conn }

func (noDeadlineConn) SetDeadline(time.Time) error     { return errors.New("pipe: no deadlines") }
func (noDeadlineConn) SetReadDeadline(time.Time) error { return errors.New("pipe: no deadlines") }

// pipeClient returns the client's end of a pipe whose other end, a
// connection without read deadlines, serve runs a session on.
func pipeClient(t *testing.T, serve func(server net.Conn)) *rawConn {
	t.Helper()
	client, server := net.Pipe()
	t.Cleanup(func() { client.Close() })
	client.SetDeadline(time.Now().Add(10 * time.Second)) // a broken test fails, not hangs
	go serve(noDeadlineConn{server})
	return &rawConn{t: t, conn: client, r: bufio.NewReader(client), wait: 5 * time.Second}
}

// TestGoneIdleOnPipe: a session on pipes (inetd mode) that IDLEs on a
// maildir which another program moves away is told BYE by the idle
// look, as a session on a socket is: its wait cannot be cut short, and
// it hears the news through the view's wake instead.
func TestGoneIdleOnPipe(t *testing.T) {
	defer imap.SetGoneCheckEvery(20 * time.Millisecond)()
	e, _ := byeEnv(t, "maildir")
	setup := e.raw()
	setup.login("alice")
	setup.ok("c CREATE box")
	setup.ok("o LOGOUT")
	u, ok := e.users.Lookup("alice")
	if !ok {
		t.Fatal("no alice")
	}
	c := pipeClient(t, func(server net.Conn) { e.srv.ServeConn(server, u) }) // preauth, as stdio
	if g := c.line(); !strings.HasPrefix(g, "* PREAUTH ") {
		t.Fatalf("greeting %q", g)
	}
	c.ok("s SELECT box")
	// Looks while the mailbox is there change nothing, and DONE ends
	// the IDLE as ever.
	c.send("i0 IDLE")
	if l := c.line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("IDLE: %q", l)
	}
	time.Sleep(100 * time.Millisecond)
	c.send("DONE")
	if l := c.line(); !strings.HasPrefix(l, "i0 OK") {
		t.Fatalf("DONE: %q", l)
	}
	c.send("i IDLE")
	if l := c.line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("IDLE: %q", l)
	}
	// Past the re-reads that SELECT and IDLE bring: only the idle look
	// finds what follows.
	time.Sleep(500 * time.Millisecond)
	home := filepath.Join(e.root, "alice")
	if err := os.Rename(filepath.Join(home, "box"), filepath.Join(home, "elsewhere")); err != nil {
		t.Fatal(err)
	}
	c.wait = 3 * time.Second
	if l := c.line(); !strings.HasPrefix(l, "* BYE ") {
		t.Fatalf("IDLE on a pipe, the maildir moved away: %q, want BYE", l)
	}
}

// TestGoneResumeTransient: a session woken from hibernation whose
// mailbox cannot be opened for a moment (here another program holds
// the mbox's dot lock, and the driver does not wait) tries again and
// goes on; when it still cannot, its BYE says so, not that the mailbox
// changed (which would have the client throw away what it knows).
func TestGoneResumeTransient(t *testing.T) {
	for _, held := range []time.Duration{150 * time.Millisecond, time.Hour} {
		t.Run(held.String(), func(t *testing.T) {
			e, spool := byeEnv(t, "mbox")
			// The process that hibernated the session: a store of its own.
			log := quietLogger()
			ost := storage.New(storage.Options{Drivers: []storage.Driver{mbox.New(mbox.Options{Logger: log})}, Logger: log})
			home := filepath.Join(e.root, "alice")
			os.MkdirAll(home, 0o700)
			other := ost.Account(storage.User{Name: "alice", Home: home},
				&storage.Layout{DefaultType: "mbox", Inbox: "mbox:" + spool + "/$user"})
			if err := other.Create("box"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := other.Append("box", strings.NewReader("Subject: mine\r\n\r\nx\r\n"), nil, time.Time{}); err != nil {
				t.Fatal(err)
			}
			v, err := other.Select("box", false)
			if err != nil {
				t.Fatal(err)
			}
			vs, ok := v.State()
			v.Close()
			ost.Close()
			if !ok {
				t.Fatal("no view state")
			}
			lock := filepath.Join(home, "box") + ".lock"
			if err := os.WriteFile(lock, []byte(strconv.Itoa(os.Getppid())+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			defer os.Remove(lock)
			if held < time.Hour {
				time.AfterFunc(held, func() { os.Remove(lock) })
			}
			u, ok := e.users.Lookup("alice")
			if !ok {
				t.Fatal("no alice")
			}
			c := pipeClient(t, func(server net.Conn) {
				e.srv.Resume(server, &imap.SessionState{User: *u, Mailbox: "box", View: vs}, nil)
			})
			if held < time.Hour {
				c.ok("n NOOP")
				if u := c.ok("f UID FETCH 1:* (UID)"); len(u) != 1 || !strings.Contains(u[0], "UID 1") {
					t.Errorf("resumed: %q", u)
				}
				return
			}
			if l := c.line(); l != "* BYE The mailbox cannot be opened right now; try again later" {
				t.Errorf("resumed under a lock held on: %q", l)
			}
		})
	}
}
