package maildir

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// brokenReader yields data, then fails with err, as the literal of a
// client that disconnected midway does.
type brokenReader struct {
	data string
	err  error
}

func (r *brokenReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestAppendReadError: a message whose content did not arrive whole is
// never stored, and leaves no file behind (issue 8, item 1).
func TestAppendReadError(t *testing.T) {
	for _, readErr := range []error{io.ErrUnexpectedEOF, errors.New("connection reset")} {
		for _, how := range []string{"Append", "Stage"} {
			t.Run(how+"/"+readErr.Error(), func(t *testing.T) {
				path, d := newMaildir(t)
				f := mustOpen(t, d, path)
				mustScan(t, f)
				r := &brokenReader{data: "Subject: cut\r\n\r\n" + strings.Repeat("x", 100_000), err: readErr}
				var err error
				if how == "Append" {
					_, err = f.Append(r, []string{storage.FlagSeen}, time.Time{})
				} else {
					_, err = f.Stage(r, nil, time.Time{})
				}
				if !errors.Is(err, readErr) {
					t.Errorf("%s = %v; want %v", how, err, readErr)
				}
				if s := mustScan(t, f); len(s.Messages) != 0 {
					t.Errorf("stored %+v", s.Messages)
				}
				for _, sub := range []string{dirTmp, dirNew, dirCur} {
					if names := listDir(t, filepath.Join(path, sub)); len(names) != 0 {
						t.Errorf("%s/ holds %v", sub, names)
					}
				}
			})
		}
	}
}

// TestStageCommit: a staged message becomes part of the mailbox only at
// Commit, with the flags and date given to Stage; Abort leaves nothing.
func TestStageCommit(t *testing.T) {
	path, d := newMaildir(t)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	date := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	s, err := f.Stage(strings.NewReader("Subject: a\r\n\r\nbody\r\n"), []string{storage.FlagFlagged, "$Work"}, date)
	if err != nil {
		t.Fatal(err)
	}
	aborted, err := f.Stage(strings.NewReader("Subject: b\r\n\r\n"), nil, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if n := listDir(t, filepath.Join(path, dirTmp)); len(n) != 2 || !strings.HasPrefix(n[0], fsutil.TempPrefix) {
		t.Fatalf("tmp/ holds %v; want the two staged files, named as mailgate's", n)
	}
	if snap := mustScan(t, f); len(snap.Messages) != 0 {
		t.Fatalf("staged messages are in the mailbox: %+v", snap.Messages)
	}
	if err := aborted.Abort(); err != nil {
		t.Fatal(err)
	}
	m, err := s.Commit()
	if err != nil {
		t.Fatal(err)
	}
	want := storage.Message{UID: 1, Flags: []string{"$Work", storage.FlagFlagged}, InternalDate: date,
		Size: int64(len("Subject: a\r\n\r\nbody\r\n")), New: true}
	if !sameMessage(m, want) {
		t.Errorf("Commit = %+v; want %+v", m, want)
	}
	snap := mustScanDated(t, mustOpen(t, testDriver(), path))
	if len(snap.Messages) != 1 || !sameMessage(snap.Messages[0], want) {
		t.Errorf("after reopening: %+v", snap.Messages)
	}
	if n := listDir(t, filepath.Join(path, dirTmp)); len(n) != 0 {
		t.Errorf("tmp/ holds %v", n)
	}
	if _, err := s.Commit(); err == nil {
		t.Error("a second Commit succeeded")
	}
}

// TestStageWithoutLock: Stage neither takes the maildir lock nor waits
// for it, so that a client sending a message slowly holds up nobody
// (issue 8, item 2). Were it to wait, this test would hang.
func TestStageWithoutLock(t *testing.T) {
	path, d := newMaildir(t)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	unlock, err := fsutil.LockDir(path, false)
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.Stage(strings.NewReader("Subject: a\r\n\r\n"), []string{"$New"}, time.Time{})
	unlock()
	if err != nil {
		t.Fatal(err)
	}
	if m, err := s.Commit(); err != nil || m.UID != 1 {
		t.Fatalf("Commit = %+v, %v", m, err)
	}
}

// TestStageConcurrent runs Stage on many goroutines while the Folder
// appends, scans, changes flags and expunges (the core does not
// serialise Stage); run with -race. Every staged message is committed
// with its own content and flags.
func TestStageConcurrent(t *testing.T) {
	path, d := newMaildir(t)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	const stagers, each = 4, 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	var staged []storage.Staged
	for g := range stagers {
		wg.Go(func() {
			for i := range each {
				body := fmt.Sprintf("Subject: %d-%d\r\n\r\n%s", g, i, strings.Repeat("line\r\n", 100*i))
				s, err := f.Stage(strings.NewReader(body), []string{fmt.Sprintf("$g%d", g)}, time.Time{})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				staged = append(staged, s)
				mu.Unlock()
			}
		})
	}
	for i := range 20 {
		m, err := f.Append(strings.NewReader(fmt.Sprintf("Subject: direct %d\r\n\r\n", i)), nil, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SetFlags(m.UID, []string{storage.FlagSeen}); err != nil {
			t.Fatal(err)
		}
		mustScan(t, f)
		if i%2 == 0 {
			if err := f.Expunge([]uint32{m.UID}); err != nil {
				t.Fatal(err)
			}
		}
	}
	wg.Wait()
	for _, s := range staged {
		if _, err := s.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	snap := mustScan(t, mustOpen(t, testDriver(), path))
	if len(snap.Messages) != 10+stagers*each {
		t.Fatalf("%d messages; want %d", len(snap.Messages), 10+stagers*each)
	}
	for _, m := range snap.Messages {
		body := readAll(t, f, m.UID)
		var g, i int
		if _, err := fmt.Sscanf(body, "Subject: %d-%d", &g, &i); err != nil {
			continue // a direct one
		}
		if want := []string{fmt.Sprintf("$g%d", g)}; !slices.Equal(m.Flags, want) {
			t.Errorf("uid %d (%d-%d): flags %v; want %v", m.UID, g, i, m.Flags, want)
		}
	}
}

// TestUIDValidityNeverRepeats: a mailbox deleted and created again within
// one second gets a new, larger UIDVALIDITY (issue 8, item 4), from the
// configured allocator, or without one from the clock kept increasing.
func TestUIDValidityNeverRepeats(t *testing.T) {
	second := func() time.Time { return time.Unix(1800000000, 0) }
	next := uint32(1800000000)
	counter := func() uint32 { next++; return next }
	for _, tt := range []struct {
		name  string
		alloc func() uint32
	}{{"allocator", counter}, {"nil", nil}} {
		t.Run(tt.name, func(t *testing.T) {
			d := &Driver{Options: Options{Hostname: "testhost", Now: second, UIDValidity: tt.alloc}}
			path := filepath.Join(t.TempDir(), "box")
			var last uint32
			for round := range 3 {
				if err := d.Create(path, 0o600); err != nil {
					t.Fatal(err)
				}
				f := mustOpen(t, d, path)
				s := mustScan(t, f)
				if s.UIDValidity <= last {
					t.Errorf("round %d: UIDVALIDITY %d after %d", round, s.UIDValidity, last)
				}
				last = s.UIDValidity
				if _, err := f.Append(strings.NewReader("Subject: x\r\n\r\n"), nil, time.Time{}); err != nil {
					t.Fatal(err)
				}
				f.Close()
				if err := d.Delete(path); err != nil {
					t.Fatal(err)
				}
			}
			// A maildir that another program made, without .mu-prop,
			// gets its UIDVALIDITY from the allocator too.
			other := mkMaildir(t, map[string]string{"new/1700000000.1.host": "Subject: y\n\n"})
			if s := mustScan(t, mustOpen(t, d, other)); s.UIDValidity <= last {
				t.Errorf("bare maildir: UIDVALIDITY %d after %d", s.UIDValidity, last)
			}
		})
	}
}
