package lmtp_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
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

// idler is an IMAP session with INBOX selected, in IDLE (RFC 2177).
type idler struct {
	conn   net.Conn
	r      *bufio.Reader
	exists []uint32 // every EXISTS heard, in order, SELECT's included
}

// idleOn logs user in, selects INBOX and starts IDLE.
func idleOn(t testing.TB, addr, user string) *idler {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	i := &idler{conn: c, r: bufio.NewReader(c)}
	if _, err := i.line(); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"a LOGIN " + user + " secret", "b SELECT INBOX"} {
		if _, err := i.command(cmd); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Fprintf(c, "c IDLE\r\n")
	for {
		l, err := i.line()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(l, "+ ") {
			return i
		}
	}
}

// line reads one line, noting an EXISTS. The deadline only keeps a
// broken test from hanging.
func (i *idler) line() (string, error) {
	i.conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
	l, err := i.r.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("imap: %w (after %q)", err, l)
	}
	l = strings.TrimRight(l, "\r\n")
	if f := strings.Fields(l); len(f) == 3 && f[0] == "*" && f[2] == "EXISTS" {
		n, _ := strconv.ParseUint(f[1], 10, 32)
		i.exists = append(i.exists, uint32(n))
	}
	return l, nil
}

// command sends a tagged command and returns its untagged responses.
func (i *idler) command(cmd string) ([]string, error) {
	tag := strings.Fields(cmd)[0]
	fmt.Fprintf(i.conn, "%s\r\n", cmd)
	var untagged []string
	for {
		l, err := i.line()
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(l, tag+" ") {
			if !strings.HasPrefix(l, tag+" OK") {
				return nil, fmt.Errorf("imap: %s: %s", cmd, l)
			}
			return untagged, nil
		}
		untagged = append(untagged, l)
	}
}

// waitExists reads until an EXISTS of at least n.
func (i *idler) waitExists(n uint32) error {
	for len(i.exists) == 0 || i.exists[len(i.exists)-1] < n {
		if _, err := i.line(); err != nil {
			return err
		}
	}
	return nil
}

// done ends IDLE.
func (i *idler) done() error {
	fmt.Fprintf(i.conn, "DONE\r\n")
	for {
		l, err := i.line()
		if err != nil {
			return err
		}
		if strings.HasPrefix(l, "c ") {
			return nil
		}
	}
}

// uids returns the mailbox's UIDs in sequence order (UID SEARCH ALL).
func (i *idler) uids() ([]uint32, error) {
	lines, err := i.command("d UID SEARCH ALL")
	if err != nil {
		return nil, err
	}
	var uids []uint32
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "* SEARCH"); ok {
			for _, f := range strings.Fields(rest) {
				n, _ := strconv.ParseUint(f, 10, 32)
				uids = append(uids, uint32(n))
			}
		}
	}
	return uids, nil
}

// checkExistsSequence: the EXISTS a session heard only grow (a burst of
// deliveries may reach it as one EXISTS) and end at want.
func checkExistsSequence(t testing.TB, who string, exists []uint32, want uint32) {
	t.Helper()
	for k := 1; k < len(exists); k++ {
		if exists[k] <= exists[k-1] {
			t.Errorf("%s: EXISTS went from %d to %d", who, exists[k-1], exists[k])
			return
		}
	}
	if len(exists) == 0 || exists[len(exists)-1] != want {
		t.Errorf("%s: last EXISTS of %v is not %d", who, exists[max(0, len(exists)-5):], want)
	}
}

// strictlyIncreasing reports whether uids ascend without repeats.
func strictlyIncreasing(uids []uint32) bool {
	for k := 1; k < len(uids); k++ {
		if uids[k] <= uids[k-1] {
			return false
		}
	}
	return true
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
