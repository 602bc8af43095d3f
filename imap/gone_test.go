package imap_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
	"github.com/mailgate/mailgate/storage/mbox"
	"github.com/mailgate/mailgate/storage/mh"
)

// goneFormats are the mailbox formats a selected mailbox can go from.
var goneFormats = []string{"maildir", "mh", "mbox"}

// goneLayout makes new mailboxes, and INBOX, of typ.
func goneLayout(typ string) func(string, *storage.Layout) {
	return func(_ string, l *storage.Layout) {
		l.DefaultType = typ
		l.Inbox = typ + ":$home/INBOX"
	}
}

// goneEnv starts a server whose new mailboxes (and INBOX) are of typ.
func goneEnv(t *testing.T, typ string) *testEnv {
	t.Helper()
	return startServerLayout(t, goneLayout(typ), nil)
}

// otherProgram is alice's account as another mail program on the same
// files sees it: a store of its own.
func otherProgram(t *testing.T, e *testEnv, typ string) *storage.Account {
	t.Helper()
	log := quietLogger()
	st := storage.New(storage.Options{Drivers: []storage.Driver{
		maildir.New(), mh.New(), mbox.New(mbox.Options{Logger: log, RetrySleep: 50 * time.Millisecond}),
	}, Logger: log})
	t.Cleanup(func() { st.Close() })
	layout := &storage.Layout{}
	goneLayout(typ)(e.root, layout)
	return st.Account(storage.User{Name: "alice", Home: filepath.Join(e.root, "alice")}, layout)
}

// selectBox logs c in as alice, creates box with one message and
// selects it; it returns the mailbox's path.
func selectBox(t *testing.T, e *testEnv, c *rawConn, box string) string {
	t.Helper()
	c.login("alice")
	c.ok("c CREATE " + box)
	c.appendMsg(box, "", testMessage("mine", "x"))
	c.ok("s SELECT " + box)
	p := filepath.Join(e.root, "alice", filepath.FromSlash(box))
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the mailbox is not where the test looks: %v", err)
	}
	return p
}

// readBye reads lines until "* BYE", and then the end of the
// connection; it returns the lines before the BYE and the BYE itself.
// within bounds the wait (a prompt goodbye during IDLE).
func (c *rawConn) readBye(within time.Duration) (before []string, bye string) {
	c.t.Helper()
	old := c.wait
	c.wait = within
	defer func() { c.wait = old }()
	for {
		l := c.line()
		if strings.HasPrefix(l, "* BYE ") {
			bye = l
			break
		}
		before = append(before, l)
	}
	c.expectEnd(bye)
	return before, bye
}

// expectEnd checks that the connection ends after the goodbye bye.
func (c *rawConn) expectEnd(bye string) {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if rest, err := c.r.ReadString('\n'); !errors.Is(err, io.EOF) {
		c.t.Errorf("after %q: read %q, %v; want the end of the connection", bye, rest, err)
	}
}

