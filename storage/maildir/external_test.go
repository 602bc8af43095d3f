package maildir

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

// TestOtherPrograms changes the maildir behind the Folder's back, as a
// delivery agent, mutt or Dovecot would.
func TestOtherPrograms(t *testing.T) {
	path, d := newMaildir(t)
	f := mustOpen(t, d, path)
	for i := 0; i < 3; i++ {
		if _, err := f.Append(strings.NewReader("Subject: x\n\nbody\n"), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	mustScan(t, f)
	name := func(uid uint32) (string, string) {
		e := f.find(uid)
		return f.filePath(e), e.name
	}

	steps := []struct {
		name   string
		change func(t *testing.T)
		check  func(t *testing.T, s storage.Snapshot)
	}{
		{"delivery into new/", func(t *testing.T) {
			writeFile(t, filepath.Join(path, "new", "1800000000.M1P99.mx"), "Subject: new\n\nhi\n", time.Unix(1800000000, 0))
		}, func(t *testing.T, s storage.Snapshot) {
			m, ok := message(s, 4)
			if !ok || !m.New || m.Size != crlfSize("Subject: new\n\nhi\n") || !m.InternalDate.Equal(time.Unix(1800000000, 0)) {
				t.Fatalf("delivered message = %+v (%v)", m, ok)
			}
			if got := listDir(t, filepath.Join(path, "new")); !slices.Contains(got, "1800000000.M1P99.mx,W=20,u=4") {
				t.Fatalf("new/ = %q", got)
			}
		}},
		{"removal", func(t *testing.T) {
			p, _ := name(2)
			os.Remove(p)
		}, func(t *testing.T, s storage.Snapshot) {
			if !slices.Equal(uidsOf(s), []uint32{1, 3, 4}) {
				t.Fatalf("UIDs %v", uidsOf(s))
			}
		}},
		{"flag change and move to cur/", func(t *testing.T) {
			p, n := name(1)
			if err := os.Rename(p, filepath.Join(path, "cur", parseName(n).withLetters("RS").String())); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, s storage.Snapshot) {
			m, _ := message(s, 1)
			if m.New || !slices.Equal(m.Flags, []string{`\Answered`, `\Seen`}) {
				t.Fatalf("message 1 = %+v", m)
			}
		}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.change(t)
			st.check(t, mustScan(t, f))
		})
	}

	// Renames that the Folder has not scanned yet: it finds the file again.
	p, n := name(3)
	moved := parseName(n).withLetters("F").String()
	if err := os.Rename(p, filepath.Join(path, "cur", moved)); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, f, 3); got != "Subject: x\n\nbody\n" {
		t.Fatalf("Open after an outside move read %q", got)
	}
	// A flag change keeps what the other program changed (\Flagged
	// taken away, \Deleted given): it adds \Seen to the flags the file has.
	os.Rename(filepath.Join(path, "cur", moved), filepath.Join(path, "cur", parseName(n).withLetters("T").String()))
	if err := f.SetFlags(3, []string{`\Seen`}); err != nil {
		t.Fatal(err)
	}
	if m, _ := message(mustScan(t, f), 3); !slices.Equal(m.Flags, []string{`\Deleted`, `\Seen`}) {
		t.Fatalf("message 3 = %+v", m)
	}
	p, _ = name(4)
	os.Remove(p)
	if _, err := f.Open(4); !errors.Is(err, storage.ErrNoMessage) {
		t.Fatalf("Open of a removed file: %v", err)
	}
	if err := f.Expunge([]uint32{4, 99}); err != nil {
		t.Fatalf("Expunge of gone messages: %v", err)
	}
}

