package mh

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

func TestRoundTrip(t *testing.T) {
	path, d := newFolder(t)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	date := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	m, err := f.Append(strings.NewReader("Subject: a\r\n\r\nbody\r\n"), []string{`\Seen`, "$Forwarded"}, date)
	if err != nil {
		t.Fatal(err)
	}
	if m.UID != 1 || !slices.Equal(m.Flags, []string{"$Forwarded", `\Seen`}) || !m.InternalDate.Equal(date) ||
		m.Size != crlfSize("Subject: a\n\nbody\n") || !m.New {
		t.Fatalf("Append = %+v", m)
	}
	if got := readFile(t, filepath.Join(path, "1")); got != "Subject: a\n\nbody\n" {
		t.Fatalf("file 1 = %q", got)
	}
	m2 := appendMsg(t, f, "Subject: b\n\nbody\n", `\Flagged`, `\Draft`)
	m3 := appendMsg(t, f, "Subject: c\n\nbody\n", `\Answered`, `\Deleted`, `\Seen`)
	if m2.UID != 2 || m3.UID != 3 {
		t.Fatalf("UIDs %d %d", m2.UID, m3.UID)
	}
	wantSeq := "$Forwarded: 1\nunseen: 2\nflagged: 2\ndraft: 2\nreplied: 3\ndeleted: 3\n"
	if got := readFile(t, filepath.Join(path, seqFile)); got != wantSeq {
		t.Fatalf("%s = %q, want %q", seqFile, got, wantSeq)
	}
	if err := f.SetFlags(2, []string{`\Seen`, "Junk"}); err != nil {
		t.Fatal(err)
	}
	if err := f.SetFlags(1, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.SetFlags(99, nil); !errors.Is(err, storage.ErrNoMessage) {
		t.Fatalf("SetFlags of a missing message: %v", err)
	}
	if err := f.SetFlags(1, []string{"cur"}); err == nil {
		t.Fatal("SetFlags took the keyword cur")
	}
	if err := f.Seen([]uint32{1, 2}); err != nil {
		t.Fatal(err)
	}
	if err := f.Expunge([]uint32{3, 42}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Open(3); !errors.Is(err, storage.ErrNoMessage) {
		t.Fatalf("Open of an expunged message: %v", err)
	}
	check := func(s storage.Snapshot) {
		t.Helper()
		want := []storage.Message{
			{UID: 1, Flags: nil, InternalDate: date, Size: m.Size, New: false},
			{UID: 2, Flags: []string{"Junk", `\Seen`}, InternalDate: m2.InternalDate, Size: m2.Size, New: false},
		}
		if s.UIDNext != 4 || s.UIDValidity != 1750000000 || len(s.Messages) != len(want) {
			t.Fatalf("Scan = %+v", s)
		}
		for i, w := range want {
			g := s.Messages[i]
			if g.UID != w.UID || !slices.Equal(g.Flags, w.Flags) || !g.InternalDate.Equal(w.InternalDate) ||
				g.Size != w.Size || g.New != w.New {
				t.Errorf("message %d = %+v, want %+v", i, g, w)
			}
		}
	}
	check(mustScan(t, f))
	check(mustScan(t, mustOpen(t, testDriver(), path)))
	if got := listDir(t, path); !slices.Equal(got, []string{",3", numbersFile, ".mh_sequences", ".mu-prop", "1", "2"}) {
		t.Fatalf("folder = %q", got)
	}
	wantSeq = "Junk: 2\nunseen: 1\n"
	if got := readFile(t, filepath.Join(path, seqFile)); got != wantSeq {
		t.Fatalf("%s = %q, want %q", seqFile, got, wantSeq)
	}
	// A new message after Seen is New; UIDs never come back.
	m4 := appendMsg(t, f, "x\n")
	if m4.UID != 4 || !m4.New {
		t.Fatalf("Append after Expunge = %+v", m4)
	}
}

func TestAppendStatusField(t *testing.T) {
	// A message that carries a Status: field of its own (from an mbox)
	// keeps the flags it is appended with; the field is not shown.
	path, d := newFolder(t)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	body := "Status: RO\nSubject: s\n\nx\n"
	m := appendMsg(t, f, body)
	if m.Flags != nil || m.Size != crlfSize("Subject: s\n\nx\n") {
		t.Fatalf("Append = %+v", m)
	}
	s := mustScan(t, mustOpen(t, testDriver(), path))
	if g := s.Messages[0]; g.Flags != nil || g.Size != m.Size {
		t.Fatalf("Scan = %+v", g)
	}
	if got := readAll(t, f, 1); got != "Subject: s\n\nx\n" {
		t.Fatalf("Open = %q", got)
	}
}

// TestOtherPrograms changes the folder behind the Folder's back, as inc,
// rmm, mark or an editor would.
func TestOtherPrograms(t *testing.T) {
	path, d := newFolder(t)
	f := mustOpen(t, d, path)
	for range 3 {
		appendMsg(t, f, "Subject: x\n\nbody\n")
	}
	mustScan(t, f)
	steps := []struct {
		name   string
		change func(t *testing.T)
		check  func(t *testing.T, s storage.Snapshot)
	}{
		{"inc adds 4 and 5", func(t *testing.T) {
			writeFile(t, filepath.Join(path, "4"), "Subject: new\n\nhi\n", time.Unix(1800000000, 0))
			writeFile(t, filepath.Join(path, "5"), "Subject: new\n\nho\n", time.Time{})
			writeFile(t, filepath.Join(path, seqFile), "unseen: 1-5\n", time.Time{})
		}, func(t *testing.T, s storage.Snapshot) {
			m, ok := message(s, 4)
			if !ok || m.Flags != nil || !m.New || m.Size != crlfSize("Subject: new\n\nhi\n") ||
				!m.InternalDate.Equal(time.Unix(1800000000, 0)) || s.UIDNext != 6 {
				t.Fatalf("UID 4 = %+v (%v), UIDNEXT %d", m, ok, s.UIDNext)
			}
			if p, _ := readProps(path); p.UIDNext != 6 {
				t.Fatalf(".mu-prop uidnext %d", p.UIDNext)
			}
		}},
		{"rmm 2", func(t *testing.T) {
			os.Rename(filepath.Join(path, "2"), filepath.Join(path, ",2"))
		}, func(t *testing.T, s storage.Snapshot) {
			if !slices.Equal(uidsOf(s), []uint32{1, 3, 4, 5}) {
				t.Fatalf("UIDs %v", uidsOf(s))
			}
		}},
		{"mark and rewrite in place", func(t *testing.T) {
			writeFile(t, filepath.Join(path, seqFile), "flagged: 1\n", time.Time{})
			writeFile(t, filepath.Join(path, "3"), "Subject: x\n\nlonger body\n", time.Unix(1800000001, 0))
		}, func(t *testing.T, s storage.Snapshot) {
			m1, _ := message(s, 1)
			m3, _ := message(s, 3)
			if !slices.Equal(m1.Flags, []string{`\Flagged`, `\Seen`}) || m3.Size != crlfSize("Subject: x\n\nlonger body\n") {
				t.Fatalf("messages 1, 3 = %+v %+v", m1, m3)
			}
		}},
		{"rmm 5 and inc reuses 5", func(t *testing.T) {
			os.Rename(filepath.Join(path, "5"), filepath.Join(path, ",5"))
			mustScan(t, f)
			writeFile(t, filepath.Join(path, "5"), "Subject: reused\n\n", time.Time{})
			writeFile(t, filepath.Join(path, seqFile), "flagged: 1\nunseen: 5\n", time.Time{})
		}, func(t *testing.T, s storage.Snapshot) {
			// The reused number gets a fresh UID, taking its sequences along.
			if !slices.Equal(uidsOf(s), []uint32{1, 3, 4, 6}) || s.UIDNext != 7 {
				t.Fatalf("UIDs %v, UIDNEXT %d", uidsOf(s), s.UIDNext)
			}
			if got := readAll(t, f, 6); got != "Subject: reused\n\n" {
				t.Fatalf("UID 6 = %q", got)
			}
			if m, _ := message(s, 6); m.Flags != nil {
				t.Fatalf("UID 6 flags %q", m.Flags)
			}
			if got := readFile(t, filepath.Join(path, seqFile)); got != "flagged: 1\nunseen: 6\n" {
				t.Fatalf("%s = %q", seqFile, got)
			}
		}},
		{"junk in the folder", func(t *testing.T) {
			writeFile(t, filepath.Join(path, ".hidden"), "x", time.Time{})
			writeFile(t, filepath.Join(path, "0"), "x", time.Time{})
			writeFile(t, filepath.Join(path, "99999999999"), "x", time.Time{})
			writeFile(t, filepath.Join(path, seqFile), "\x00\xff: 1-\n::\n   \nunseen 3\n", time.Time{})
			os.Mkdir(filepath.Join(path, "7"), 0o700)
		}, func(t *testing.T, s storage.Snapshot) {
			if !slices.Equal(uidsOf(s), []uint32{1, 3, 4, 6}) || s.UIDNext != 7 {
				t.Fatalf("UIDs %v, UIDNEXT %d", uidsOf(s), s.UIDNext)
			}
		}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.change(t)
			st.check(t, mustScan(t, f))
		})
	}
	if err := f.Expunge([]uint32{4, 99}); err != nil {
		t.Fatalf("Expunge: %v", err)
	}
	os.Remove(filepath.Join(path, "6"))
	if _, err := f.Open(6); !errors.Is(err, storage.ErrNoMessage) {
		t.Fatalf("Open of a removed file: %v", err)
	}
}

func TestRecentRule(t *testing.T) {
	path, d := newFolder(t)
	f := mustOpen(t, d, path)
	for range 3 {
		appendMsg(t, f, "x\n")
	}
	news := func(s storage.Snapshot) (out []uint32) {
		for _, m := range s.Messages {
			if m.New {
				out = append(out, m.UID)
			}
		}
		return out
	}
	if got := news(mustScan(t, f)); !slices.Equal(got, []uint32{1, 2, 3}) {
		t.Fatalf("New %v", got)
	}
	if err := f.Seen([]uint32{2}); err != nil {
		t.Fatal(err)
	}
	if got := news(mustScan(t, mustOpen(t, testDriver(), path))); !slices.Equal(got, []uint32{3}) {
		t.Fatalf("New after Seen(2): %v", got)
	}
	if err := f.Seen([]uint32{1}); err != nil { // never lowers it
		t.Fatal(err)
	}
	if p, _ := readProps(path); p.RecentFrom != 3 {
		t.Fatalf("recent-from %d", p.RecentFrom)
	}
}

// TestSharedFolder runs two Folders, as two processes, on one folder
// while another program adds messages.
func TestSharedFolder(t *testing.T) {
	path, d := newFolder(t)
	folders := []*Folder{mustOpen(t, d, path), mustOpen(t, testDriver(), path)}
	for _, f := range folders {
		mustScan(t, f)
	}
	var wg sync.WaitGroup
	uids := make([][]uint32, len(folders))
	for i, f := range folders {
		wg.Go(func() {
			for j := range 20 {
				m, err := f.Append(strings.NewReader("x\n"), []string{"kw" + string(rune('a'+j%3))}, time.Time{})
				if err != nil {
					t.Error(err)
					return
				}
				uids[i] = append(uids[i], m.UID)
				if _, err := f.Scan(); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	all := slices.Concat(uids...)
	slices.Sort(all)
	if len(slices.Compact(all)) != 40 {
		t.Fatalf("UIDs given twice: %v", uids)
	}
	s0, s1 := mustScan(t, folders[0]), mustScan(t, folders[1])
	if len(s0.Messages) != 40 || !slices.Equal(uidsOf(s0), uidsOf(s1)) {
		t.Fatalf("the Folders disagree: %v and %v", uidsOf(s0), uidsOf(s1))
	}
	for i := range s0.Messages {
		if !slices.Equal(s0.Messages[i].Flags, s1.Messages[i].Flags) || len(s0.Messages[i].Flags) != 1 {
			t.Fatalf("flags of UID %d: %q and %q", s0.Messages[i].UID, s0.Messages[i].Flags, s1.Messages[i].Flags)
		}
	}
}
