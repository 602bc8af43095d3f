package mh

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// testNow is the clock of testDriver.
func testNow() time.Time { return time.Unix(1750000000, 0) }

// testValidity is the UIDVALIDITY that testDriver gives every folder;
// tests of UIDVALIDITY allocation set their own allocator.
func testValidity() uint32 { return 1750000000 }

func testDriver() *Driver {
	return &Driver{Options: Options{Now: testNow, UIDValidity: testValidity}}
}

// mustOpen opens the folder at path as a *Folder.
func mustOpen(t testing.TB, d *Driver, path string) *Folder {
	t.Helper()
	f, err := d.Open(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f.(*Folder)
}

// newFolder creates an empty folder in a temporary directory.
func newFolder(t testing.TB) (string, *Driver) {
	t.Helper()
	d := testDriver()
	path := filepath.Join(t.TempDir(), "Mail", "inbox")
	if err := d.Create(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, d
}

// mkFolder makes a folder as another program would, with files given as
// name -> content, all dated 1700000000.
func mkFolder(t testing.TB, files map[string]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "Mail", "box")
	if err := os.MkdirAll(path, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		writeFile(t, filepath.Join(path, name), content, time.Unix(1700000000, 0))
	}
	return path
}

func mustScan(t testing.TB, f storage.Folder) storage.Snapshot {
	t.Helper()
	s, err := f.Scan()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func uidsOf(s storage.Snapshot) []uint32 {
	var u []uint32
	for _, m := range s.Messages {
		u = append(u, m.UID)
	}
	return u
}

func message(s storage.Snapshot, uid uint32) (storage.Message, bool) {
	for _, m := range s.Messages {
		if m.UID == uid {
			return m, true
		}
	}
	return storage.Message{}, false
}

// writeFile writes a file as another program would; a zero mtime leaves
// the modification time alone.
func writeFile(t testing.TB, path, content string, mtime time.Time) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if !mtime.IsZero() {
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// listDir returns the sorted names in dir.
func listDir(t testing.TB, dir string) []string {
	t.Helper()
	names, err := readNames(dir)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names
}

func readAll(t testing.TB, f storage.Folder, uid uint32) string {
	t.Helper()
	r, err := f.Open(uid)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func crlfSize(s string) int64 {
	n, _ := storage.CRLFSize(strings.NewReader(s))
	return n
}

func appendMsg(t testing.TB, f storage.Folder, body string, flags ...string) storage.Message {
	t.Helper()
	m, err := f.Append(strings.NewReader(body), flags, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
