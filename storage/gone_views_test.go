package storage_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
	"github.com/mailgate/mailgate/storage/mbox"
	"github.com/mailgate/mailgate/storage/mh"
)

// byeAccount is alice's account with mailboxes of typ and INBOX an mbox
// in a spool directory (as /var/mail/$user), whose busy locks are not
// retried.
func byeAccount(t *testing.T, typ string) (a *storage.Account, home, spool string) {
	t.Helper()
	return byeAccountWith(t, typ, mbox.Options{RetryCount: -1, RetrySleep: time.Millisecond}, storage.Options{})
}

// byeAccountWith is byeAccount with the mbox driver's options mo and the
// store's options so (their drivers and loggers set here; mbox flag
// changes are written at once unless mo.FlushDelay says otherwise).
func byeAccountWith(t *testing.T, typ string, mo mbox.Options, so storage.Options) (a *storage.Account, home, spool string) {
	t.Helper()
	root := t.TempDir()
	home, spool = filepath.Join(root, "home"), filepath.Join(root, "var-mail")
	os.MkdirAll(home, 0o700)
	os.MkdirAll(spool, 0o1777)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if mo.FlushDelay == 0 {
		mo.FlushDelay = -1 // flag changes written at once
	}
	mo.Logger = log
	so.Drivers, so.Logger = []storage.Driver{maildir.New(), mh.New(), mbox.New(mo)}, log
	s := storage.New(so)
	t.Cleanup(func() { s.Close() })
	layout := &storage.Layout{
		Inbox:       "mbox:" + spool + "/$user",
		DefaultType: typ,
		Personal:    storage.Namespace{Prefixes: []storage.Prefix{{Directory: "$home", Type: typ}}},
	}
	return s.Account(storage.User{Name: "alice", Home: home}, layout), home, spool
}

