package fts

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPlantedLinksNotFollowed: where others may write beside a mailbox,
// links planted at the index's own name or at the names its temporary
// files once had never make the index write through them into a file
// of the user's.
func TestPlantedLinksNotFollowed(t *testing.T) {
	for _, plant := range []string{"", ".%d.tmp", ".seg.%d.tmp"} {
		t.Run("at"+strings.ReplaceAll(plant, "%d", "PID"), func(t *testing.T) {
			dir := t.TempDir()
			victim := filepath.Join(t.TempDir(), "authorized_keys")
			const precious = "ssh-ed25519 AAAA precious\n"
			if err := os.WriteFile(victim, []byte(precious), 0o600); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, ".INBOX.mgfts")
			link := path
			if plant != "" {
				link = path + strings.ReplaceAll(plant, "%d", strconv.Itoa(os.Getpid()))
			}
			if err := os.Symlink(victim, link); err != nil {
				t.Fatal(err)
			}
			x, err := OpenOwn(path, 1)
			if err != nil {
				t.Fatal(err)
			}
			x.Add(1, &Doc{Text: []byte("Subject: hello\nworld\n"), BodyStart: 15})
			if err := x.Flush(); err != nil {
				t.Error(err)
			}
			if err := x.Merge(); err != nil { // the segment, and a new log
				t.Error(err)
			}
			x.Close()
			if b, _ := os.ReadFile(victim); string(b) != precious {
				t.Errorf("the file a planted link names was written: %.40q", b)
			}
		})
	}
}
