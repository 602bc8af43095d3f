package imap

import (
	"fmt"
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// TestStorageErrCodes: each kind of storage failure gets its response
// code, and a file-system error's path never reaches the client's text.
func TestStorageErrCodes(t *testing.T) {
	pathErr := func(errno syscall.Errno) error {
		return fmt.Errorf("maildir /srv/mail/u: %w", &fs.PathError{Op: "open", Path: "/srv/mail/u/tmp/x", Err: errno})
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{pathErr(syscall.ENAMETOOLONG), "NO [LIMIT] X: the name is too long for this server"},
		{pathErr(syscall.ENOSPC), "NO [OVERQUOTA] X: not enough disk space"},
		{pathErr(syscall.EACCES), "NO [NOPERM] X: the server may not write there"},
		{pathErr(syscall.EMFILE), "NO [UNAVAILABLE] X: not possible right now; try again later"},
		{pathErr(syscall.EIO), "NO [SERVERBUG] X: internal server error; the server log has details"},
		{fmt.Errorf("%w: more than 64 hierarchy levels", storage.ErrBadName), "NO [CANNOT] X: invalid mailbox name: more than 64 hierarchy levels"},
		{storage.ErrNoMailbox, "NO [NONEXISTENT] X: no such mailbox"},
		{fmt.Errorf("mbox /var/mail/u: lock: held by /var/mail/u.lock (pid 7); gave up after 10s: %w", storage.ErrInUse),
			"NO [INUSE] X: mailbox is locked by another program; try again later"},
		{fmt.Errorf("opening /srv/mail/u/INBOX: %w", storage.ErrClosed), "NO [UNAVAILABLE] X: mail storage is shutting down; try again later"},
	} {
		st := storageErr(tc.err, "X").(*status)
		got := st.typ + " [" + st.code + "] " + st.text
		if got != tc.want || strings.Contains(st.text, "/") {
			t.Errorf("storageErr(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