// selectNew creates the mailbox name with a message for each subject,
// and selects it; the view closes when the test ends.
func selectNew(t *testing.T, a *storage.Account, name string, subjects ...string) *storage.View {
	t.Helper()
	if err := a.Create(name); err != nil {
		t.Fatal(err)
	}
	for _, s := range subjects {
		if _, _, err := a.Append(name, msg(s), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	v, err := a.Select(name, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return v
}

// holdDotlock has another live program (this process's parent stands for
// it) hold the dot lock of the mbox at path, as mutt or procmail do
// while they write; it returns a function that releases it.
func holdDotlock(t *testing.T, path string) func() {
	t.Helper()
	lock := path + ".lock"
	if err := os.WriteFile(lock, []byte(strconv.Itoa(os.Getppid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return func() { os.Remove(lock) }
}

// TestGoneFailedDeleteOrRenameLeavesViews: a DELETE or RENAME that
// fails (here: another program holds the mbox's dot lock, and the
// driver gives up) leaves the mailbox and its messages where they were;
// the sessions that have it selected must go on. Account.Delete and
// Account.Rename call store.forget (which marks every view gone) before
// the driver's Delete/Rename, and never undo it: every session of the
// mailbox is told BYE although nothing went.
func TestGoneFailedDeleteOrRenameLeavesViews(t *testing.T) {
	for _, op := range []string{"delete", "rename"} {
		t.Run(op, func(t *testing.T) {
			a, home, _ := byeAccount(t, "mbox")
			v := selectNew(t, a, "box", "mine")
			release := holdDotlock(t, filepath.Join(home, "box"))
			var err error
			if op == "delete" {
				err = a.Delete("box")
			} else {
				err = a.Rename("box", "other")
			}
			release()
			if err == nil {
				t.Fatalf("%s succeeded under another program's lock", op)
			}
			if _, err := os.Stat(filepath.Join(home, "box")); err != nil {
				t.Fatalf("the mailbox went after all: %v", err)
			}
			v.Check()
			if why := v.GoneWhy(); why != storage.NotGone {
				t.Errorf("after a failed %s (%v): GoneWhy %v, want NotGone (a false BYE)", op, err, why)
			}
			// The mailbox goes on: news reaches the view, and the
			// same operation, once the lock is free, ends it.
			if _, _, err := a.Append("box", msg("more"), nil, time.Time{}); err != nil {
				t.Fatal(err)
			}
			var r recorder
			v.Poll(true, &r)
			if len(v.UIDs()) != 2 {
				t.Errorf("after a failed %s and an APPEND: UIDs %v (%q)", op, v.UIDs(), r.events)
			}
			want := storage.GoneDeleted
			if op == "delete" {
				err = a.Delete("box")
			} else {
				err, want = a.Rename("box", "other"), storage.GoneRenamed
			}
			if err != nil {
				t.Fatal(err)
			}
			if why := v.GoneWhy(); why != want {
				t.Errorf("after the %s succeeded: GoneWhy %v, want %v", op, why, want)
			}
		})
	}
}

// TestGoneSpoolRemovedWhenEmpty: an INBOX in /var/mail whose file
// the mail client or MDA removes once it is empty (mutt with
// save_empty unset, mailx without 'keep', movemail), or empties in
// place, and whose next delivery makes it again, is still INBOX: a
// session that has it selected sees an empty mailbox, then the new
// message under a new UID and the same UIDVALIDITY, as GNU imap4d's
// does, and is never told BYE.
func TestGoneSpoolRemovedWhenEmpty(t *testing.T) {
	for _, how := range []string{"removed", "emptied"} {
		t.Run(how, func(t *testing.T) {
			a, _, spool := byeAccount(t, "mbox")
			if _, _, err := a.Append("INBOX", msg("one"), nil, time.Time{}); err != nil {
				t.Fatal(err)
			}
			v, err := a.Select("INBOX", false)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			first := v.UIDs()[0]
			validity := v.Info().UIDValidity
			p := filepath.Join(spool, "alice")
			// waitUIDs polls the view until it holds n messages.
			waitUIDs := func(n int, what string) {
				t.Helper()
				var r recorder
				for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
					v.Check()
					v.Poll(true, &r)
					if len(v.UIDs()) == n {
						break
					}
				}
				if len(v.UIDs()) != n {
					t.Fatalf("%s: UIDs %v (%q), want %d", what, v.UIDs(), r.events, n)
				}
				if why := v.GoneWhy(); why != storage.NotGone {
					t.Fatalf("%s: GoneWhy %v, want NotGone (a false BYE)", what, why)
				}
			}
			// The other program takes the message and removes or
			// empties the spool.
			if how == "removed" {
				err = os.Remove(p)
			} else {
				err = os.Truncate(p, 0)
			}
			if err != nil {
				t.Fatal(err)
			}
			waitUIDs(0, "spool file "+how)
			// The next delivery (Postfix local) appends to it, or
			// creates it again.
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("From bob@example.org Mon Dec  7 12:00:00 2026\nSubject: two\n\nbody\n\n")
			f.Close()
			waitUIDs(1, "the next delivery")
			if uid := v.UIDs()[0]; uid <= first {
				t.Errorf("the delivered message has UID %d, not above %d", uid, first)
			}
			if st, err := a.Status("INBOX"); err != nil || st.UIDValidity != validity || st.Messages != 1 {
				t.Errorf("after the delivery: %+v, %v; want UIDVALIDITY %d kept", st, err, validity)
			}
		})
	}
}

// TestGoneEmptyMuProp: .mu-prop read while another program writes
// it anew in place (empty for a moment: GNU imap4d shares the file), or
// removed by a tool that cleans dot files, while a maildir or MH folder
// is selected. The messages and their UIDs are all still there, and
// the folder knows its UIDVALIDITY: it must keep it (MH's scan does:
// "p.UIDValidity == 0 && f.validity != 0"). The maildir scan instead
// takes dovecot-uidlist's or a brand new one, which the view now reads
// as GoneReset: a false BYE, and every client resyncs everything.
func TestGoneEmptyMuProp(t *testing.T) {
	for _, typ := range []string{"maildir", "mh"} {
		for _, how := range []string{"emptied", "removed", "emptied, no append", "removed, no append"} {
			t.Run(typ+"/"+how, func(t *testing.T) {
				a, home, _ := byeAccount(t, typ)
				v := selectNew(t, a, "box", "one", "two", "three", "four")
				prop := filepath.Join(home, "box", ".mu-prop")
				before, err := a.Status("box")
				if err != nil {
					t.Fatal(err)
				}
				if strings.HasPrefix(how, "emptied") {
					// (a writer that truncates, then writes)
					err = os.Truncate(prop, 0)
				} else {
					err = os.Remove(prop)
				}
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasSuffix(how, "no append") {
					// A message arrives meanwhile.
					if _, _, err := a.Append("box", msg("three"), nil, time.Time{}); err != nil {
						t.Fatal(err)
					}
				} else {
					// Another program changes a flag: the folder is read again.
					cur := filepath.Join(home, "box", "cur")
					if typ == "maildir" {
						names, _ := os.ReadDir(cur)
						if len(names) > 0 {
							os.Rename(filepath.Join(cur, names[0].Name()), filepath.Join(cur, names[0].Name()+"S"))
						}
					}
				}
				if _, err := a.Resync("box"); err != nil {
					t.Fatal(err)
				}
				v.Check()
				var r recorder
				v.Poll(true, &r)
				if why := v.GoneWhy(); why != storage.NotGone {
					t.Errorf(".mu-prop %s: GoneWhy %v, want NotGone (%q)", how, why, r.events)
				}
				// The UIDVALIDITY known is written back for the next
				// process, and for imap4d.
				data, err := os.ReadFile(prop)
				if want := "uid-validity: " + strconv.FormatUint(uint64(before.UIDValidity), 10) + "\n"; err != nil || !strings.Contains(string(data), want) {
					t.Errorf(".mu-prop %s, then read again: %q, %v; want %q in it", how, data, err, want)
				}
			})
		}
	}
}

// TestGoneDeleteParentKeepsChildren: DELETE of a mailbox leaves its
// children (Account.Delete's own doc: "Its child mailboxes stay"), but
// store.forget(loc.path) marks every open mailbox below the path gone
// too, as GoneDeleted: every session that has par/box selected is told
// "Selected mailbox was deleted" and thrown out, and so is the deleting
// session itself when it had par/box selected (byeAfter: DELETE and
// GoneDeleted), although par/box and its messages are still there.
// (Forgetting what is below is right for RENAME, which moves children.)
func TestGoneDeleteParentKeepsChildren(t *testing.T) {
	for _, typ := range []string{"maildir", "mh"} {
		t.Run(typ, func(t *testing.T) {
			a, _, _ := byeAccount(t, typ)
			for _, name := range []string{"par", "par/box"} {
				if err := a.Create(name); err != nil {
					t.Fatal(err)
				}
			}
			if _, _, err := a.Append("par/box", msg("mine"), nil, time.Time{}); err != nil {
				t.Fatal(err)
			}
			v, err := a.Select("par/box", false)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			if err := a.Delete("par"); err != nil {
				t.Fatal(err)
			}
			st, err := a.Status("par/box")
			if err != nil || st.Messages != 1 {
				t.Fatalf("par/box after DELETE par: %+v, %v", st, err)
			}
			v.Check()
			if why := v.GoneWhy(); why != storage.NotGone {
				t.Errorf("par/box after DELETE par: GoneWhy %v, want NotGone (a false BYE)", why)
			}
			// Its open mailbox, at a path DELETE left alone, still
			// works: a new message reaches the view.
			if _, _, err := a.Append("par/box", msg("more"), nil, time.Time{}); err != nil {
				t.Fatal(err)
			}
			var r recorder
			v.Poll(true, &r)
			if len(v.UIDs()) != 2 || v.GoneWhy() != storage.NotGone {
				t.Errorf("par/box after DELETE par and an APPEND: UIDs %v, %q, GoneWhy %v", v.UIDs(), r.events, v.GoneWhy())
			}
		})
	}
}

// TestGoneTransientMaildirAndMH: what other programs do to a
// healthy mailbox that must never count as gone: a maildir whose tmp/
// a cleaner removed, whose new/ or cur/ is missing for a moment (some
// tools re-create them), an MH folder packed by 'folder -pack' (files
// renumbered, the folder stays).
func TestGoneTransientMaildirAndMH(t *testing.T) {
	for _, tc := range []struct {
		typ, name string
		change    func(p string) error
	}{
		{"maildir", "tmp removed", func(p string) error { return os.RemoveAll(filepath.Join(p, "tmp")) }},
		{"maildir", "new removed", func(p string) error { return os.RemoveAll(filepath.Join(p, "new")) }},
		{"maildir", "cur moved aside", func(p string) error {
			return os.Rename(filepath.Join(p, "cur"), filepath.Join(p, "cur.x"))
		}},
		{"mh", "folder -pack", func(p string) error {
			if err := os.Remove(filepath.Join(p, "1")); err != nil {
				return err
			}
			if err := os.Rename(filepath.Join(p, "2"), filepath.Join(p, "1")); err != nil {
				return err
			}
			return os.Rename(filepath.Join(p, "3"), filepath.Join(p, "2"))
		}},
	} {
		t.Run(tc.typ+"/"+tc.name, func(t *testing.T) {
			a, home, _ := byeAccount(t, tc.typ)
			v := selectNew(t, a, "box", "one", "two", "three")
			if err := tc.change(filepath.Join(home, "box")); err != nil {
				t.Fatal(err)
			}
			a.Resync("box")
			v.Check()
			v.CheckGone()
			var r recorder
			v.Poll(true, &r)
			if why := v.GoneWhy(); why != storage.NotGone {
				t.Errorf("GoneWhy %v, want NotGone (%q)", why, r.events)
			}
		})
	}
}

// TestGoneSymlinkedPaths: a home reached through a symbolic link,
// and a maildir or MH folder that is itself a link to a directory
// elsewhere, are the same mailbox at every look (the stat of Check and
// CheckGone and the identity taken at load both follow links).
func TestGoneSymlinkedPaths(t *testing.T) {
	for _, typ := range []string{"maildir", "mh", "mbox"} {
		for _, link := range []string{"home", "mailbox"} {
			if typ == "mbox" && link == "mailbox" {
				continue // an mbox that is a link is no mailbox (issue 8)
			}
			t.Run(typ+"/"+link, func(t *testing.T) {
				a, home, _ := byeAccount(t, typ)
				real := home + ".real"
				if link == "home" {
					if err := os.Rename(home, real); err != nil {
						t.Fatal(err)
					}
					if err := os.Symlink(real, home); err != nil {
						t.Fatal(err)
					}
				}
				if err := a.Create("box"); err != nil {
					t.Fatal(err)
				}
				if link == "mailbox" {
					p := filepath.Join(home, "box")
					// Elsewhere inside the namespace: a link out of it is refused.
					if err := os.Rename(p, filepath.Join(home, "realbox")); err != nil {
						t.Fatal(err)
					}
					if err := os.Symlink("realbox", p); err != nil {
						t.Fatal(err)
					}
				}
				for _, s := range []string{"one", "two", "three", "four"} {
					if _, _, err := a.Append("box", msg(s), nil, time.Time{}); err != nil {
						t.Fatal(err)
					}
				}
				v, err := a.Select("box", false)
				if err != nil {
					t.Fatal(err)
				}
				defer v.Close()
				for i := 0; i < 3; i++ {
					v.Check()
					v.CheckGone()
					if _, err := v.Store(v.UIDs()[:1], storage.AddFlags, []string{`\Deleted`}); err != nil {
						t.Fatal(err)
					}
					if err := v.Expunge(nil, false); err != nil {
						t.Fatal(err)
					}
					var r recorder
					v.Poll(true, &r)
					if why := v.GoneWhy(); why != storage.NotGone {
						t.Fatalf("look %d: GoneWhy %v, want NotGone", i, why)
					}
				}
				w, err := a.Select("box", false)
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close()
				if why := v.GoneWhy(); why != storage.NotGone {
					t.Fatalf("after a second SELECT: GoneWhy %v", why)
				}
			})
		}
	}
}

// TestGoneNotWhileDeleteWaits: a DELETE that waits for another
// program's dot lock is not done yet, and may fail: until its driver has
// removed the file, a session of the mailbox sees nothing gone (no BYE
// at its next command), and hears of it, woken, once it is.
func TestGoneNotWhileDeleteWaits(t *testing.T) {
	a, home, _ := byeAccountWith(t, "mbox", mbox.Options{RetryCount: 50, RetrySleep: 10 * time.Millisecond}, storage.Options{})
	v := selectNew(t, a, "box", "mine")
	release := holdDotlock(t, filepath.Join(home, "box"))
	done := make(chan error, 1)
	go func() { done <- a.Delete("box") }()
	time.Sleep(100 * time.Millisecond) // DELETE waits for the lock
	v.Check()
	v.CheckGone()
	if why := v.GoneWhy(); why != storage.NotGone {
		t.Errorf("while DELETE waits for the lock: GoneWhy %v, want NotGone", why)
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	select {
	case <-v.Wake():
	case <-time.After(5 * time.Second):
		t.Error("the view was not woken once DELETE removed the mailbox")
	}
	if why := v.GoneWhy(); why != storage.GoneDeleted {
		t.Errorf("after DELETE: GoneWhy %v, want deleted", why)
	}
}

// TestGoneLookEvery: View.Check, at the start of every command, looks
// whether the mailbox is still at its path at most once every
// GoneLookEvery for all its sessions (a burst of commands costs one
// stat), and the next look finds a maildir moved away, which its watch
// does not hear of. CheckGone (the idle look) always looks.
func TestGoneLookEvery(t *testing.T) {
	// Within the interval (an hour: no machine is that slow) a Check
	// right after another session's makes no stat; the idle look does.
	a, home, _ := byeAccountWith(t, "maildir", mbox.Options{}, storage.Options{GoneLookEvery: time.Hour})
	v := selectNew(t, a, "box")
	w, err := a.Select("box", true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	v.Check() // looks
	if err := os.Rename(filepath.Join(home, "box"), filepath.Join(home, "elsewhere")); err != nil {
		t.Fatal(err)
	}
	w.Check() // the other session's command: within the interval, no look
	if why := w.GoneWhy(); why != storage.NotGone {
		t.Errorf("a Check right after another session's: GoneWhy %v; it was to make no stat", why)
	}
	w.CheckGone()
	if why := w.GoneWhy(); why != storage.GoneRemoved {
		t.Errorf("CheckGone right after a Check: GoneWhy %v, want removed", why)
	}

	// Once the interval is over, the next Check looks.
	a, home, _ = byeAccountWith(t, "maildir", mbox.Options{}, storage.Options{GoneLookEvery: 50 * time.Millisecond})
	u := selectNew(t, a, "box")
	u.Check()
	if err := os.Rename(filepath.Join(home, "box"), filepath.Join(home, "elsewhere")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	u.Check()
	if why := u.GoneWhy(); why != storage.GoneRemoved {
		t.Errorf("a Check after the interval: GoneWhy %v, want removed", why)
	}
}
