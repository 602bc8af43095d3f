package storage_test

import (
	"errors"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
	"github.com/mailgate/mailgate/storage/mbox"
	"github.com/mailgate/mailgate/storage/mh"
)

// formatCase is one mailbox format the core is tested with.
type formatCase struct {
	name string
	mem  *memDriver // for the in-test formats
}

// appendFormats are the real drivers (which do not stage on this
// branch, so the core spools for them) and the in-test format with and
// without Stager.
func appendFormats() []formatCase {
	return []formatCase{
		{name: "maildir"}, {name: "mbox"}, {name: "mh"},
		{name: "mem", mem: newMemDriver("mem", false)},
		{name: "memstage", mem: newMemDriver("memstage", true)},
	}
}

// formatAccount returns an account whose mailboxes, INBOX included, are
// all of format f, with its home and the store's spool directory.
func formatAccount(t testing.TB, f formatCase) (a *storage.Account, home, spool string) {
	t.Helper()
	drivers := []storage.Driver{maildir.New(), mh.New(), mbox.New(mbox.Options{FlushDelay: -1})}
	if f.mem != nil {
		drivers = append(drivers, f.mem)
	}
	root := t.TempDir()
	home, spool = filepath.Join(root, "home"), filepath.Join(root, "spool")
	os.MkdirAll(home, 0o700)
	os.MkdirAll(spool, 0o700)
	s := storage.New(storage.Options{
		Drivers:  drivers,
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		SpoolDir: spool,
	})
	t.Cleanup(func() { s.Close() })
	layout := &storage.Layout{
		Inbox:       f.name + ":$home/INBOX",
		DefaultType: f.name,
		Personal:    storage.Namespace{Prefixes: []storage.Prefix{{Directory: "$home", Type: f.name}}},
	}
	return s.Account(storage.User{Name: "alice", Home: home}, layout), home, spool
}

// slowReader yields first, then blocks until release is closed (closing
// started when it begins to wait), then yields rest.
type slowReader struct {
	first, rest io.Reader
	started     chan struct{}
	release     chan struct{}
	once        sync.Once
}

func newSlowReader(first, rest string) *slowReader {
	return &slowReader{first: strings.NewReader(first), rest: strings.NewReader(rest),
		started: make(chan struct{}), release: make(chan struct{})}
}

func (r *slowReader) Read(p []byte) (int, error) {
	if n, _ := r.first.Read(p); n > 0 {
		return n, nil
	}
	r.once.Do(func() { close(r.started) })
	<-r.release
	return r.rest.Read(p)
}

// failingReader yields some of a message, then fails as a literal reader
// does when the connection drops.
type failingReader struct{ r io.Reader }

func (f *failingReader) Read(p []byte) (int, error) {
	if n, _ := f.r.Read(p); n > 0 {
		return n, nil
	}
	return 0, io.ErrUnexpectedEOF
}

// failsafe bounds a wait that only a deadlock makes long, so that a
// regression fails the test instead of hanging the run.
const failsafe = time.Minute

