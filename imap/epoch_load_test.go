package imap_test

// Tests of 92c2894: values read before a mailbox reset are not cached
// after it.

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
)

// closeHookDriver is a maildir driver whose folders call afterRead, once
// it is armed, when the first message file opened through OpenQuick
// (what View.Open uses) is closed: after the reader read it, before it
// uses what it read. No lock is held then.
type closeHookDriver struct {
	storage.Driver
	afterRead atomic.Pointer[func()]
}

func (d *closeHookDriver) Open(path string, perm os.FileMode) (storage.Folder, error) {
	f, err := d.Driver.Open(path, perm)
	if err != nil {
		return nil, err
	}
	return &closeHookFolder{Folder: f, d: d}, nil
}

type closeHookFolder struct {
	storage.Folder
	d *closeHookDriver
}

func (f *closeHookFolder) OpenQuick(uid uint32) (io.ReadCloser, bool) {
	qo, ok := f.Folder.(storage.QuickOpener)
	if !ok {
		return nil, false
	}
	rc, ok := qo.OpenQuick(uid)
	if !ok {
		return nil, false
	}
	if h := f.d.afterRead.Swap(nil); h != nil {
		return &hookCloser{ReadCloser: rc, after: *h}, true
	}
	return rc, true
}

type hookCloser struct {
	io.ReadCloser
	after func()
}

func (c *hookCloser) Close() error {
	err := c.ReadCloser.Close()
	c.after()
	return err
}

// TestEpochTakenAfterLoad: FETCH 2 (BODY.PEEK[HEADER] ENVELOPE)
// reads message 2 whole for BODY[HEADER] (fetcher.load), and only then
// derives ENVELOPE from what it read (fetcher.derived with c.root set),
// taking the CacheEpoch there: after the read. When another program
// resets the mailbox in between (a new UIDVALIDITY whose messages take
// the old UIDs), the old message's envelope, sort keys and search fields
// are stored for the new message 2 with the new epoch, and every
// session, and the cache file, keep them.
func TestEpochTakenAfterLoad(t *testing.T) {
	const n = 3
	d := &closeHookDriver{Driver: maildir.New()}
	e := startServerStore(t, func(root string, o *storage.Options) {
		o.Drivers[0] = d
	}, nil, nil)
	defer imap.SetStreamSectionsAbove(1 << 20)()
	dir := filepath.Join(e.root, "alice", "INBOX")
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, "cur", name), []byte(content), 0o600); err != nil {
			t.Error(err)
		}
	}
	props := func(validity int) {
		p := fmt.Sprintf("uidnext: %d\nuid-validity: %d\nversion: 3.15\n", n+1, validity)
		if err := os.WriteFile(filepath.Join(dir, ".mu-prop"), []byte(p), 0o600); err != nil {
			t.Error(err)
		}
	}
	msg := func(gen string, i int) string {
		return fmt.Sprintf("From: %s@example.org\nSubject: %s %d\nMessage-ID: <%s%d@x>\n\nbody\n", gen, gen, i, gen, i)
	}
	for i := 1; i <= n; i++ {
		write(fmt.Sprintf("%d.M%dP1.old,u=%d:2,S", 1700000000+i, i, i), msg("old", i))
	}
	props(1700000000)

	a := e.raw()
	a.login("alice")
	waitCount(t, a, a.ok("s SELECT INBOX"), n)
	c := e.raw()
	c.login("alice")

	reset := func() {
		// Another program resets the mailbox while a's FETCH holds what
		// it read of the old message 2.
		files, _ := filepath.Glob(filepath.Join(dir, "cur", "*.old,*"))
		for _, f := range files {
			os.Remove(f)
		}
		for i := 1; i <= n; i++ {
			write(fmt.Sprintf("%d.M%dP1.new,u=%d:2,S", 1800000000+i, i, i), msg("new", i))
		}
		props(1800000000)
		deadline := time.Now().Add(10 * time.Second)
		for !contains(c.ok("st STATUS INBOX (UIDVALIDITY)"), "UIDVALIDITY 1800000000") {
			if time.Now().After(deadline) {
				t.Error("the reset was not noticed")
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	d.afterRead.Store(&reset)
	a.send("f FETCH 2 (BODY.PEEK[HEADER] ENVELOPE)")
	for {
		l := a.line()
		if strings.HasPrefix(l, "f ") || strings.HasPrefix(l, "* BYE") {
			break
		}
	}
	if d.afterRead.Load() != nil {
		t.Fatal("the FETCH did not read message 2 through OpenQuick: the race was not run")
	}

	c.ok("s SELECT INBOX")
	for _, l := range joined(c.ok("f FETCH 1:* (UID ENVELOPE)")) {
		if strings.Contains(l, `"old `) {
			t.Errorf("an envelope of a message of the old UIDVALIDITY answers for a new one: %.200s", l)
		}
	}
	if got := c.ok("s SEARCH SUBJECT old"); !contains(got, "* SEARCH") || strings.TrimSpace(strings.Join(got, "")) != "* SEARCH" {
		t.Errorf("SEARCH SUBJECT old in the new mailbox: %q, want none", got)
	}
}