// noopUntilBye sends NOOPs until the answer is BYE, as a client that
// polls does, for a change that another program made and the server
// may see a moment later; it returns what came before the BYE (nothing
// expected but NOOP's OK) and the BYE.
func (c *rawConn) noopUntilBye() (before []string, bye string) {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		tag := "n" + strconvItoa(i)
		c.send(tag + " NOOP")
		for {
			l := c.line()
			if strings.HasPrefix(l, "* BYE ") {
				c.expectEnd(l)
				return before, l
			}
			if strings.HasPrefix(l, tag+" ") {
				break
			}
			before = append(before, l)
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("no BYE in 10 seconds; before: %q", before)
	return nil, ""
}

// awaitBye waits for the goodbye of a change another program made: in
// IDLE, as it comes (readBye); else at a next command (noopUntilBye).
func (c *rawConn) awaitBye(idle bool) (before []string, bye string) {
	c.t.Helper()
	if idle {
		return c.readBye(10 * time.Second)
	}
	return c.noopUntilBye()
}

// TestGoneOtherSessionBye: when another session deletes or renames the
// selected mailbox, or a mailbox above it, the session hears BYE at its
// next command, which does not run (no tagged answer), and the
// connection closes.
func TestGoneOtherSessionBye(t *testing.T) {
	cases := []struct {
		name, box, change, want string
	}{
		{"delete", "box", "d DELETE box", "* BYE Selected mailbox was deleted, have to disconnect."},
		{"rename", "box", "r RENAME box other", "* BYE Selected mailbox was renamed, have to disconnect."},
		{"rename parent", "par/box", "r RENAME par other", "* BYE Selected mailbox was renamed, have to disconnect."},
	}
	for _, typ := range goneFormats {
		for _, tc := range cases {
			t.Run(typ+"/"+tc.name, func(t *testing.T) {
				e := goneEnv(t, typ)
				a, b := e.raw(), e.raw()
				selectBox(t, e, a, tc.box)
				b.login("alice")
				b.ok(tc.change)
				a.send("f FETCH 1 (FLAGS BODY.PEEK[])")
				before, bye := a.readBye(10 * time.Second)
				if bye != tc.want || len(before) > 0 {
					t.Errorf("after %s: %q then %q; want only %q", tc.change, before, bye, tc.want)
				}
			})
		}
	}
}

// TestGoneLeaveBySelect: a session whose selected mailbox another
// session deleted may still list the mailboxes and select another one,
// as with Dovecot: only a command on the gone mailbox ends it.
func TestGoneLeaveBySelect(t *testing.T) {
	for _, typ := range goneFormats {
		t.Run(typ, func(t *testing.T) {
			e := goneEnv(t, typ)
			a, b := e.raw(), e.raw()
			selectBox(t, e, a, "box")
			b.login("alice")
			b.ok("d DELETE box")
			for _, l := range a.ok(`l LIST "" *`) {
				if !strings.HasPrefix(l, "* LIST ") || strings.HasSuffix(l, " box") {
					t.Errorf("LIST after the DELETE: %q", l)
				}
			}
			a.ok("s SELECT INBOX")
			if u := a.ok("n NOOP"); len(u) > 0 {
				t.Errorf("NOOP in INBOX: %q", u)
			}
			a.ok("o LOGOUT")
		})
	}
}

// TestGoneOtherSessionIdle: a session in IDLE hears BYE as soon as
// another session deletes or renames its mailbox.
func TestGoneOtherSessionIdle(t *testing.T) {
	for _, typ := range goneFormats {
		for _, change := range []string{"d DELETE box", "r RENAME box other"} {
			t.Run(typ+"/"+strings.Fields(change)[1], func(t *testing.T) {
				e := goneEnv(t, typ)
				a, b := e.raw(), e.raw()
				selectBox(t, e, a, "box")
				a.idle("i")
				b.login("alice")
				b.ok(change)
				before, bye := a.readBye(3 * time.Second)
				if !strings.HasPrefix(bye, "* BYE Selected mailbox was") || len(before) > 0 {
					t.Errorf("IDLE after %s: %q then %q", change, before, bye)
				}
			})
		}
	}
}

// TestGoneNotifyWait: a session waiting for its client's next command
// with NOTIFY on the selected mailbox hears BYE as soon as another
// session deletes the mailbox, or another program moves it away.
func TestGoneNotifyWait(t *testing.T) {
	defer imap.SetGoneCheckEvery(200 * time.Millisecond)()
	for _, typ := range goneFormats {
		for _, how := range []string{"delete", "move"} {
			t.Run(typ+"/"+how, func(t *testing.T) {
				e := goneEnv(t, typ)
				a, b := e.raw(), e.raw()
				p := selectBox(t, e, a, "box")
				a.ok("n NOTIFY SET (selected (MessageNew MessageExpunge FlagChange))")
				time.Sleep(300 * time.Millisecond) // waiting, watched
				if how == "delete" {
					b.login("alice")
					b.ok("d DELETE box")
				} else if err := os.Rename(p, p+".old"); err != nil {
					t.Fatal(err)
				}
				before, bye := a.readBye(5 * time.Second)
				if !strings.HasPrefix(bye, "* BYE Selected mailbox was") || len(before) > 0 {
					t.Errorf("%q then %q", before, bye)
				}
			})
		}
	}
}

// TestGoneOwnDelete: a session that deletes its own selected mailbox
// gets the command's OK, then BYE, as Dovecot's cmd-delete.c does. One
// that renames it gets the OK and may go on elsewhere (SELECT), as with
// Dovecot; a command on the mailbox gets BYE. Nothing of the mailbox is
// written again at its old place once the session ended.
func TestGoneOwnDelete(t *testing.T) {
	for _, typ := range goneFormats {
		for _, change := range []string{"d DELETE box", "r RENAME box other", "r RENAME box other;s SELECT INBOX"} {
			t.Run(typ+"/"+change, func(t *testing.T) {
				e := goneEnv(t, typ)
				a := e.raw()
				selectBox(t, e, a, "box")
				cmds := strings.Split(change, ";")
				if strings.Contains(change, "DELETE") {
					a.send(cmds[0])
					before, bye := a.readBye(10 * time.Second)
					if len(before) != 1 || !strings.HasPrefix(before[0], "d OK") || bye != "* BYE Selected mailbox was deleted, have to disconnect." {
						t.Errorf("DELETE of the selected mailbox: %q then %q; want the OK, then BYE", before, bye)
					}
				} else {
					a.ok(cmds[0])
					if len(cmds) > 1 {
						a.ok(cmds[1])
						a.ok("n NOOP")
						a.ok("o LOGOUT")
					} else {
						a.send("n NOOP")
						before, bye := a.readBye(10 * time.Second)
						if len(before) > 0 || bye != "* BYE Selected mailbox was renamed, have to disconnect." {
							t.Errorf("NOOP after RENAME of the selected mailbox: %q then %q", before, bye)
						}
					}
				}
				c := e.raw()
				c.login("alice")
				u := c.ok("l LIST \"\" *")
				for _, l := range u {
					if strings.HasSuffix(l, " box") {
						t.Errorf("box still listed after %s: %q", change, u)
					}
				}
				time.Sleep(100 * time.Millisecond)
				left, _ := filepath.Glob(filepath.Join(e.root, "alice", "box*"))
				side, _ := filepath.Glob(filepath.Join(e.root, "alice", ".box*"))
				left = append(left, side...)
				if len(left) > 0 {
					t.Errorf("left after %s: %q", change, left)
				}
			})
		}
	}
}

// TestGoneRenameInboxStays: RENAME INBOX moves INBOX's messages and
// leaves INBOX: a session with INBOX selected hears the EXPUNGE and goes
// on.
func TestGoneRenameInboxStays(t *testing.T) {
	for _, typ := range goneFormats {
		t.Run(typ, func(t *testing.T) {
			e := goneEnv(t, typ)
			a, b := e.raw(), e.raw()
			a.login("alice")
			a.appendMsg("INBOX", "", testMessage("one", "x"))
			a.ok("s SELECT INBOX")
			b.login("alice")
			b.ok("r RENAME INBOX old")
			u, done := a.do("n NOOP")
			if !strings.HasPrefix(done, "n OK") || !contains(u, "* 1 EXPUNGE") {
				t.Errorf("NOOP after RENAME INBOX: %q %q", u, done)
			}
			a.appendMsg("INBOX", "", testMessage("two", "y"))
			u = a.ok("n2 NOOP")
			a.ok("f FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
			a.ok("o LOGOUT")
			_ = u
		})
	}
}

// TestGoneAnotherProgram: another program removes the selected
// mailbox's directory (or mbox file), or moves it away, or moves it away
// and puts a new one of the same name in its place: the session hears
// BYE at its next command, and, in IDLE, as soon as the change is seen.
func TestGoneAnotherProgram(t *testing.T) {
	// A maildir moved away is found by the idling session's own look.
	defer imap.SetGoneCheckEvery(200 * time.Millisecond)()
	changes := map[string]func(t *testing.T, e *testEnv, p string){
		"remove": func(t *testing.T, _ *testEnv, p string) {
			if err := os.RemoveAll(p); err != nil {
				t.Fatal(err)
			}
		},
		"move": func(t *testing.T, _ *testEnv, p string) {
			if err := os.Rename(p, p+".old"); err != nil {
				t.Fatal(err)
			}
		},
		"recreate": func(t *testing.T, e *testEnv, p string) { recreate(t, e, typeOf(p), p) },
	}
	for _, typ := range goneFormats {
		for name, change := range changes {
			if typ == "mbox" && name == "recreate" {
				continue // the same mailbox to IMAP: TestGoneMboxRecreated
			}
			for _, idle := range []bool{false, true} {
				mode := "next command"
				if idle {
					mode = "idle"
				}
				t.Run(typ+"/"+name+"/"+mode, func(t *testing.T) {
					e := goneEnv(t, typ)
					a := e.raw()
					p := selectBox(t, e, a, "box")
					if idle {
						a.idle("i")
						// The mailbox is watched and settled: the
						// change is a new one to the watch.
						time.Sleep(300 * time.Millisecond)
					}
					change(t, e, p)
					before, bye := a.awaitBye(idle)
					if !strings.HasPrefix(bye, "* BYE Selected mailbox was") {
						t.Errorf("BYE %q", bye)
					}
					for _, l := range before {
						// Nothing of the new mailbox: no EXISTS, no
						// EXPUNGE of the old one's messages.
						t.Errorf("before the BYE: %q", l)
					}
				})
			}
		}
	}
}

// TestGoneMboxRecreated: an mbox file made anew at the selected
// mailbox's path by another program is the same mailbox to IMAP: the
// core keeps its UIDVALIDITY beside it and hands out new UIDs, so the
// session hears the old message's EXPUNGE and the new one, and goes on.
func TestGoneMboxRecreated(t *testing.T) {
	e := goneEnv(t, "mbox")
	a := e.raw()
	recreate(t, e, "mbox", selectBox(t, e, a, "box"))
	var heard []string
	for deadline := time.Now().Add(10 * time.Second); !contains(heard, "* 1 EXISTS") && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		heard = append(heard, a.ok("n NOOP")...)
	}
	if !contains(heard, "* 1 EXPUNGE") || !contains(heard, "* 1 EXISTS") {
		t.Errorf("NOOPs: %q", heard)
	}
	u := a.ok("f FETCH 1 (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
	if len(u) == 0 || !strings.Contains(u[0], "UID 2 ") || !strings.Contains(strings.Join(u, " "), "theirs") {
		t.Errorf("FETCH of the new message: %q", u)
	}
}

// TestGoneUIDValidityReset: another program gives the selected maildir
// a new UIDVALIDITY (as a restore or a resync by another program does)
// with the same UIDs: the session hears BYE, never the same UIDs under
// another UIDVALIDITY (RFC 3501 section 2.3.1.1).
func TestGoneUIDValidityReset(t *testing.T) {
	for _, idle := range []bool{false, true} {
		t.Run(map[bool]string{false: "next command", true: "idle"}[idle], func(t *testing.T) {
			e := goneEnv(t, "maildir")
			a := e.raw()
			p := selectBox(t, e, a, "box")
			if idle {
				a.idle("i")
			}
			prop := filepath.Join(p, ".mu-prop")
			b, err := os.ReadFile(prop)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, l := range strings.Split(string(b), "\n") {
				if strings.HasPrefix(l, "uid-validity:") {
					l = "uid-validity: 1234567"
				}
				out = append(out, l)
			}
			if err := os.WriteFile(prop, []byte(strings.Join(out, "\n")), 0o600); err != nil {
				t.Fatal(err)
			}
			deliverFile(t, p, "1800000000.M1P1.other")
			before, bye := a.awaitBye(idle)
			if bye != "* BYE Selected mailbox was made anew (its UIDVALIDITY changed), have to disconnect." || len(before) > 0 {
				t.Errorf("%q then %q", before, bye)
			}
		})
	}
}

// recreate moves the mailbox box of format typ at p away and makes it
// anew with another message, as another mail program does.
func recreate(t *testing.T, e *testEnv, typ, p string) {
	t.Helper()
	o := otherProgram(t, e, typ)
	if err := os.Rename(p, p+".old"); err != nil {
		t.Fatal(err)
	}
	if err := o.Create("box"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := o.Append("box", strings.NewReader(testMessage("theirs", "y")), nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
}

// typeOf tells the format of the mailbox at p.
func typeOf(p string) string {
	fi, err := os.Stat(p)
	switch {
	case err == nil && !fi.IsDir():
		return "mbox"
	case err == nil:
		if _, err := os.Stat(filepath.Join(p, "cur")); err == nil {
			return "maildir"
		}
	}
	return "mh"
}
