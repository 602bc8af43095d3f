//go:build linux

package storage_test

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/mh"
)

// TestSharedMemberKeepsModSeqs: a group-shared MH folder (not sticky)
// owned by a third user, whose numbers and cache files another member's
// process wrote last. Nothing changes; this member's next SELECT keeps
// every modseq (HIGHESTMODSEQ stays), so its CONDSTORE clients have
// nothing to refetch. Needs root, to give the files away.
func TestSharedMemberKeepsModSeqs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	const n = 200
	home := filepath.Join(t.TempDir(), "alice")
	box := filepath.Join(home, "Mail", "inbox")
	files := map[string]string{}
	for i := 1; i <= n; i++ {
		files[fmt.Sprint(i)] = fmt.Sprintf("Subject: m%d\n\nbody %d\n", i, i)
	}
	writeMH(t, box, files)
	process := func() *storage.Account {
		s := storage.New(storage.Options{
			Drivers: []storage.Driver{mh.New()},
			Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		t.Cleanup(func() { s.Close() })
		return s.Account(storage.User{Name: "alice", Home: home}, &storage.Layout{Inbox: "mh:$home/Mail/inbox", DefaultType: "mh"})
	}
	highest := func() uint64 {
		v, err := process().Select("INBOX", true)
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		h, _ := v.HighestModSeq()
		return h
	}
	h1 := highest()
	for _, name := range []string{".mailgate-numbers", ".mailgate-cache"} {
		if err := os.Chown(filepath.Join(box, name), 65534, 65534); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	if err := os.Chown(box, 65533, 65534); err != nil {
		t.Fatal(err)
	}
	if h2 := highest(); h2 != h1 {
		t.Errorf("nothing changed, yet HIGHESTMODSEQ went %d -> %d: another member's numbers file was not trusted", h1, h2)
	}
}
