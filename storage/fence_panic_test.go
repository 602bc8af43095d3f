package storage_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
	"github.com/mailgate/mailgate/storage/mbox"
	"github.com/mailgate/mailgate/storage/mh"
)

// panicDriver is a maildir driver whose Delete and Rename panic when
// told to: a bug in a driver, or a runtime error in it (the imap
// session recovers it and ends only its own connection).
type panicDriver struct {
	storage.Driver
	panics atomic.Bool
}

func (d *panicDriver) Delete(path string) error {
	if d.panics.Load() {
		panic("driver bug in Delete")
	}
	return d.Driver.Delete(path)
}

func (d *panicDriver) Rename(from, to string) error {
	if d.panics.Load() {
		panic("driver bug in Rename")
	}
	return d.Driver.(storage.Renamer).Rename(from, to)
}

// TestFenceLiftedOnPanic: a DELETE or RENAME whose driver panics (the
// session recovers it, the process goes on) must not leave the mailbox
// fenced: its other sessions must go on hearing news (a delivery), and
// of its removal by another program.
func TestFenceLiftedOnPanic(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   func(a *storage.Account) error
	}{
		{"DELETE", func(a *storage.Account) error { return a.Delete("box") }},
		{"RENAME", func(a *storage.Account) error { return a.Rename("box", "other") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := filepath.Join(t.TempDir(), "home")
			if err := os.MkdirAll(home, 0o700); err != nil {
				t.Fatal(err)
			}
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			pd := &panicDriver{Driver: maildir.New()}
			s := storage.New(storage.Options{Drivers: []storage.Driver{pd, mh.New()}, Logger: log})
			t.Cleanup(func() { s.Close() })
			a := s.Account(storage.User{Name: "alice", Home: home}, &storage.Layout{
				Inbox:       "maildir:$home/INBOX",
				DefaultType: "maildir",
				Personal:    storage.Namespace{Prefixes: []storage.Prefix{{Directory: "$home", Type: "maildir"}}},
			})
			v := selectNew(t, a, "box", "one")
			pd.panics.Store(true)
			func() {
				defer func() { t.Logf("recovered: %v", recover()) }()
				tc.op(a)
				t.Errorf("%s did not panic", tc.name)
			}()
			pd.panics.Store(false)
			// A delivery by another program (not through this store).
			if err := os.WriteFile(filepath.Join(home, "box", "new", "1765108800.P9Q9.host"), []byte("Subject: two\r\n\r\nbody\r\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			var r recorder
			for deadline := time.Now().Add(3 * time.Second); len(v.UIDs()) < 2 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				v.Check()
				v.Poll(true, &r)
			}
			if len(v.UIDs()) != 2 {
				t.Errorf("after a %s whose driver panicked, a delivery is never shown: UIDs %v (events %q)", tc.name, v.UIDs(), r.events)
			}
			// Another program removes the maildir: the session must hear it.
			if err := os.RemoveAll(filepath.Join(home, "box")); err != nil {
				t.Fatal(err)
			}
			time.Sleep(1100 * time.Millisecond)
			v.Check()
			v.CheckGone()
			if v.GoneWhy() == storage.NotGone {
				t.Errorf("after a %s whose driver panicked, the maildir removed is never told: the mailbox stays fenced", tc.name)
			}
		})
	}
}

// TestFenceStoreDuringBlockedDelete: a DELETE waits for the
// mbox dot lock another program holds, and gives up; meanwhile another
// session STOREs a flag and APPENDs. Whatever was answered OK must be
// there, and shown, once the DELETE failed.
func TestFenceStoreDuringBlockedDelete(t *testing.T) {
	a, home, _ := byeAccountWith(t, "mbox", mbox.Options{RetryCount: 8, RetrySleep: 100 * time.Millisecond}, storage.Options{})
	v1 := selectNew(t, a, "box", "one", "two")
	v2, err := a.Select("box", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v2.Close()
	release := holdDotlock(t, filepath.Join(home, "box"))
	done := make(chan error, 1)
	go func() { done <- a.Delete("box") }()
	time.Sleep(200 * time.Millisecond)
	uids := v2.UIDs()
	_, storeErr := v2.Store(uids[:1], storage.AddFlags, []string{`\Flagged`})
	t.Logf("STORE during the fence: %v", storeErr)
	release()
	_, _, appendErr := a.Append("box", msg("three"), nil, time.Time{})
	t.Logf("APPEND during the fence: %v", appendErr)
	derr := <-done
	t.Logf("DELETE: %v", derr)
	if derr != nil {
		var r recorder
		want := 2
		if appendErr == nil {
			want = 3
		}
		for deadline := time.Now().Add(3 * time.Second); len(v1.UIDs()) < want && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			v1.Check()
			v1.Poll(true, &r)
		}
		if len(v1.UIDs()) != want || v1.GoneWhy() != storage.NotGone {
			t.Errorf("after the failed DELETE: UIDs %v gone %v, want %d messages", v1.UIDs(), v1.GoneWhy(), want)
		}
		if storeErr == nil {
			out := make([]storage.Message, 1)
			v1.Lookup(uids[:1], out)
			if !strings.Contains(strings.Join(out[0].Flags, " "), `\Flagged`) {
				t.Errorf("a STORE answered OK during the fence is lost: flags %v", out[0].Flags)
			}
		}
	}
}
