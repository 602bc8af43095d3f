package storage_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// TestOpenRacesWithRenames: a maildir's messages are opened without the
// mailbox lock (QuickOpener), while another session's STOREs rename
// their files, another program renames and removes files, and the
// session expunges some. Every open must give the message's own
// content, or ErrNoMessage once the message is gone; never another
// message's, never another error, never a hang.
func TestOpenRacesWithRenames(t *testing.T) {
	const n = 150
	_, a, root := newAccount(t)
	body := func(i int) string { return fmt.Sprintf("Subject: m%d\n\nbody of %d\n", i, i) }
	dir := writeQuietMaildir(t, root, 0)
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("1700000000.M%dP1.host,u=%d:2,", i, i)
		if err := os.WriteFile(filepath.Join(dir, "cur", name), []byte(body(i)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	reader := selectSettled(t, a)
	writer, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	uids := reader.UIDs()
	if len(uids) != n {
		t.Fatalf("%d messages, want %d", len(uids), n)
	}
	// want[uid] is the subject line of message uid's content.
	want := map[uint32]string{}
	for _, uid := range uids {
		h, err := reader.StoredHeader(uid, nil)
		if err != nil {
			t.Fatal(err)
		}
		want[uid] = strings.SplitN(string(h), "\n", 2)[0]
	}

	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	check := func(uid uint32, what string, content []byte, err error) bool {
		if errors.Is(err, storage.ErrNoMessage) {
			return true
		}
		if err != nil {
			errs <- fmt.Errorf("%s of message %d: %v", what, uid, err)
			return false
		}
		if got := strings.TrimSuffix(strings.SplitN(string(content), "\n", 2)[0], "\r"); got != want[uid] {
			errs <- fmt.Errorf("%s of message %d gave %q, want %q", what, uid, got, want[uid])
			return false
		}
		return true
	}
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for round := 0; !stop.Load() || round < 2; round++ {
				for _, uid := range uids {
					var content []byte
					var err error
					var what string
					switch r % 3 {
					case 0:
						what = "StoredHeader"
						content, err = reader.StoredHeader(uid, buf[:0])
						buf = content
					case 1:
						what = "OpenStored"
						var rc io.ReadCloser
						if rc, err = reader.OpenStored(uid); err == nil {
							content, err = io.ReadAll(rc)
							rc.Close()
						}
					case 2:
						what = "Open"
						var rc io.ReadCloser
						if rc, _, err = reader.Open(uid); err == nil {
							content, err = io.ReadAll(rc)
							rc.Close()
						}
					}
					if !check(uid, what, content, err) {
						return
					}
				}
			}
		}()
	}
	// Another session's STOREs, another program's renames and removals.
	for round := range 6 {
		op := storage.AddFlags
		if round%2 == 1 {
			op = storage.RemoveFlags
		}
		if _, err := writer.Store(uids, op, []string{storage.FlagFlagged}); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "cur", "*"))
		for i, f := range files {
			switch {
			case i%7 == round:
				os.Rename(f, f+"S")
			case i%29 == round:
				os.Remove(f)
			}
		}
	}
	if _, err := writer.Store(uids[:n/3], storage.AddFlags, []string{storage.FlagDeleted}); err != nil {
		t.Fatal(err)
	}
	if err := writer.Expunge(uids[:n/3], false); err != nil {
		t.Fatal(err)
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
