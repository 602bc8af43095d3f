package lmtp_test

import (
	"context"
	"github.com/mailgate/mailgate/lmtp/lmtptest"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/storage"
)

// startIMAP serves IMAP on loopback over a store, as the gateway hosts
// both frontends; it returns the address.
func startIMAP(t testing.TB, users *auth.UsersFile, store *storage.Store, layout *storage.Layout) string {
	t.Helper()
	srv := imap.New(&imap.Options{Logger: quietLogger(), Authenticator: users, Account: accountIn(store, layout)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Close(ctx)
	})
	return ln.Addr().String()
}

// idleOn logs user in (password "secret"), selects INBOX and starts IDLE.
func idleOn(t testing.TB, addr, user string) *lmtptest.Idler {
	t.Helper()
	i, err := lmtptest.IdleOn(addr, user, "secret")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { i.Close() })
	return i
}

// uidsBySubject maps each message of a user's mailbox to its UID, by its
// Subject, and fails on a subject seen twice.
func uidsBySubject(t testing.TB, a *storage.Account, mailbox string) (map[string]uint32, map[string]string) {
	t.Helper()
	v, err := a.Select(mailbox, true)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	uids, bodies := map[string]uint32{}, map[string]string{}
	for _, uid := range v.UIDs() {
		rc, _, err := v.Open(uid)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		subj := ""
		if k := strings.Index(s, "\nSubject: "); k >= 0 {
			subj, _, _ = strings.Cut(s[k+10:], "\r")
			subj, _, _ = strings.Cut(subj, "\n")
		}
		if _, dup := uids[subj]; dup {
			t.Errorf("%s: message %q stored twice (UIDs %d and %d)", mailbox, subj, uids[subj], uid)
		}
		uids[subj], bodies[subj] = uid, s
	}
	return uids, bodies
}
