package mbox

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLockHeldLongIsLogged: a lock held past lockHeldWarn is logged when
// it is released, naming the mailbox, so that an administrator whose
// sessions got NO [INUSE] can tell which process kept it; a short one is
// not.
func TestLockHeldLongIsLogged(t *testing.T) {
	old := lockHeldWarn
	t.Cleanup(func() { lockHeldWarn = old })
	var buf bytes.Buffer
	d := New(Options{Logger: slog.New(slog.NewTextHandler(&buf, nil))}).(*Driver)
	path := filepath.Join(t.TempDir(), "box")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// The holds are made long or short by the clock the lock keeps, not
	// by sleeping: a slow machine cannot turn one into the other.
	lockHeldWarn = time.Hour
	l, err := d.lock(path, true)
	if err != nil {
		t.Fatal(err)
	}
	l.unlock()
	if buf.Len() != 0 {
		t.Errorf("a short hold was logged: %s", buf.String())
	}
	l, err = d.lock(path, false)
	if err != nil {
		t.Fatal(err)
	}
	l.at = l.at.Add(-2 * time.Hour)
	l.unlock()
	if got := buf.String(); !strings.Contains(got, "held the mailbox's lock long") || !strings.Contains(got, path) {
		t.Errorf("log after a long hold: %q", got)
	}
}