func TestCrashLeftovers(t *testing.T) {
	path, d := newMaildir(t)
	f := mustOpen(t, d, path)
	for i := 0; i < 3; i++ {
		if _, err := f.Append(strings.NewReader("x\n"), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	// A write that never finished, and a hidden file.
	writeFile(t, filepath.Join(path, "tmp", "1.M1P1.host"), "half", time.Time{})
	writeFile(t, filepath.Join(path, "cur", ".hidden"), "x", time.Time{})
	if err := os.Mkdir(filepath.Join(path, "cur", "subdir"), 0o700); err != nil {
		t.Fatal(err)
	}
	if s := mustScan(t, f); !slices.Equal(uidsOf(s), []uint32{1, 2, 3}) {
		t.Fatalf("UIDs %v", uidsOf(s))
	}
	// The newest message goes; its UID must never come back, even when
	// .mu-prop is put back to an older state.
	if err := f.Expunge([]uint32{3}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(path, propsFile), "uidnext: 2\nuid-validity: 1\nversion: 3.15\n", time.Time{})
	s := mustScan(t, f)
	if s.UIDNext != 4 {
		t.Fatalf("UIDNext went back to %d", s.UIDNext)
	}
	if p, _ := readProps(path); p.UIDNext != 4 {
		t.Fatalf(".mu-prop uidnext %d after Scan", p.UIDNext)
	}
	m, err := f.Append(strings.NewReader("x\n"), nil, time.Time{})
	if err != nil || m.UID != 4 {
		t.Fatalf("Append = %+v, %v", m, err)
	}
	// A file with a UID above uidnext (imap4d died before saving it).
	writeFile(t, filepath.Join(path, "cur", "1.M2P3.host,u=40:2,S"), "x\n", time.Time{})
	if s := mustScan(t, f); s.UIDNext != 41 {
		t.Fatalf("UIDNext %d, want 41", s.UIDNext)
	}
	if p, _ := readProps(path); p.UIDNext != 41 {
		t.Fatalf(".mu-prop uidnext %d, want 41", p.UIDNext)
	}
	if got := listDir(t, filepath.Join(path, "tmp")); !slices.Equal(got, []string{"1.M1P1.host"}) {
		t.Fatalf("tmp/ = %q", got)
	}
}

func TestDuplicateUIDs(t *testing.T) {
	path := mkMaildir(t, map[string]string{
		".mu-prop":                      "uidnext: 4\nuid-validity: 9\nversion: 3.15\n",
		"cur/1.M1P1.host,u=3:2,S":       "a\n",
		"cur/2.M1P1.host,u=3:2,F":       "b\n",
		"cur/3.M1P1.host,u=1:2,":        "c\n",
		"new/4.M1P1.host":               "d\n",
		"new/5.M1P1.host,u=zz:2,S":      "e\n",
		"cur/5.M1P1.host,u=zz:2,ST":     "e\n",
		"cur/6.M1P1.host,S=2,W=3,u=0:2": "f\n",
	})
	f := mustOpen(t, testDriver(), path)
	s := mustScan(t, f)
	if !slices.Equal(uidsOf(s), []uint32{1, 3, 4, 5, 6, 7, 8}) {
		t.Fatalf("UIDs %v", uidsOf(s))
	}
	if m, _ := message(s, 3); !slices.Equal(m.Flags, []string{`\Seen`}) {
		t.Fatalf("UID 3 went to the wrong file: %+v", m)
	}
	want := []string{"1.M1P1.host,u=3:2,S", "2.M1P1.host,W=3,u=4:2,F", "3.M1P1.host,u=1:2,",
		"5.M1P1.host,W=3,u=7:2,ST", "6.M1P1.host,S=2,W=3,u=8:2"}
	if got := listDir(t, filepath.Join(path, "cur")); !slices.Equal(got, want) {
		t.Fatalf("cur/ = %q\nwant %q", got, want)
	}
	want = []string{"4.M1P1.host,W=3,u=5", "5.M1P1.host,W=3,u=6:2,S"}
	if got := listDir(t, filepath.Join(path, "new")); !slices.Equal(got, want) {
		t.Fatalf("new/ = %q\nwant %q", got, want)
	}
	// The same state on the next scan and in a new Folder.
	if again := mustScan(t, mustOpen(t, testDriver(), path)); !slices.Equal(uidsOf(again), uidsOf(s)) {
		t.Fatalf("rescan UIDs %v", uidsOf(again))
	}
}

// TestSharedMaildir runs two Folders, as two processes, on one maildir.
func TestSharedMaildir(t *testing.T) {
	path, d := newMaildir(t)
	folders := []*Folder{mustOpen(t, d, path), mustOpen(t, d, path)}
	var wg sync.WaitGroup
	uids := make([][]uint32, len(folders))
	for i, f := range folders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				m, err := f.Append(strings.NewReader("x\n"), []string{"kw" + string(rune('a'+j%5))}, time.Time{})
				if err != nil {
					t.Error(err)
					return
				}
				uids[i] = append(uids[i], m.UID)
				writeFile(t, filepath.Join(path, "new", "foreign."+string(rune('a'+i))+string(rune('a'+j))), "y\n", time.Time{})
				if _, err := f.Scan(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	// A third Folder must never see a UID below one it saw before.
	done := make(chan struct{})
	watcher := mustOpen(t, d, path)
	checked := make(chan int)
	go func() {
		scans := 0
		seen := map[uint32]bool{}
		var top uint32
		for {
			select {
			case <-done:
				checked <- scans
				return
			default:
			}
			s, err := watcher.Scan()
			if err != nil {
				t.Error(err)
				checked <- scans
				return
			}
			scans++
			newTop := top
			for _, m := range s.Messages {
				if !seen[m.UID] && m.UID < top {
					t.Errorf("UID %d appeared after UID %d", m.UID, top)
				}
				seen[m.UID] = true
				newTop = max(newTop, m.UID)
			}
			top = newTop
		}
	}()
	wg.Wait()
	close(done)
	if n := <-checked; n == 0 {
		t.Error("the watcher never scanned")
	}
	all := slices.Concat(uids...)
	slices.Sort(all)
	if len(slices.Compact(all)) != 40 {
		t.Fatalf("UIDs given twice: %v", uids)
	}
	s0, s1 := mustScan(t, folders[0]), mustScan(t, folders[1])
	if len(s0.Messages) != 80 || !slices.EqualFunc(s0.Messages, s1.Messages, sameMessage) {
		t.Fatalf("the Folders disagree: %d and %d messages", len(s0.Messages), len(s1.Messages))
	}
	seen := map[uint32]bool{}
	for _, m := range s0.Messages {
		if seen[m.UID] {
			t.Fatalf("UID %d twice", m.UID)
		}
		seen[m.UID] = true
	}
	kw, _ := readKeywords(path)
	if n := strings.Count(string(kw.encode()), "\n"); n != 5 {
		t.Fatalf("dovecot-keywords has %d lines:\n%s", n, kw.encode())
	}
}
