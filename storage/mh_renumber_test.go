//go:build unix

package storage_test

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
	"github.com/mailgate/mailgate/storage/mh"
)

// lockedMHDriver is the MH driver whose folders are no
// storage.QuickOpener: the core opens every message under the mailbox
// lock, through Folder.Open.
type lockedMHDriver struct{ storage.Driver }

func (d lockedMHDriver) Open(path string, perm os.FileMode) (storage.Folder, error) {
	f, err := d.Driver.Open(path, perm)
	if err != nil {
		return nil, err
	}
	return lockedMHFolder{Folder: f.(*mh.Folder)}, nil
}

type lockedMHFolder struct {
	*mh.Folder
	// OpenQuick hides (*mh.Folder).OpenQuick.
	OpenQuick struct{}
}

// newMHAccount is newAccount, with the quick path of MH opens or
// without it.
func newMHAccount(t *testing.T, quick bool) (*storage.Account, string) {
	t.Helper()
	home := filepath.Join(t.TempDir(), "alice")
	os.MkdirAll(home, 0o700)
	return mhAccountOf(t, home, quick), home
}

// mhAccountOf is alice's Account of home on a Store of its own (as
// another process has), closed when the test ends.
func mhAccountOf(t *testing.T, home string, quick bool) *storage.Account {
	t.Helper()
	var drv storage.Driver = mh.New()
	if !quick {
		drv = lockedMHDriver{drv}
	}
	s := storage.New(storage.Options{
		Drivers: []storage.Driver{maildir.New(), drv},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	t.Cleanup(func() { s.Close() })
	layout := &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"}
	return s.Account(storage.User{Name: "alice", Home: home}, layout)
}

// sortmSwap renumbers the MH folder's messages 1 and 2 as nmh's sortm
// does: by renames.
func sortmSwap(t *testing.T, box string) {
	t.Helper()
	for _, r := range [][2]string{{"1", "tmp"}, {"2", "1"}, {"tmp", "2"}} {
		if err := os.Rename(filepath.Join(box, r[0]), filepath.Join(box, r[1])); err != nil {
			t.Fatal(err)
		}
	}
}

// viewContents returns the content of every message of v, sorted, and
// fails when one cannot be read or its size is not its content's.
func viewContents(t *testing.T, v *storage.View) []string {
	t.Helper()
	var got []string
	for _, uid := range v.UIDs() {
		rc, size, err := v.Open(uid)
		if err != nil {
			t.Fatalf("Open(%d): %v", uid, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || int64(len(b)) != size {
			t.Fatalf("Open(%d): %d bytes for size %d, %v", uid, len(b), size, err)
		}
		got = append(got, string(b))
	}
	slices.Sort(got)
	return got
}

// TestMHRenumberUnderView: nmh's sortm renumbers an MH folder (by
// renames) while a session has it selected, before the core reads it
// again; the messages may even have the same size and time, so that
// only their inodes tell them apart. A FETCH of UID 1, through the quick
// path or under the lock, gets the message it had or NO
// [EXPUNGEISSUED] (ErrNoMessage), never the other message's content;
// the next look at the mailbox expunges the UIDs and shows both messages
// under new UIDs. An EXPUNGE of UID 1 in that window removes nothing
// that is not UID 1's message.
func TestMHRenumberUnderView(t *testing.T) {
	const one = "Subject: one\r\n\r\nfirst\r\n"
	for _, quick := range []bool{true, false} {
		for _, tt := range []struct{ name, two string }{
			{"other sizes", "Subject: a longer one that sortm moved to number one\r\n\r\nsecond\r\n"},
			{"same size and time", "Subject: two\r\n\r\nsecnd\r\n"},
		} {
			name := map[bool]string{true: "quick/", false: "locked/"}[quick] + tt.name
			want := []string{one, tt.two}
			slices.Sort(want)
			for _, expunge := range []bool{false, true} {
				t.Run(name+map[bool]string{false: "", true: "/expunge"}[expunge], func(t *testing.T) {
					a, home := newMHAccount(t, quick)
					box := filepath.Join(home, "MHBox")
					writeMH(t, box, map[string]string{"1": strings.ReplaceAll(one, "\r", ""), "2": strings.ReplaceAll(tt.two, "\r", "")})
					v, err := a.Select("MHBox", false)
					if err != nil {
						t.Fatal(err)
					}
					defer v.Close()
					v.Settle()
					if expunge {
						if _, err := v.Store([]uint32{1}, storage.AddFlags, []string{storage.FlagDeleted}); err != nil {
							t.Fatal(err)
						}
					}
					sortmSwap(t, box)
					if expunge {
						err := v.Expunge([]uint32{1}, false)
						if !errors.Is(err, storage.ErrNoMessage) {
							t.Fatalf("Expunge: %v, want ErrNoMessage", err)
						}
						// Nothing was removed: both messages stay, with
						// new UIDs (the core read the folder again).
						v.Poll(true, &recorder{})
						if got := v.UIDs(); len(got) != 2 || got[0] < 3 {
							t.Errorf("UIDs after the expunge %v, want two new ones", got)
						}
						if got := viewContents(t, v); !slices.Equal(got, want) {
							t.Fatalf("after the expunge %q, want %q", got, want)
						}
						return
					}
					for uid, was := range map[uint32]string{1: one, 2: tt.two} {
						rc, size, err := v.Open(uid)
						if errors.Is(err, storage.ErrNoMessage) {
							continue
						}
						if err != nil {
							t.Fatalf("Open(%d): %v", uid, err)
						}
						b, _ := io.ReadAll(rc)
						rc.Close()
						if string(b) != was || int64(len(b)) != size {
							t.Errorf("Open(%d) after sortm: %q, size %d; the message was %q", uid, b, size, was)
						}
					}
					var r recorder
					waitFor(t, "the re-read", func() bool {
						v.Check()
						v.Poll(true, &r)
						return !slices.Contains(v.UIDs(), 1)
					})
					if got := v.UIDs(); len(got) != 2 || got[0] < 3 {
						t.Errorf("UIDs after the re-read %v, want two new ones", got)
					}
					if got := viewContents(t, v); !slices.Equal(got, want) {
						t.Errorf("after the re-read %q, want %q", got, want)
					}
					if !slices.Contains(r.events, "EXPUNGE 1") || !slices.Contains(r.events, "EXISTS 2") {
						t.Errorf("the view heard %q, want EXPUNGEs and EXISTS 2", r.events)
					}
				})
			}
		}
	}
}

// TestMHMoveAfterRenumber: a MOVE of UID 1 from an MH folder that sortm
// renumbered since the core read it moves UID 1's message or nothing:
// never the message now under number 1, and nothing is lost.
func TestMHMoveAfterRenumber(t *testing.T) {
	const one, two = "Subject: one\r\n\r\nfirst\r\n", "Subject: two, longer\r\n\r\nsecond\r\n"
	for _, quick := range []bool{true, false} {
		t.Run(map[bool]string{true: "quick", false: "locked"}[quick], func(t *testing.T) {
			a, home := newMHAccount(t, quick)
			box := filepath.Join(home, "MHBox")
			writeMH(t, box, map[string]string{"1": strings.ReplaceAll(one, "\r", ""), "2": strings.ReplaceAll(two, "\r", "")})
			writeMH(t, filepath.Join(home, "Other"), nil)
			v, err := a.Select("MHBox", false)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			v.Settle()
			sortmSwap(t, box)
			_, src, dst, err := a.Move(v, []uint32{1}, "Other")
			t.Logf("Move: src %v dst %v: %v", src, dst, err)
			o, err := a.Select("Other", true)
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			moved := viewContents(t, o)
			if len(moved) > 1 || len(moved) == 1 && moved[0] != one {
				t.Errorf("Other holds %q, want UID 1's message or nothing", moved)
			}
			var r recorder
			waitFor(t, "the re-read", func() bool {
				v.Check()
				v.Poll(true, &r)
				return !slices.Contains(v.UIDs(), 1)
			})
			all := strings.Join(append(viewContents(t, v), moved...), "")
			for _, m := range []string{one, two} {
				if !strings.Contains(all, m) {
					t.Errorf("message %q lost", m)
				}
			}
		})
	}
}

// TestMHCacheAcrossStores: a process (a Store) derives a value of each
// message of an MH folder, as FETCH ENVELOPE does, and closes, so that
// the cache file holds them; another program renumbers the folder while
// no process has it open; a new process then serves no cached value of a
// UID that is not the value of the message it gives under that UID. A
// folder nothing changed keeps every value: nothing is derived again.
func TestMHCacheAcrossStores(t *testing.T) {
	const key = "test.subject"
	files := map[string]string{
		"1": "Subject: one\n\nfirst\n",
		"2": "Subject: two, a longer one\n\nsecond\n",
		"3": "Subject: three\n\nthird\n",
	}
	for _, tt := range []struct {
		name   string
		change func(t *testing.T, box string)
	}{
		{"nothing changed", func(*testing.T, string) {}},
		{"sortm", sortmSwap},
		{"sortm, a cache of before numbers were kept", func(t *testing.T, box string) {
			os.Remove(filepath.Join(box, ".mailgate-numbers"))
			sortmSwap(t, box)
		}},
		{"rmm then inc", func(t *testing.T, box string) {
			os.Rename(filepath.Join(box, "3"), filepath.Join(box, ",3"))
			writeMH(t, box, map[string]string{"3": "Subject: inc'd\n\nnew\n"})
		}},
		{"folder -pack", func(t *testing.T, box string) {
			os.Rename(filepath.Join(box, "1"), filepath.Join(box, ",1"))
			os.Rename(filepath.Join(box, "2"), filepath.Join(box, "1"))
			os.Rename(filepath.Join(box, "3"), filepath.Join(box, "2"))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			box := filepath.Join(home, "MHBox")
			writeMH(t, box, files)
			subject := func(v *storage.View, uid uint32) string {
				rc, _, err := v.Open(uid)
				if err != nil {
					t.Fatalf("Open(%d): %v", uid, err)
				}
				defer rc.Close()
				b, _ := io.ReadAll(rc)
				line, _, _ := strings.Cut(string(b), "\r\n")
				return line
			}
			process := func(look func(v *storage.View)) {
				s := storage.New(storage.Options{Drivers: []storage.Driver{maildir.New(), mh.New()},
					Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
				defer s.Close()
				a := s.Account(storage.User{Name: "alice", Home: home},
					&storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"})
				v, err := a.Select("MHBox", false)
				if err != nil {
					t.Fatal(err)
				}
				defer v.Close()
				look(v)
			}
			process(func(v *storage.View) {
				for _, uid := range v.UIDs() {
					v.SetCached(uid, key, []byte(subject(v, uid)))
				}
			})
			if _, err := os.Stat(filepath.Join(box, ".mailgate-cache")); err != nil {
				t.Fatalf("no cache file after the first process: %v", err)
			}
			tt.change(t, box)
			process(func(v *storage.View) {
				served := 0
				for _, uid := range v.UIDs() {
					got, ok := v.Cached(uid, key)
					if !ok {
						continue
					}
					served++
					if want := subject(v, uid); string(got.([]byte)) != want {
						t.Errorf("UID %d: cached %q, its message says %q", uid, got, want)
					}
				}
				if tt.name == "nothing changed" && served != len(files) {
					t.Errorf("%d of %d values served from the cache file, want all", served, len(files))
				}
			})
		})
	}
}

// TestMHDeliveryThenDaemonAppend (a guard: the core scans an MH folder
// before it appends, so a delivering Folder knows the numbers file
// anyway): the daemon has the MH folder selected; an inetd-mode process
// (a new Account on a new Store) delivers into it by APPEND without
// selecting it; the daemon then APPENDs too (a client saving a copy). A
// new process sees the delivered message under the UID its APPEND
// returned.
func TestMHDeliveryThenDaemonAppend(t *testing.T) {
	daemon, home := newMHAccount(t, true)
	box := filepath.Join(home, "MHBox")
	writeMH(t, box, map[string]string{"1": "Subject: one\n\nfirst\n"})
	v, err := daemon.Select("MHBox", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	v.Settle()
	_, delivered, err := mhAccountOf(t, home, true).Append("MHBox", strings.NewReader("Subject: delivered\r\n\r\nx\r\n"), nil, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := daemon.Append("MHBox", strings.NewReader("Subject: saved\r\n\r\ny\r\n"), nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	w, err := mhAccountOf(t, home, true).Select("MHBox", true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if !slices.Contains(w.UIDs(), delivered) {
		t.Errorf("a new process has UIDs %v: the delivered message's UID %d is gone", w.UIDs(), delivered)
	}
}
