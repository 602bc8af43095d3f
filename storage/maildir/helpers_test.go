package maildir

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

func testDriver() *Driver {
	return &Driver{Options: Options{Hostname: "testhost"}}
}

// mustOpen opens the maildir at path as a *Folder.
func mustOpen(t testing.TB, d *Driver, path string) *Folder {
	t.Helper()
	f, err := d.Open(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f.(*Folder)
}

// newMaildir creates an empty maildir in a temporary directory.
func newMaildir(t testing.TB) (string, *Driver) {
	t.Helper()
	d := testDriver()
	path := filepath.Join(t.TempDir(), "INBOX")
	if err := d.Create(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, d
}

func mustScan(t testing.TB, f storage.Folder) storage.Snapshot {
	t.Helper()
	s, err := f.Scan()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mustScanDated is mustScan with every message's internal date, which a
// scan may leave to be learnt when asked (storage.Dater).
func mustScanDated(t testing.TB, f storage.Folder) storage.Snapshot {
	t.Helper()
	s := mustScan(t, f)
	uids := uidsOf(s)
	dates := make([]time.Time, len(uids))
	if err := f.(storage.Dater).InternalDates(uids, dates); err != nil {
		t.Fatal(err)
	}
	for i := range s.Messages {
		s.Messages[i].InternalDate = dates[i]
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

// writeFile writes a message file as another program would.
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

// zeroTime leaves a file's modification time alone in writeFile.
var zeroTime time.Time

func crlfSize(s string) int64 {
	n, _ := storage.CRLFSize(strings.NewReader(s))
	return n
}
