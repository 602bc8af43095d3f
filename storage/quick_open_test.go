package storage_test

// Tests of 8f16705 (QuickOpener: message files opened without the
// mailbox lock).

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// quickMemDriver is memDriver whose folders are storage.QuickOpeners:
// OpenQuick opens what the folder holds for the UID at the moment it is
// called, as maildir's pathOf finds the file the folder knows by then.
// beforeQuick, when set, runs (once) at the start of OpenQuick, without
// any lock held: what may happen between the core's look at its
// messages and the open(2).
type quickMemDriver struct {
	*memDriver
	beforeQuick func(uid uint32)
}

func (d *quickMemDriver) Open(path string, perm os.FileMode) (storage.Folder, error) {
	f, err := d.memDriver.Open(path, perm)
	if err != nil {
		return nil, err
	}
	return &quickMemFolder{memFolder: f.(*memFolder), d: d}, nil
}

type quickMemFolder struct {
	*memFolder
	d *quickMemDriver
}

func (f *quickMemFolder) OpenQuick(uid uint32) (io.ReadCloser, bool) {
	if h := f.d.beforeQuick; h != nil {
		f.d.beforeQuick = nil
		h(uid)
	}
	rc, err := f.memFolder.Open(uid)
	return rc, err == nil
}

var _ storage.QuickOpener = (*quickMemFolder)(nil)

// TestQuickOpenAcrossReset: another program resets the mailbox (a
// new UIDVALIDITY whose messages take the old UIDs: a maildir restored
// from a backup, re-created by a migration tool) between the core's look
// at message 1 (its size, under the mailbox lock) and the open without
// the lock. View.Open must give a size and a content that belong
// together: the FETCH BODY[] literal is sent as {size} from the content
// (wire.Encoder.Literal pads or cuts to size), and RFC822.SIZE and
// BODY[]<partial> are computed from it. Before 8f16705 the look and the
// open were under one lock and always agreed.
func TestQuickOpenAcrossReset(t *testing.T) {
	d := &quickMemDriver{memDriver: newMemDriver("mem", false)}
	home := t.TempDir()
	s := storage.New(storage.Options{Drivers: []storage.Driver{d},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Linger: -1})
	t.Cleanup(func() { s.Close() })
	layout := &storage.Layout{Inbox: "mem:$home/INBOX", DefaultType: "mem",
		Personal: storage.Namespace{Prefixes: []storage.Prefix{{Directory: "$home", Type: "mem"}}}}
	a := s.Account(storage.User{Name: "alice", Home: home}, layout)
	if err := a.Create("box"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, "box")
	f, err := d.memDriver.Open(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	oldMsg := "Subject: old\r\n\r\nx\r\n"
	if _, err := f.Append(bytes.NewReader([]byte(oldMsg)), nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	v, err := a.Select("box", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	uid := v.UIDs()[0]

	newMsg := "Subject: a new message under the old UID, much longer than the old one\r\n\r\n" +
		"this body is longer than the old message's whole size\r\n"
	d.beforeQuick = func(uint32) {
		// Another program's reset...
		d.mu.Lock()
		b := d.boxes[path]
		b.validity++
		b.data[uid] = []byte(newMsg)
		b.msgs[0].Size = int64(len(newMsg))
		d.mu.Unlock()
		// ...which the core reads (a watcher's or another session's
		// re-read; an administrator's resync here).
		if _, err := a.Resync("box"); err != nil {
			t.Error(err)
		}
	}
	rc, size, err := v.Open(uid)
	if err != nil {
		t.Fatal(err)
	}
	content, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(content)) != size {
		t.Errorf("View.Open gave size %d with a content of %d bytes (%.40q): the size of the old message, the content of the new one",
			size, len(content), content)
	}
}
