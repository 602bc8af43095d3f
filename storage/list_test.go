package storage_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
	"github.com/mailgate/mailgate/storage/mh"
)

// logBuffer collects a store's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// listAccount returns an account whose personal namespace is its home,
// on a store with the given options (Drivers and Logger filled in).
func listAccount(t *testing.T, opts storage.Options) (a *storage.Account, home string, log *logBuffer) {
	t.Helper()
	log = &logBuffer{}
	opts.Drivers = []storage.Driver{maildir.New(), mh.New()}
	opts.Logger = slog.New(slog.NewTextHandler(log, nil))
	s := storage.New(opts)
	t.Cleanup(func() { s.Close() })
	home = filepath.Join(t.TempDir(), "alice")
	os.MkdirAll(home, 0o700)
	layout := &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"}
	return s.Account(storage.User{Name: "alice", Home: home}, layout), home, log
}

// listAll returns every name LIST "*" shows.
func listAll(a *storage.Account) []string {
	var names []string
	a.List(func(string) bool { return true }, func(mi storage.MailboxInfo) { names = append(names, mi.Name) })
	return names
}

func levels(n int, level string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = level
	}
	return strings.Join(parts, "/")
}

// TestNameLimits: CREATE and RENAME refuse what LIST could not show or
// the file system could not hold, with ErrBadName and a reason that
// names the limit and not the server's path.
func TestNameLimits(t *testing.T) {
	a, home, _ := listAccount(t, storage.Options{})
	if err := a.Create("src"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		what   string
		name   func(c string) string // a name made of the letter c
		ok     bool
		reason string
	}{
		{"deepest", func(c string) string { return levels(storage.MaxDepth, c) }, true, ""},
		{"too deep", func(c string) string { return levels(storage.MaxDepth+1, c) }, false, fmt.Sprint(storage.MaxDepth)},
		{"longest level", func(c string) string { return strings.Repeat(c, storage.MaxLevelBytes) }, true, ""},
		{"too long a level", func(c string) string { return strings.Repeat(c, storage.MaxLevelBytes+1) }, false, fmt.Sprint(storage.MaxLevelBytes)},
		{"too long a path", func(c string) string { return levels(4096/200+1, strings.Repeat(c, 199)) }, false, fmt.Sprint(storage.MaxPathBytes)},
	} {
		t.Run(tc.what, func(t *testing.T) {
			for _, op := range []string{"CREATE", "RENAME"} {
				var err error
				if op == "CREATE" {
					err = a.Create(tc.name("c"))
				} else if err = a.Rename("src", tc.name("r")); err == nil {
					err = a.Rename(tc.name("r"), "src")
				}
				switch {
				case tc.ok && err != nil:
					t.Errorf("%s: %v", op, err)
				case !tc.ok && !errors.Is(err, storage.ErrBadName):
					t.Errorf("%s: %v, want ErrBadName", op, err)
				case !tc.ok && (!strings.Contains(err.Error(), tc.reason) || strings.Contains(err.Error(), home)):
					t.Errorf("%s: %q should name the limit %s and not the path", op, err, tc.reason)
				}
			}
		})
	}
	deepest := levels(storage.MaxDepth, "c")
	names := listAll(a)
	found := false
	for _, n := range names {
		if n == deepest {
			found = true
		}
		if strings.Count(n, "/")+1 > storage.MaxDepth {
			t.Errorf("LIST shows a name of more than %d levels: %q", storage.MaxDepth, n)
		}
	}
	if !found {
		t.Errorf("LIST does not show the deepest name CREATE accepted")
	}
}

// TestListStaysInsideRoot: LIST follows no link out of the namespace
// directory, and ends on links that loop.
func TestListStaysInsideRoot(t *testing.T) {
	a, home, _ := listAccount(t, storage.Options{})
	outside := t.TempDir()
	if err := maildir.New().Create(filepath.Join(outside, "secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"Work/2024", "Lists"} {
		if err := a.Create(n); err != nil {
			t.Fatal(err)
		}
	}
	os.Symlink(outside, filepath.Join(home, "out"))
	os.Symlink(filepath.Join(outside, "secret"), filepath.Join(home, "secretbox"))
	os.Symlink("..", filepath.Join(home, "Work", "up"))
	os.Symlink(home, filepath.Join(home, "loop"))
	os.Symlink("../Lists", filepath.Join(home, "Work", "lists"))
	names := listAll(a)
	got := " " + strings.Join(names, " ") + " "
	for _, n := range names {
		if strings.Contains(n, "secret") || strings.HasPrefix(n, "out") {
			t.Errorf("LIST shows %q, outside the namespace directory", n)
		}
		if strings.Count(n, "/") > 3 {
			t.Errorf("LIST followed a loop: %q", n)
		}
	}
	for _, want := range []string{"Work", "Work/2024", "Lists", "Work/lists"} {
		if !strings.Contains(got, " "+want+" ") {
			t.Errorf("LIST lacks %q: %s", want, got)
		}
	}
}

// TestListIsBounded: a namespace directory with more entries than
// MaxListEntries is listed in part, with one warning that names it.
func TestListIsBounded(t *testing.T) {
	a, home, log := listAccount(t, storage.Options{MaxListEntries: 100})
	if err := a.Create("Archive"); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		dir := filepath.Join(home, fmt.Sprintf("junk%02d", i))
		os.Mkdir(dir, 0o700)
		for j := range 20 {
			os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d", j)), nil, 0o600)
		}
	}
	for range 2 {
		names := listAll(a)
		if len(names) < 2 || names[1] != "Archive" {
			t.Errorf("LIST: %v, want INBOX and Archive first", names)
		}
		if len(names) > 10 {
			t.Errorf("LIST showed %d names past its bound", len(names))
		}
	}
	if n := strings.Count(log.String(), "LIST stopped early"); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, log)
	}
	if !strings.Contains(log.String(), "directory="+home) {
		t.Errorf("the warning does not name %s:\n%s", home, log)
	}
}
