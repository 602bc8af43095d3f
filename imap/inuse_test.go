package imap_test

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestLockHeldIsInUse: while another program holds an mbox's dot lock
// through every retry, a command that must read or write the file is
// answered NO [INUSE], whichever command it is, so that the client tries
// again later; never NO [SERVERBUG] (imaptest's stress mode, ten session
// processes on one mbox, got SERVERBUG from a FETCH), and the session
// goes on once the lock is gone. (A STORE is journaled and written
// later, and a SEARCH may be answered from the index: they need not
// wait for the lock.)
func TestLockHeldIsInUse(t *testing.T) {
	for _, cmd := range []string{
		"UID FETCH 1 BODY[]",
		"FETCH 1 BODY.PEEK[TEXT]",
		"EXPUNGE",
		"COPY 1 INBOX",
	} {
		t.Run(cmd, func(t *testing.T) {
			e, _ := byeEnv(t, "mbox")
			a := e.raw()
			p := selectBox(t, e, a, "box")
			a.ok("f0 STORE 1 +FLAGS.SILENT (\\Deleted)")
			lock := p + ".lock"
			if err := os.WriteFile(lock, []byte(strconv.Itoa(os.Getppid())+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			// The other program delivers under its lock, so that the
			// session must read the file again.
			f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("From other@example.org Mon Dec  7 10:00:00 2026\nSubject: other\n\nbody\n\n")
			f.Close()
			_, done := a.do("x " + cmd)
			os.Remove(lock)
			if !strings.HasPrefix(done, "x NO [INUSE]") {
				t.Errorf("%s under another program's lock: %q, want NO [INUSE]", cmd, done)
			}
			if strings.Contains(done, e.root) {
				t.Errorf("the NO tells the client a server path: %q", done)
			}
			a.expectNoBye("n", "the session after "+cmd)
		})
	}
}