// TestAppendReadsWithoutLock: while an APPEND waits for the rest of its
// message, STATUS, SELECT and another APPEND of the same mailbox
// complete, and no spool file is visible meanwhile.
func TestAppendReadsWithoutLock(t *testing.T) {
	for _, f := range appendFormats() {
		t.Run(f.name, func(t *testing.T) {
			a, _, spool := formatAccount(t, f)
			if err := a.Create("box"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := a.Append("box", msg("first"), nil, time.Time{}); err != nil {
				t.Fatal(err)
			}
			slow := newSlowReader("Subject: slow\r\n\r\nhalf of ", "the body\r\n")
			slowDone := make(chan error, 1)
			var slowUID uint32
			go func() {
				var err error
				_, slowUID, err = a.Append("box", slow, []string{`\Flagged`}, time.Time{})
				slowDone <- err
			}()
			<-slow.started

			others := make(chan error, 1)
			go func() {
				others <- func() error {
					st, err := a.Status("box")
					if err != nil {
						return err
					}
					if st.Messages != 1 {
						t.Errorf("STATUS while an APPEND is under way: %d messages, want 1", st.Messages)
					}
					v, err := a.Select("box", false)
					if err != nil {
						return err
					}
					v.Close()
					_, uid, err := a.Append("box", msg("second"), nil, time.Time{})
					if err == nil && uid != 2 {
						t.Errorf("the second APPEND got UID %d, want 2", uid)
					}
					return err
				}()
			}()
			select {
			case err := <-others:
				if err != nil {
					t.Fatal(err)
				}
			case err := <-slowDone:
				t.Fatalf("the slow APPEND returned (%v) before its message was complete", err)
			case <-time.After(failsafe):
				t.Fatal("STATUS, SELECT or APPEND is still blocked by an APPEND reading its message")
			}
			if runtime.GOOS != "windows" {
				if left := dirEntries(spool); len(left) != 1 {
					t.Errorf("spool directory while a message arrives: %v, want nothing visible", left)
				}
			}
			close(slow.release)
			if err := <-slowDone; err != nil {
				t.Fatal(err)
			}
			if slowUID != 3 {
				t.Errorf("the slow APPEND got UID %d, want 3", slowUID)
			}
			st, err := a.Status("box")
			if err != nil || st.Messages != 3 || st.UIDNext != 4 {
				t.Errorf("STATUS after: %+v, %v; want 3 messages, UIDNEXT 4", st, err)
			}
			v, err := a.Select("box", false)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			if got := readMessage(t, v, 3); got != "Subject: slow\r\n\r\nhalf of the body\r\n" {
				t.Errorf("the slow message reads %q", got)
			}
			if f.mem != nil && f.mem.stage {
				if staging, staged := f.mem.counts(); staging != 0 || staged != 3 {
					t.Errorf("stager: %d staged messages left, %d staged in all; want 0 and 3", staging, staged)
				}
			}
		})
	}
}

// TestAppendShortMessageStoresNothing: a message whose reader fails
// (a literal cut short) leaves the mailbox, its files and the spool
// directory as they were.
func TestAppendShortMessageStoresNothing(t *testing.T) {
	for _, f := range appendFormats() {
		t.Run(f.name, func(t *testing.T) {
			a, home, spool := formatAccount(t, f)
			if err := a.Create("box"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := a.Append("box", msg("first"), nil, time.Time{}); err != nil {
				t.Fatal(err)
			}
			before, err := a.Status("box")
			if err != nil {
				t.Fatal(err)
			}
			files := dirEntries(home)
			short := &failingReader{strings.NewReader("Subject: cut\r\n\r\n" + strings.Repeat("x", 100000))}
			_, _, err = a.Append("box", short, nil, time.Time{})
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("APPEND of a cut message: %v, want io.ErrUnexpectedEOF", err)
			}
			after, err := a.Status("box")
			if err != nil || after != before {
				t.Errorf("STATUS after a cut APPEND: %+v, %v; want %+v", after, err, before)
			}
			if now := dirEntries(home); !maps.Equal(now, files) {
				t.Errorf("files after a cut APPEND:\n%v\nbefore:\n%v", now, files)
			}
			if left := dirEntries(spool); len(left) != 1 {
				t.Errorf("spool directory after a cut APPEND: %v", left)
			}
			if f.mem != nil && f.mem.stage {
				if staging, _ := f.mem.counts(); staging != 0 {
					t.Errorf("%d staged messages left", staging)
				}
			}
			// And the mailbox still takes messages, numbered on.
			if _, uid, err := a.Append("box", msg("next"), nil, time.Time{}); err != nil || uid != 2 {
				t.Errorf("APPEND after a cut one: UID %d, %v; want 2", uid, err)
			}
		})
	}
}

// TestCopyStagesWithoutLock: a COPY into a mailbox whose format stages
// reads the source outside the destination's lock.
func TestCopyStagesWithoutLock(t *testing.T) {
	f := formatCase{name: "memstage", mem: newMemDriver("memstage", true)}
	a, _, _ := formatAccount(t, f)
	for _, name := range []string{"src", "dst"} {
		if err := a.Create(name); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []string{"one", "two"} {
		if _, _, err := a.Append("src", msg(s), []string{`\Seen`}, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	inStage, release := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	f.mem.stageHook = func() {
		if first.CompareAndSwap(false, true) {
			close(inStage)
			<-release
		}
	}
	v, err := a.Select("src", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	type copied struct {
		dst []uint32
		err error
	}
	copyDone := make(chan copied, 1)
	go func() {
		_, _, dst, err := a.Copy(v, v.UIDs(), "dst")
		copyDone <- copied{dst, err}
	}()
	select {
	case <-inStage:
	case c := <-copyDone:
		t.Fatalf("COPY returned (%v, %v) without staging", c.dst, c.err)
	}
	others := make(chan error, 1)
	go func() {
		if _, err := a.Status("dst"); err != nil {
			others <- err
			return
		}
		_, _, err := a.Append("dst", msg("meanwhile"), nil, time.Time{})
		others <- err
	}()
	select {
	case err := <-others:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(failsafe):
		t.Fatal("STATUS or APPEND is blocked by a COPY staging its message")
	}
	close(release)
	c := <-copyDone
	if c.err != nil || len(c.dst) != 2 || c.dst[0] != 2 || c.dst[1] != 3 {
		t.Fatalf("COPY: %v, %v; want UIDs 2 and 3 after the APPEND's 1", c.dst, c.err)
	}
	w, err := a.Select("dst", true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if got := readMessage(t, w, 3); got != "Subject: two\r\n\r\nbody\r\n" {
		t.Errorf("copied message reads %q", got)
	}
	if staging, _ := f.mem.counts(); staging != 0 {
		t.Errorf("%d staged messages left", staging)
	}
}

// readMessage returns the content of uid as a View gives it.
func readMessage(t *testing.T, v *storage.View, uid uint32) string {
	t.Helper()
	rc, _, err := v.Open(uid)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
