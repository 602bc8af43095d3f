package mh

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Unchanged is true only while the folder, .mh_sequences and .mu-prop
// are as the last scan saw them, and that scan saw times old enough to
// prove it; a change that keeps a file's size is seen too.
func TestUnchanged(t *testing.T) {
	path := mkFolder(t, map[string]string{"1": "Subject: a\n\nx\n", "2": "Subject: b\n\ny\n", seqFile: "unseen: 2\n"})
	f := mustOpen(t, testDriver(), path)
	if f.Unchanged() {
		t.Fatal("Unchanged before any scan")
	}
	if _, err := f.Scan(); err != nil {
		t.Fatal(err)
	}
	if f.Unchanged() {
		t.Fatal("Unchanged after a scan that wrote .mu-prop just now")
	}
	old := time.Now().Add(-time.Hour)
	for _, p := range []string{path, filepath.Join(path, seqFile), filepath.Join(path, propsFile)} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.Scan(); err != nil {
		t.Fatal(err)
	}
	if !f.Unchanged() {
		t.Fatal("not Unchanged after a scan of a quiet folder")
	}
	// Another program marks 1 unseen instead of 2: same size.
	writeFile(t, filepath.Join(path, seqFile), "unseen: 1\n", old)
	if f.Unchanged() {
		t.Fatal("Unchanged after .mh_sequences was rewritten in place")
	}
	if _, err := f.Scan(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, filepath.Join(path, seqFile), filepath.Join(path, propsFile)} {
		os.Chtimes(p, old, old)
	}
	if _, err := f.Scan(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(path, "3"), "Subject: c\n\nz\n", old)
	if f.Unchanged() {
		t.Fatal("Unchanged after a message was added")
	}
}
