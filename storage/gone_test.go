package storage_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// goneBox creates box (or par/box) with one message and opens a view
// of it that waits for news; it returns the view, the mailbox's path
// and a counter of the view's notifications.
func goneBox(t *testing.T, a *storage.Account, home, name string) (*storage.View, string, *atomic.Int32) {
	t.Helper()
	if err := a.Create(name); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Append(name, msg("mine"), nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	v, err := a.Select(name, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	var woken atomic.Int32
	v.SetNotify(func() { woken.Add(1) })
	return v, filepath.Join(home, filepath.FromSlash(name)), &woken
}

// TestGoneWhy: each way a selected mailbox can go tells its view why,
// and wakes it; RENAME of INBOX, which leaves INBOX, does not.
func TestGoneWhy(t *testing.T) {
	for _, typ := range []string{"maildir", "mh", "mbox"} {
		f := formatCase{name: typ}
		t.Run(typ, func(t *testing.T) {
			for _, tc := range []struct {
				name, box string
				change    func(a *storage.Account, path string) error
				want      storage.GoneReason
			}{
				{"delete", "box", func(a *storage.Account, _ string) error { return a.Delete("box") }, storage.GoneDeleted},
				{"rename", "box", func(a *storage.Account, _ string) error { return a.Rename("box", "other") }, storage.GoneRenamed},
				{"rename parent", "par/box", func(a *storage.Account, _ string) error { return a.Rename("par", "other") }, storage.GoneRenamed},
				{"removed", "box", func(_ *storage.Account, p string) error { return os.RemoveAll(p) }, storage.GoneRemoved},
				{"moved", "box", func(_ *storage.Account, p string) error { return os.Rename(p, p+".old") }, storage.GoneRemoved},
			} {
				t.Run(tc.name, func(t *testing.T) {
					a, home, _ := formatAccount(t, f)
					v, p, woken := goneBox(t, a, home, tc.box)
					if why := v.GoneWhy(); why != storage.NotGone {
						t.Fatalf("before: %v", why)
					}
					if err := tc.change(a, p); err != nil {
						t.Fatal(err)
					}
					v.Check() // a command's start
					if why := v.GoneWhy(); why != tc.want {
						t.Errorf("GoneWhy %v, want %v", why, tc.want)
					}
					if woken.Load() == 0 {
						t.Error("the view was not woken")
					}
				})
			}
			t.Run("rename INBOX", func(t *testing.T) {
				a, _, _ := formatAccount(t, f)
				if _, _, err := a.Append("INBOX", msg("one"), nil, time.Time{}); err != nil {
					t.Fatal(err)
				}
				v, err := a.Select("INBOX", false)
				if err != nil {
					t.Fatal(err)
				}
				defer v.Close()
				if err := a.Rename("INBOX", "old"); err != nil {
					t.Fatal(err)
				}
				v.Check()
				var r recorder
				v.Poll(true, &r)
				if why := v.GoneWhy(); why != storage.NotGone || v.Count() != 0 {
					t.Errorf("after RENAME INBOX: %v, %d messages (%q)", why, v.Count(), r.events)
				}
			})
		})
	}
}

// TestGoneMovedAwayThenMadeAgain: a directory another program moved
// away while a view is open is gone for that view, even once a new one
// stands at the path, whether an idling session's look (CheckGone, from
// its timer's goroutine) or the next open (Account.open looks at a
// mailbox open already) finds it first. The next open reads the new
// mailbox afresh: an APPEND goes to it, and a new view shows it alone.
func TestGoneMovedAwayThenMadeAgain(t *testing.T) {
	for _, typ := range []string{"maildir", "mh"} {
		for _, idleLook := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/idle look %v", typ, idleLook), func(t *testing.T) {
				a, home, _ := formatAccount(t, formatCase{name: typ})
				v, p, woken := goneBox(t, a, home, "box")
				if err := os.Rename(p, p+".old"); err != nil {
					t.Fatal(err)
				}
				if err := a.Create("box"); err != nil {
					t.Fatal(err)
				}
				if idleLook {
					done := make(chan struct{})
					go func() { v.CheckGone(); close(done) }()
					<-done
				}
				if _, _, err := a.Append("box", msg("theirs"), nil, time.Time{}); err != nil {
					t.Fatal(err)
				}
				if why := v.GoneWhy(); why != storage.GoneRemoved || woken.Load() == 0 {
					t.Fatalf("GoneWhy %v, woken %d", why, woken.Load())
				}
				w, err := a.Select("box", false)
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close()
				if why := w.GoneWhy(); why != storage.NotGone || w.Count() != 1 {
					t.Fatalf("the new view: %v, %d messages", why, w.Count())
				}
				rc, _, err := w.Open(w.UIDs()[0])
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(rc)
				rc.Close()
				if !bytes.Contains(b, []byte("theirs")) {
					t.Errorf("the new view's message: %q", b)
				}
			})
		}
	}
}

// TestGoneReset: another program gives the mailbox a new UIDVALIDITY
// (UIDs from 1 again): the open view is gone (GoneReset), a new one is
// not.
func TestGoneReset(t *testing.T) {
	f := formatCase{name: "mem", mem: newMemDriver("mem", false)}
	a, home, _ := formatAccount(t, f)
	v, _, woken := goneBox(t, a, home, "box")
	replaceMemBox(t, a, f, home, "box")
	if _, err := a.Resync("box"); err != nil {
		t.Fatal(err)
	}
	if why := v.GoneWhy(); why != storage.GoneReset || woken.Load() == 0 {
		t.Errorf("GoneWhy %v, woken %d", why, woken.Load())
	}
	w, err := a.Select("box", false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if why := w.GoneWhy(); why != storage.NotGone {
		t.Errorf("a new view: %v", why)
	}
}

// replaceMemBox has another program replace the in-test format's mailbox
// name with an empty one of the next UIDVALIDITY, UIDs from 1 again; it
// returns the old status.
func replaceMemBox(t *testing.T, a *storage.Account, f formatCase, home, name string) storage.Status {
	t.Helper()
	old, err := a.Status(name)
	if err != nil {
		t.Fatal(err)
	}
	d := f.mem
	d.mu.Lock()
	b := d.boxes[filepath.Join(home, name)]
	b.validity, b.next, b.msgs, b.data = old.UIDValidity+1, 1, nil, map[uint32][]byte{}
	d.mu.Unlock()
	return old
}
