package mbox

import (
	"os"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mailgate/mailgate/storage"
)

// TestRetiredReleased: a replaced file that nobody can write into any
// more is let go at its first check, so that rewrites of a large mailbox
// do not hold gigabytes of disk; one that another program still has open
// for writing is kept and salvaged.
func TestRetiredReleased(t *testing.T) {
	d := testDriver(t, Options{})
	path := writeMbox(t, imap4dMbox)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	late, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close()
	if err := f.SetFlags(1, []string{storage.FlagFlagged}); err != nil {
		t.Fatal(err)
	}
	if err := f.SetFlags(3, nil); err != nil {
		t.Fatal(err)
	}
	// Two replaced files: the first still open for writing by "late".
	f.mu.Lock()
	if len(f.retired) != 2 {
		t.Fatalf("%d retired files", len(f.retired))
	}
	for i := range f.retired {
		f.retired[i].since = time.Now().Add(-retiredCheck)
	}
	f.salvage()
	n := len(f.retired)
	f.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d retired files kept; want the one open for writing", n)
	}
	if _, err := late.WriteString("\n" + msgText("late")); err != nil {
		t.Fatal(err)
	}
	late.Close()
	s := mustScan(t, f) // salvages, then lets it go
	if !slices.Equal(uidsOf(s), []uint32{1, 3, 4, 5}) {
		t.Fatalf("UIDs %v", uidsOf(s))
	}
	if got := readAll(t, f, 5); got != "Subject: late\n\nbody of late\n" {
		t.Errorf("salvaged message %q", got)
	}
	f.mu.Lock()
	n = len(f.retired)
	f.mu.Unlock()
	if n != 0 {
		t.Errorf("%d retired files kept", n)
	}
}

// TestInBackground: a background rewrite copies at a lower CPU priority,
// on a thread of its own.
func TestInBackground(t *testing.T) {
	nice := func() int {
		p, err := unix.Getpriority(unix.PRIO_PROCESS, unix.Gettid())
		if err != nil {
			t.Fatal(err)
		}
		return 20 - p
	}
	mainNice := func() int {
		p, err := unix.Getpriority(unix.PRIO_PROCESS, unix.Getpid()) // the main thread
		if err != nil {
			t.Fatal(err)
		}
		return 20 - p
	}
	before, main := nice(), mainNice()
	for range 20 {
		var inside int
		inBackground(func() { inside = nice() })
		if inside < rewriteNice || inside < before {
			t.Fatalf("nice %d in the background (%d outside)", inside, before)
		}
	}
	if mainNice() != main {
		t.Errorf("the main thread's nice went from %d to %d", main, mainNice())
	}
}
