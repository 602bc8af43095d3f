package maildir

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

func TestCreatePermissions(t *testing.T) {
	tests := []struct {
		perm, dir os.FileMode
	}{
		{0o600, 0o700},
		{0o660, 0o770},
		{0o640, 0o750},
		{0o644, 0o755},
		{0o666, 0o777},
	}
	for _, tt := range tests {
		d := testDriver()
		path := filepath.Join(t.TempDir(), "a", "box")
		if err := d.Create(path, tt.perm); err != nil {
			t.Fatal(err)
		}
		for _, sub := range []string{"", "cur", "new", "tmp"} {
			fi, err := os.Stat(filepath.Join(path, sub))
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != tt.dir {
				t.Errorf("Create(%o): %q has mode %o, want %o", tt.perm, sub, got, tt.dir)
			}
		}
		fi, err := os.Stat(filepath.Join(path, propsFile))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != tt.perm {
			t.Errorf("Create(%o): .mu-prop has mode %o", tt.perm, got)
		}
		if !d.Is(path) {
			t.Errorf("Is(%q) = false after Create", path)
		}
	}
}

func TestCreateExisting(t *testing.T) {
	d := testDriver()
	root := t.TempDir()
	box := filepath.Join(root, "box")
	if err := d.Create(box, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.Create(box, 0o600); !errors.Is(err, storage.ErrExists) {
		t.Fatalf("second Create: %v, want ErrExists", err)
	}
	file := filepath.Join(root, "file")
	writeFile(t, file, "x", time.Time{})
	if err := d.Create(file, 0o600); !errors.Is(err, storage.ErrExists) {
		t.Fatalf("Create over a file: %v, want ErrExists", err)
	}
	// A parent of a child mailbox becomes a mailbox itself.
	if err := d.Create(filepath.Join(root, "p", "child"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.Create(filepath.Join(root, "p"), 0o600); err != nil {
		t.Fatalf("Create of a parent directory: %v", err)
	}
	if !d.Is(filepath.Join(root, "p")) {
		t.Fatal("parent is not a mailbox after Create")
	}
}

func TestIsAndInternal(t *testing.T) {
	d := testDriver()
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "only-cur", "cur"), 0o700)
	if d.Is(filepath.Join(root, "only-cur")) || d.Is(filepath.Join(root, "missing")) {
		t.Error("Is is true without cur and new")
	}
	internal := []string{"cur", "new", "tmp", ".mu-prop", ".Sent", ".mailgate-tmp.mu-prop",
		"dovecot-uidlist", "dovecot-keywords", "dovecot.index.log", "maildirfolder"}
	for _, n := range internal {
		if !d.Internal(n) {
			t.Errorf("Internal(%q) = false", n)
		}
	}
	for _, n := range []string{"Sent", "INBOX", "current", "dovecot-fans"} {
		if d.Internal(n) {
			t.Errorf("Internal(%q) = true", n)
		}
	}
	if d.Name() != "maildir" {
		t.Errorf("Name() = %q", d.Name())
	}
}

func TestDelete(t *testing.T) {
	tests := []struct {
		name      string
		child     bool
		wantGone  bool
		extraFile string
	}{
		{"empty", false, true, ""},
		{"dovecot files", false, true, "dovecot.index.log"},
		{"with child", true, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, d := newMaildir(t)
			f := mustOpen(t, d, path)
			if _, err := f.Append(strings.NewReader("Subject: a\r\n\r\nb\r\n"), []string{"Junk"}, time.Time{}); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(path, "dovecot-uidlist"), "3 V1 N1 Gx\n", time.Time{})
			writeFile(t, filepath.Join(path, "tmp", "stray"), "x", time.Time{})
			if tt.extraFile != "" {
				writeFile(t, filepath.Join(path, tt.extraFile), "x", time.Time{})
			}
			if tt.child {
				if err := d.Create(filepath.Join(path, "child"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := d.Delete(path); err != nil {
				t.Fatal(err)
			}
			_, err := os.Stat(path)
			if gone := os.IsNotExist(err); gone != tt.wantGone {
				t.Fatalf("directory gone = %v, want %v", gone, tt.wantGone)
			}
			if d.Is(path) {
				t.Fatal("still a mailbox after Delete")
			}
			if tt.child {
				if !d.Is(filepath.Join(path, "child")) {
					t.Fatal("child mailbox was removed")
				}
				if got := listDir(t, path); !slices.Equal(got, []string{"child"}) {
					t.Fatalf("left in the directory: %q", got)
				}
			}
			if err := d.Delete(path); !errors.Is(err, storage.ErrNoMailbox) {
				t.Fatalf("second Delete: %v, want ErrNoMailbox", err)
			}
		})
	}
}

func TestOpenMissing(t *testing.T) {
	d := testDriver()
	if _, err := d.Open(filepath.Join(t.TempDir(), "nope"), 0o600); !errors.Is(err, storage.ErrNoMailbox) {
		t.Fatalf("Open: %v, want ErrNoMailbox", err)
	}
}

func TestRoundTrip(t *testing.T) {
	path, d := newMaildir(t)
	f := mustOpen(t, d, path)
	date := time.Date(2023, 5, 6, 7, 8, 9, 0, time.UTC)
	appends := []struct {
		body      string
		flags     []string
		wantFlags []string
	}{
		{"Subject: one\r\n\r\nfirst\r\n", nil, nil},
		{"Subject: two\r\n\r\nsecond\n", []string{`\seen`, `\Flagged`, `\Seen`}, []string{`\Flagged`, `\Seen`}},
		{"Subject: three\r\n\r\nthird\r\n", []string{"$forwarded", "Junk", `\Draft`, `\Recent`}, []string{"$Forwarded", "Junk", `\Draft`}},
		{"Subject: four\r\n\r\n", []string{`\Answered`, `\Deleted`, "junk", "NonJunk"}, []string{"Junk", "NonJunk", `\Answered`, `\Deleted`}},
	}
	var want []storage.Message
	for i, a := range appends {
		m, err := f.Append(strings.NewReader(a.body), a.flags, date)
		if err != nil {
			t.Fatal(err)
		}
		if m.UID != uint32(i+1) || !slices.Equal(m.Flags, a.wantFlags) || m.Size != crlfSize(a.body) ||
			!m.InternalDate.Equal(date) || !m.New {
			t.Fatalf("Append %d = %+v; want UID %d flags %q size %d", i, m, i+1, a.wantFlags, crlfSize(a.body))
		}
		want = append(want, m)
	}
	snap := mustScan(t, f)
	if !slices.EqualFunc(snap.Messages, want, sameMessage) || snap.UIDNext != 5 || snap.UIDValidity == 0 {
		t.Fatalf("Scan = %+v\nwant %+v", snap, want)
	}
	if got := readAll(t, f, 1); got != "Subject: one\n\nfirst\n" {
		t.Fatalf("stored with %q", got)
	}
	if got := listDir(t, filepath.Join(path, "new")); len(got) != 4 || !hasSuffix(got, ",u=3:2,DPa") {
		t.Fatalf("new/ holds %q", got)
	}

	if err := f.SetFlags(2, []string{`\Answered`, "JUNK"}); err != nil {
		t.Fatal(err)
	}
	if err := f.Seen([]uint32{1, 2}); err != nil {
		t.Fatal(err)
	}
	if err := f.Expunge([]uint32{3}); err != nil {
		t.Fatal(err)
	}
	want[0].New, want[1].New = false, false
	want[1].Flags = []string{"Junk", `\Answered`}
	want = slices.Delete(want, 2, 3)
	snap = mustScan(t, f)
	if !slices.EqualFunc(snap.Messages, want, sameMessage) {
		t.Fatalf("after changes Scan = %+v\nwant %+v", snap.Messages, want)
	}
	if _, err := f.Open(3); !errors.Is(err, storage.ErrNoMessage) {
		t.Fatalf("Open of an expunged message: %v", err)
	}
	if err := f.SetFlags(3, nil); !errors.Is(err, storage.ErrNoMessage) {
		t.Fatalf("SetFlags of an expunged message: %v", err)
	}
	if got := listDir(t, filepath.Join(path, "cur")); len(got) != 2 || !hasSuffix(got, ",u=2:2,Ra") {
		t.Fatalf("cur/ holds %q", got)
	}

	// A fresh Folder sees the same mailbox.
	f.Close()
	if _, err := f.Scan(); err == nil {
		t.Fatal("Scan after Close worked")
	}
	g := mustOpen(t, d, path)
	again := mustScanDated(t, g)
	if again.UIDValidity != snap.UIDValidity || again.UIDNext != 5 || !slices.EqualFunc(again.Messages, want, sameMessage) {
		t.Fatalf("reopened Scan = %+v\nwant %+v", again, snap)
	}
	m, err := g.Append(strings.NewReader("x\n"), nil, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if m.UID != 5 || time.Since(m.InternalDate) > time.Minute {
		t.Fatalf("Append after reopen = %+v", m)
	}
}

func sameMessage(a, b storage.Message) bool {
	return a.UID == b.UID && slices.Equal(a.Flags, b.Flags) && a.InternalDate.Equal(b.InternalDate) &&
		a.Size == b.Size && a.New == b.New
}

func TestKeywords(t *testing.T) {
	path, d := newMaildir(t)
	f := mustOpen(t, d, path)
	m, err := f.Append(strings.NewReader("x\n"), []string{"Work"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < maxKeywords; i++ {
		if err := f.SetFlags(m.UID, []string{"k" + string(rune('a'+i))}); err != nil {
			t.Fatalf("keyword %d: %v", i, err)
		}
	}
	if err := f.SetFlags(m.UID, []string{"one-too-many"}); !errors.Is(err, storage.ErrTooManyKeywords) {
		t.Fatalf("27th keyword: %v, want ErrTooManyKeywords", err)
	}
	if _, err := f.Append(strings.NewReader("x\n"), []string{"another"}, time.Time{}); !errors.Is(err, storage.ErrTooManyKeywords) {
		t.Fatalf("Append with a 27th keyword: %v", err)
	}
	if err := f.SetFlags(m.UID, []string{"WORK", "kZ"}); err != nil {
		t.Fatal(err)
	}
	snap := mustScan(t, f)
	if got := snap.Messages[0].Flags; !slices.Equal(got, []string{"Work", "kz"}) {
		t.Fatalf("flags %q", got)
	}
	if err := f.SetFlags(m.UID, []string{"bad keyword"}); err == nil {
		t.Fatal("a keyword with a space was stored")
	}
	if err := f.SetFlags(m.UID, []string{`\Unknown`}); err == nil {
		t.Fatal("an unknown system flag was stored")
	}
	data, _ := os.ReadFile(filepath.Join(path, keywordsFile))
	if !strings.HasPrefix(string(data), "0 Work\n1 kb\n") {
		t.Fatalf("dovecot-keywords = %q", data)
	}
	// A second Folder, as another process, sees the same letters.
	g := mustOpen(t, d, path)
	if got := mustScan(t, g).Messages[0].Flags; !slices.Equal(got, []string{"Work", "kz"}) {
		t.Fatalf("second Folder sees %q", got)
	}
}

// hasSuffix reports whether one of names ends in suffix.
func hasSuffix(names []string, suffix string) bool {
	return slices.ContainsFunc(names, func(n string) bool { return strings.HasSuffix(n, suffix) })
}
