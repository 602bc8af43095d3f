//go:build unix

package mbox

import (
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
	if _, err := f.ClaimSeen(uids); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // many flush delays: before, the O was written by now

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
