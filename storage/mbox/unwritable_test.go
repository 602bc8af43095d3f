//go:build unix

package mbox

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// asNobodyEnv marks the test binary run again by asNobody.
const asNobodyEnv = "MBOX_TEST_AS_NOBODY"

// asNobody makes the calling test run where a directory's mode binds
// it: root writes anywhere, so under root the test binary runs the test
// again, alone, with uid and gid 65534, and asNobody reports false once
// that run passed (or skips when it skipped). Otherwise it reports true:
// the test's body runs here.
func asNobody(t *testing.T) bool {
	t.Helper()
	if os.Getenv(asNobodyEnv) != "" || os.Geteuid() != 0 {
		if os.Geteuid() == 0 {
			t.Fatal("still root")
		}
		return true
	}
	// A copy of the test binary that uid 65534 may run, in a directory
	// it may enter.
	dir, err := os.MkdirTemp("", "mbox-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "mbox.test")
	src, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	dst, err := os.OpenFile(exe, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err == nil {
		_, err = io.Copy(dst, src)
		err = errors.Join(err, dst.Close())
	}
	src.Close()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^"+regexp.QuoteMeta(t.Name())+"$", "-test.count=1", "-test.v")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), asNobodyEnv+"=1", "TMPDIR="+os.TempDir(), "HOME="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	switch {
	case err != nil:
		t.Fatalf("as uid 65534: %v\n%s", err, out)
	case strings.Contains(string(out), "--- SKIP"):
		t.Skipf("as uid 65534:\n%s", out)
	}
	t.Logf("as uid 65534:\n%s", out)
	return false
}

// lockedDir writes content as an mbox in a directory that takes no new
// files once the function returned is called; the test's end makes it
// writable again, so that it can be removed.
func lockedDir(t *testing.T, content string) (path string, lock func()) {
	t.Helper()
	path = writeMbox(t, content)
	dir := filepath.Dir(path)
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	return path, func() {
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWriteRefusedWithoutDotlock: with dot locking, where the mailbox's
// directory takes no dot lock from us (a /var/mail without the mail
// group), an APPEND, an EXPUNGE and a STORE are refused, leaving the
// file as it was, rather than written under kernel locks alone while
// another program (mailutils, procmail) may hold the dot lock. Reads go
// on under kernel locks.
func TestWriteRefusedWithoutDotlock(t *testing.T) {
	if !asNobody(t) {
		return
	}
	d := testDriver(t, Options{Type: "dotlock"})
	path, lock := lockedDir(t, imap4dMbox)
	f := mustOpen(t, d, path)
	s := mustScan(t, f)
	lock()
	before := readFile(t, path)
	uid := s.Messages[0].UID
	for _, w := range []struct {
		what string
		do   func() error
	}{
		{"append", func() error {
			_, err := f.Append(strings.NewReader("Subject: x\r\n\r\ny\r\n"), nil, testDate)
			return err
		}},
		{"commit", func() error {
			st, err := f.Stage(strings.NewReader("Subject: x\r\n\r\ny\r\n"), nil, testDate)
			if err != nil {
				t.Fatalf("stage: %v", err) // the spool goes elsewhere
			}
			_, err = st.Commit()
			return err
		}},
		{"expunge", func() error { return f.Expunge([]uint32{uid}) }},
		{"store", func() error {
			return f.SetFlagsBatch([]storage.FlagChange{{UID: uid, Flags: []string{`\Flagged`}}})
		}},
	} {
		err := w.do()
		if err == nil {
			t.Errorf("%s without a dot lock: done; want it refused", w.what)
			continue
		}
		if !errors.Is(err, fs.ErrPermission) || errors.Is(err, storage.ErrPermission) || !strings.Contains(err.Error(), "dot lock") {
			t.Errorf("%s: %v; want the dot lock's EACCES, not storage.ErrPermission (LMTP would answer 5xx)", w.what, err)
		}
	}
	if got := readFile(t, path); got != before {
		t.Errorf("the mailbox changed:\n%s", got)
	}
	// Reads still work, under kernel locks.
	if _, err := os.Stat(path); err == nil {
		os.Chtimes(path, testDate, testDate) // make Scan read the file again
	}
	if s2 := mustScan(t, f); len(s2.Messages) != len(s.Messages) {
		t.Errorf("scan: %d messages; want %d", len(s2.Messages), len(s.Messages))
	}
	if got := readAll(t, f, uid); got == "" {
		t.Error("the first message reads empty")
	}
}

// TestAppendRefusedWithoutIntent: with kernel locks, where no APPEND
// intent can be written beside the mailbox, an APPEND is refused rather
// than written with nothing to cut it back after a crash in its middle.
// Where an intent file is there already, it is used.
func TestAppendRefusedWithoutIntent(t *testing.T) {
	if !asNobody(t) {
		return
	}
	for _, typ := range []string{"kernel", "null"} {
		t.Run(typ, func(t *testing.T) {
			d := testDriver(t, Options{Type: typ})
			path, lock := lockedDir(t, imap4dMbox)
			f := mustOpen(t, d, path)
			mustScan(t, f)
			lock()
			before := readFile(t, path)
			_, err := f.Append(strings.NewReader("Subject: x\r\n\r\ny\r\n"), nil, testDate)
			if err == nil || !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "APPEND under way") {
				t.Errorf("append without an intent: %v; want it refused", err)
			}
			if got := readFile(t, path); got != before {
				t.Errorf("the mailbox changed:\n%s", got)
			}
		})
	}
	t.Run("intent there", func(t *testing.T) {
		d := testDriver(t, Options{Type: "kernel"})
		path, lock := lockedDir(t, imap4dMbox)
		if err := os.WriteFile(intentPath(path), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		f := mustOpen(t, d, path)
		s := mustScan(t, f)
		lock()
		m, err := f.Append(strings.NewReader("Subject: x\r\n\r\ny\r\n"), nil, testDate)
		if err != nil || m.UID != s.Messages[len(s.Messages)-1].UID+1 {
			t.Errorf("append with the intent file there: %+v, %v", m, err)
		}
	})
}

// TestCreateTakesSpoolGroup: a new mbox in a spool that users share
// through its group (another user's directory, group-writable, not
// setgid: Red Hat's /var/spool/mail) gets the directory's group; in a
// directory of our own it keeps ours.
func TestCreateTakesSpoolGroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to make a directory of another user's")
	}
	const spoolGID = 8 // mail, on Debian
	d := testDriver(t, Options{})
	for _, c := range []struct {
		name    string
		owner   int
		mode    os.FileMode
		wantGID int
	}{
		{"shared spool", 65534, 0o775, spoolGID},
		{"not group-writable", 65534, 0o755, os.Getegid()},
		{"our own", 0, 0o775, os.Getegid()},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "spool")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(dir, c.owner, spoolGID); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, c.mode); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "user")
			if err := d.Create(path, 0o600); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Lstat(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, gid, _ := fileOwner(fi); gid != c.wantGID || fi.Mode().Perm() != 0o600 {
				t.Errorf("new mailbox: group %d, mode %v; want group %d, 0600", gid, fi.Mode(), c.wantGID)
			}
		})
	}
}
