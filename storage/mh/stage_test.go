package mh

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
				path, d := newFolder(t)
				f := mustOpen(t, d, path)
				mustScan(t, f)
				before := listDir(t, path)
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
				if after := listDir(t, path); !slices.Equal(after, before) {
					t.Errorf("the folder held %v and holds %v", before, after)
				}
			})
		}
	}
}

// TestStageCommit: a staged message becomes part of the folder only at
// Commit, with the flags and date given to Stage; Abort leaves nothing.
func TestStageCommit(t *testing.T) {
	path, d := newFolder(t)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	date := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	if _, err := f.Stage(strings.NewReader("x"), []string{"cur"}, date); err == nil {
		t.Error("Stage took a flag that no sequence can hold")
	}
	s, err := f.Stage(strings.NewReader("Subject: a\r\n\r\nbody\r\n"), []string{storage.FlagFlagged, "Work"}, date)
	if err != nil {
		t.Fatal(err)
	}
	aborted, err := f.Stage(strings.NewReader("Subject: b\r\n\r\n"), nil, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var temps []string
	for _, n := range listDir(t, path) {
		if strings.HasPrefix(n, fsutil.TempPrefix+".append.") {
			temps = append(temps, n)
		}
	}
	if len(temps) != 2 {
		t.Fatalf("folder holds %v; want the two staged files", listDir(t, path))
	}
	if snap := mustScan(t, f); len(snap.Messages) != 0 {
		t.Fatalf("staged messages are in the folder: %+v", snap.Messages)
	}
	if err := aborted.Abort(); err != nil {
		t.Fatal(err)
	}
	m, err := s.Commit()
	if err != nil {
		t.Fatal(err)
	}
	want := storage.Message{UID: 1, Flags: []string{"Work", storage.FlagFlagged}, InternalDate: date,
		Size: crlfSize("Subject: a\n\nbody\n"), New: true}
	if m.UID != want.UID || !slices.Equal(m.Flags, want.Flags) || !m.InternalDate.Equal(date) || m.Size != want.Size || !m.New {
		t.Errorf("Commit = %+v; want %+v", m, want)
	}
	if got := readFile(t, filepath.Join(path, seqFile)); got != "unseen: 1\nflagged: 1\nWork: 1\n" {
		t.Errorf("%s = %q", seqFile, got)
	}
	if got := listDir(t, path); !slices.Equal(got, []string{numbersFile, ".mh_sequences", ".mu-prop", "1"}) {
		t.Errorf("folder holds %v", got)
	}
	if _, err := s.Commit(); err == nil {
		t.Error("a second Commit succeeded")
	}
}

// TestStageWithoutLock: Stage takes neither the folder lock nor nmh's
// lock on .mh_sequences, nor waits for them, so that a client sending a
// message slowly holds up nobody (issue 8, item 2). Were it to wait, this
// test would hang or fail.
func TestStageWithoutLock(t *testing.T) {
	path, d := newFolder(t)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	unlock, err := fsutil.LockDir(path, false)
	if err != nil {
		t.Fatal(err)
	}
	seq, err := lockSeqFile(path, true, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.Stage(strings.NewReader("Subject: a\r\n\r\n"), []string{"New"}, time.Time{})
	seq.Close()
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
	path, d := newFolder(t)
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
				s, err := f.Stage(strings.NewReader(body), []string{fmt.Sprintf("g%d", g)}, time.Time{})
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
		m := appendMsg(t, f, fmt.Sprintf("Subject: direct %d\r\n\r\n", i))
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
		var g, i int
		if _, err := fmt.Sscanf(readAll(t, f, m.UID), "Subject: %d-%d", &g, &i); err != nil {
			continue // a direct one
		}
		if want := []string{fmt.Sprintf("g%d", g)}; !slices.Equal(m.Flags, want) {
			t.Errorf("uid %d (%d-%d): flags %v; want %v", m.UID, g, i, m.Flags, want)
		}
	}
}

// TestUIDValidityNeverRepeats: a folder deleted and created again within
// one second gets a new, larger UIDVALIDITY (issue 8, item 4), from the
// configured allocator, or without one from the clock kept increasing.
func TestUIDValidityNeverRepeats(t *testing.T) {
	next := uint32(1800000000)
	counter := func() uint32 { next++; return next }
	for _, tt := range []struct {
		name  string
		alloc func() uint32
	}{{"allocator", counter}, {"nil", nil}} {
		t.Run(tt.name, func(t *testing.T) {
			d := &Driver{Options: Options{Now: testNow, UIDValidity: tt.alloc}}
			path := filepath.Join(t.TempDir(), "Mail", "box")
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
				appendMsg(t, f, "Subject: x\r\n\r\n")
				f.Close()
				if err := d.Delete(path); err != nil {
					t.Fatal(err)
				}
			}
			// A folder that nmh made, without .mu-prop, gets its
			// UIDVALIDITY from the allocator too.
			other := mkFolder(t, map[string]string{"1": "Subject: y\n\n"})
			if s := mustScan(t, mustOpen(t, d, other)); s.UIDValidity <= last {
				t.Errorf("nmh's folder: UIDVALIDITY %d after %d", s.UIDValidity, last)
			}
		})
	}
}
