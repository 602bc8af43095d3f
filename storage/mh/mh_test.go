package mh

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

func TestIs(t *testing.T) {
	d := testDriver()
	tests := []struct {
		name  string
		files []string // a trailing '/' makes a directory
		want  bool
	}{
		{"empty directory", nil, false},
		{"sequences only", []string{seqFile}, true},
		{"mu-prop only", []string{propsFile}, true},
		{"a message", []string{"12"}, true},
		{"expunged only", []string{",3"}, false},
		{"digit directory", []string{"2024/"}, false},
		{"child folders only", []string{"sub/", "x"}, false},
		{"leading zero", []string{"012"}, false},
		{"maildir", []string{"cur/", "new/", "tmp/", propsFile}, false},
	}
	for _, tt := range tests {
		dir := filepath.Join(t.TempDir(), "box")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, f := range tt.files {
			p := filepath.Join(dir, f)
			if f[len(f)-1] == '/' {
				if err := os.Mkdir(p, 0o700); err != nil {
					t.Fatal(err)
				}
			} else {
				writeFile(t, p, "x\n", time.Time{})
			}
		}
		if got := d.Is(dir); got != tt.want {
			t.Errorf("%s: Is = %v", tt.name, got)
		}
	}
	file := filepath.Join(t.TempDir(), "mbox")
	writeFile(t, file, "From x\n", time.Time{})
	if d.Is(file) || d.Is(filepath.Join(t.TempDir(), "missing")) {
		t.Error("Is of a file or a missing path")
	}
}

func TestInternal(t *testing.T) {
	d := testDriver()
	for name, want := range map[string]bool{
		"1": true, "123": true, "007": true, ",5": true, ",x": true,
		".mh_sequences": true, ".mu-prop": true, ".xmhcache": true, ".mh_profile": true,
		"inbox": false, "2024-archive": false, "drafts": false, "a1": false,
	} {
		if got := d.Internal(name); got != want {
			t.Errorf("Internal(%q) = %v", name, got)
		}
	}
}

func TestCreate(t *testing.T) {
	tests := []struct {
		perm, dir os.FileMode
	}{
		{0o600, 0o700},
		{0o660, 0o770},
		{0o640, 0o750},
	}
	for _, tt := range tests {
		d := testDriver()
		path := filepath.Join(t.TempDir(), "a", "box")
		if err := d.Create(path, tt.perm); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != tt.dir {
			t.Errorf("Create(%o): directory %v %v", tt.perm, fi.Mode(), err)
		}
		for _, name := range []string{seqFile, propsFile} {
			if fi, err := os.Stat(filepath.Join(path, name)); err != nil || fi.Mode().Perm() != tt.perm {
				t.Errorf("Create(%o): %s: %v", tt.perm, name, err)
			}
		}
		if got := readFile(t, filepath.Join(path, propsFile)); got != "uidnext: 1\nuid-validity: 1750000000\nversion: 3.15\nrecent-from: 1\n" {
			t.Errorf(".mu-prop = %q", got)
		}
		if !d.Is(path) {
			t.Error("Is = false after Create")
		}
		if err := d.Create(path, tt.perm); !errors.Is(err, storage.ErrExists) {
			t.Errorf("second Create: %v", err)
		}
	}
	d := testDriver()
	root := t.TempDir()
	file := filepath.Join(root, "file")
	writeFile(t, file, "x", time.Time{})
	if err := d.Create(file, 0o600); !errors.Is(err, storage.ErrExists) {
		t.Fatalf("Create over a file: %v", err)
	}
	// A parent of a child folder becomes a folder itself.
	if err := d.Create(filepath.Join(root, "p", "child"), 0o600); err != nil {
		t.Fatal(err)
	}
	if d.Is(filepath.Join(root, "p")) {
		t.Fatal("a bare parent directory is a folder")
	}
	if err := d.Create(filepath.Join(root, "p"), 0o600); err != nil {
		t.Fatalf("Create of a parent directory: %v", err)
	}
	s := mustScan(t, mustOpen(t, d, filepath.Join(root, "p")))
	if len(s.Messages) != 0 || s.UIDNext != 1 || s.UIDValidity != 1750000000 {
		t.Fatalf("Scan of a new folder = %+v", s)
	}
}

func TestDelete(t *testing.T) {
	path, d := newFolder(t)
	f := mustOpen(t, d, path)
	appendMsg(t, f, "x\n")
	appendMsg(t, f, "y\n")
	if err := f.Expunge([]uint32{1}); err != nil {
		t.Fatal(err)
	}
	if err := d.Create(filepath.Join(path, "child"), 0o600); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(path, "notes.txt"), "a file nobody owns", time.Time{})
	if err := d.Delete(path); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, path); !slices.Equal(got, []string{"child", "notes.txt"}) {
		t.Fatalf("left %q", got)
	}
	if d.Is(path) {
		t.Fatal("still a folder")
	}
	if err := d.Delete(path); !errors.Is(err, storage.ErrNoMailbox) {
		t.Fatalf("second Delete: %v", err)
	}
	// Without anything else in it, the directory goes.
	path2, _ := newFolder(t)
	f2 := mustOpen(t, d, path2)
	appendMsg(t, f2, "x\n")
	if err := d.Delete(path2); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path2); !os.IsNotExist(err) {
		t.Fatalf("directory left: %v", err)
	}
	if _, err := f2.Scan(); !errors.Is(err, storage.ErrNoMailbox) {
		t.Fatalf("Scan of a deleted folder: %v", err)
	}
	if _, err := d.Open(path2, 0o600); !errors.Is(err, storage.ErrNoMailbox) {
		t.Fatalf("Open of a deleted folder: %v", err)
	}
}
