package gateway

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/storage"
	"golang.org/x/sys/unix"
)

// controlPair serves a session process's control socket as the daemon
// does, for the session of session; the test speaks for the process on
// child. done closes when serve returns; killed says whether the daemon
// ended the process.
func controlPair(t *testing.T, session *imap.SessionState) (sc *sessionControl, child *os.File, done chan struct{}, killed *atomic.Bool) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	daemonEnd := os.NewFile(uintptr(fds[0]), "daemon end")
	child = os.NewFile(uintptr(fds[1]), "session process end")
	t.Cleanup(func() { daemonEnd.Close(); child.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	killed = new(atomic.Bool)
	sc = &sessionControl{g: &Gateway{log: log}, link: &clientLink{}, entry: newSessionBook().Open(1, "imap", "127.0.0.1:1", nil),
		session: session, log: log, kill: func() { killed.Store(true) }}
	done = make(chan struct{})
	go func() { sc.serve(daemonEnd); close(done) }()
	return sc, child, done, killed
}

// TestControlRequestsAreBounded: a session process is the user's, who
// may have taken it over. The daemon reads none of its requests whole
// past maxSessionRequest (an 8 MiB mailbox name here): it ends that
// session, and keeps nothing of the request.
func TestControlRequestsAreBounded(t *testing.T) {
	sc, child, done, killed := controlPair(t, nil)
	const size = 8 << 20
	go func() {
		child.WriteString(`{"op":"selected","name":"` + strings.Repeat("x", size) + `"}` + "\n")
		child.Close()
	}()
	<-done
	if n := len(sc.entry.Record().Mailbox); n >= size {
		t.Errorf("the daemon took a %d-byte request whole and keeps a %d-byte mailbox name in the session book", size+30, n)
	}
	if !sc.wasRefused() || !killed.Load() {
		t.Errorf("a request over the bound: session refused %v, process killed %v; want both", sc.wasRefused(), killed.Load())
	}
}

// TestSelectedMailboxNameIsCut: a long name within the request bound is
// kept cut to maxControlName, at a character's start, for "mailgate
// who"; the session goes on.
func TestSelectedMailboxNameIsCut(t *testing.T) {
	sc, child, done, killed := controlPair(t, nil)
	name := "x" + strings.Repeat("é", 3000) // 6,001 bytes: the cut falls inside a character
	pc := newParentControl(child)
	childObserver{p: pc}.Selected(name)
	pc.ask(ctlRequest{Op: "selected", Name: name}) // as a forged process would send it
	child.Close()
	<-done
	got := sc.entry.Record().Mailbox
	if len(got) > maxControlName+len("…") || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") ||
		!strings.HasPrefix(name, strings.TrimSuffix(got, "…")) {
		t.Errorf("selected name kept as %d bytes %q...; want cut to %d bytes at a character", len(got), got[:min(len(got), 20)], maxControlName)
	}
	if sc.wasRefused() || killed.Load() {
		t.Error("a long mailbox name within the bound ended the session")
	}
	if cutName("INBOX") != "INBOX" {
		t.Errorf("cutName(INBOX) = %q", cutName("INBOX"))
	}
}

// TestHibernationWithinTheBounds: a hibernation and 1 MiB of a client's
// unread bytes (what a session process drains at most) reach the
// daemon whole, in pieces; a state longer than a request line is not
// sent, and the session stays awake.
func TestHibernationWithinTheBounds(t *testing.T) {
	dave := auth.User{Name: "dave", UID: 65533, GID: 65533, Home: "/home/dave", System: true}
	session := &imap.SessionState{ID: 7, User: dave, Remote: "192.0.2.1:5555"}
	sc, child, done, killed := controlPair(t, session)
	pc := newParentControl(child)

	huge := &imap.SessionState{ID: 7, User: dave, Mailbox: "INBOX", View: &storage.ViewState{UIDValidity: 1}}
	for uid := uint32(1); uid < 40000; uid += 2 { // 20,000 ranges: about 340 KB
		huge.View.UIDs = append(huge.View.UIDs, [2]uint32{uid, uid})
	}
	drained := false
	took, err := pc.Hibernate(huge, []string{"/home/dave/Mail/INBOX"}, func() []byte { drained = true; return nil })
	if took || err != nil || drained {
		t.Errorf("a hibernation over the bound: took %v, err %v, drained %v; want it kept awake", took, err, drained)
	}

	st := &imap.SessionState{ID: 7, User: dave, Mailbox: "INBOX", IdleTag: "i",
		View: &storage.ViewState{UIDValidity: 1, UIDs: storage.Ranges{{1, 100}}}}
	pending := bytes.Repeat([]byte("a NOOP\r\n"), (1<<20)/8+13)
	took, err = pc.Hibernate(st, []string{"/home/dave/Mail/INBOX"}, func() []byte { return pending })
	if !took || err != nil {
		t.Fatalf("Hibernate: took %v, err %v", took, err)
	}
	child.Close()
	<-done
	hib := sc.committed()
	if hib == nil || !bytes.Equal(hib.pending, pending) || hib.state.Mailbox != "INBOX" {
		t.Fatalf("the daemon's hibernation: %v; want the state and %d pending bytes", hib != nil, len(pending))
	}
	if sc.wasRefused() || killed.Load() {
		t.Error("a hibernation within the bounds ended the session")
	}
}

// TestHibernationPendingIsBounded: unread bytes over maxHibernatePending,
// in pieces each within a request line, end the session.
func TestHibernationPendingIsBounded(t *testing.T) {
	dave := auth.User{Name: "dave", UID: 65533, GID: 65533, Home: "/home/dave"}
	sc, child, done, killed := controlPair(t, &imap.SessionState{ID: 7, User: dave})
	pc := newParentControl(child)
	st := &imap.SessionState{ID: 7, User: dave, Mailbox: "INBOX", View: &storage.ViewState{UIDValidity: 1}}
	if _, err := pc.ask(ctlRequest{Op: "hibernate", State: st}); err != nil {
		t.Fatal(err)
	}
	go func() {
		piece := bytes.Repeat([]byte("x"), maxCommitPiece)
		for i := 0; i <= maxHibernatePending/maxCommitPiece; i++ {
			if pc.enc.Encode(&ctlRequest{Op: "commit", Pending: piece, More: true}) != nil {
				break
			}
		}
		child.Close()
	}()
	<-done
	if !sc.wasRefused() || !killed.Load() || sc.committed() != nil {
		t.Errorf("pending over the bound: refused %v, killed %v, committed %v; want the session ended",
			sc.wasRefused(), killed.Load(), sc.committed() != nil)
	}
}

// TestReadRequest: lines up to maxSessionRequest, LF included, are read
// whole through a small buffer; a longer one is refused.
func TestReadRequest(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
		err  error
	}{
		{"short", "{}\n{}\n", "{}\n", nil},
		{"at the bound", strings.Repeat("x", maxSessionRequest-1) + "\n", strings.Repeat("x", maxSessionRequest-1) + "\n", nil},
		{"over the bound", strings.Repeat("x", maxSessionRequest) + "\n", "", errRequestTooLong},
		{"over, no LF", strings.Repeat("x", maxSessionRequest+1), "", errRequestTooLong},
		{"cut short", "{", "{", io.EOF},
		{"nothing", "", "", io.EOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			line, err := readRequest(bufio.NewReaderSize(strings.NewReader(tc.in), 16))
			if string(line) != tc.want || !errors.Is(err, tc.err) && err != tc.err {
				t.Errorf("readRequest = %d bytes, %v; want %d bytes, %v", len(line), err, len(tc.want), tc.err)
			}
		})
	}
}
