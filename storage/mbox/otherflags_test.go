//go:build unix

package mbox

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// muttRewrite writes the mbox at path anew as mutt does on sync (a new
// file renamed over it), with edit applied to its text.
func muttRewrite(t *testing.T, path string, edit func(string) string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(filepath.Dir(path), "mutt.tmp")
	if err := os.WriteFile(tmp, []byte(edit(string(b))), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TestLazyOldKeepsOtherProgramsFlags: a session's Status O for a message
// it saw must not carry that moment's flags into a later rewrite: when
// mutt marks the message read meanwhile (Status: RO), mutt's \Seen stays.
// A Status O kept lazily with the whole flag set lost it (review s10b).
func TestLazyOldKeepsOtherProgramsFlags(t *testing.T) {
	two := "From a@example.org Mon Dec  7 10:00:00 2026\nSubject: one\n\nbody\n\n" +
		"From a@example.org Mon Dec  7 10:00:00 2026\nSubject: two\n\nbody\n"
	path := writeMbox(t, two)
	f := mustOpen(t, testDriver(t, Options{FlushDelay: 20 * time.Millisecond}), path)
	uids := uidsOf(mustScan(t, f))
	before := fileContent(t, path)
	if _, err := f.ClaimSeen(uids); err != nil {
		t.Fatal(err)
	}
	waitRewritten(t, path, before)

	// mutt: the user reads message one.
	muttRewrite(t, path, func(s string) string {
		return strings.Replace(s, "Subject: one\n", "Status: RO\nSubject: one\n", 1)
	})
	time.Sleep(20 * time.Millisecond)
	s := mustScan(t, f)
	if !slices.Contains(s.Messages[0].Flags, storage.FlagSeen) {
		t.Errorf("after mutt marked UID %d read, the session shows flags %v", s.Messages[0].UID, s.Messages[0].Flags)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	content := readFile(t, path)
	head, _, _ := strings.Cut(content, "Subject: one")
	if !strings.Contains(head, "Status: RO") && !strings.Contains(head, "Status: OR") {
		t.Errorf("mutt's \\Seen lost at Close:\n%s", content)
	}
}

// fileContent returns the content of the file at path.
func fileContent(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// waitRewritten waits, up to 10 s, until the file at path differs from
// before: the flush that writes a claimed message's Status O has come.
// It does not fail the test; what the test checks next does.
func waitRewritten(t *testing.T, path string, before []byte) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil && !bytes.Equal(b, before) {
			return
		}
	}
}
