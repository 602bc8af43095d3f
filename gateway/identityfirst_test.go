package gateway

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A process started as root reads its identity alone, takes it on, and
// only then reads what follows it (warm.go). The identity these tests
// give is uid 0, which takeIdentity refuses before any system call, so
// they change nothing of the test's own process, whoever runs them. What
// follows the identity is shaped as a client or a user could shape it:
// here it does not even decode, and the process must stop at the
// identity, with every byte of it still unread.

// identityFirstCases are what a daemon (or something pretending to be
// one) sends a process started as root, and what must come of it.
var identityFirstCases = []struct {
	name string
	sent string
	// privileges: the process refused the identity itself
	// (errPrivileges), rather than the line it came in.
	privileges bool
	left       string // what must be left unread
}{
	{
		name:       "root refused, the rest unread",
		sent:       `{"uid":0,"gid":0}` + "\n" + `{"state":{"id":"not a number","pending":"!!"}}` + "\n",
		privileges: true,
		left:       `{"state":{"id":"not a number","pending":"!!"}}` + "\n",
	},
	{
		// The review's wake: identity and state in one message. The
		// state is not decoded as an identity's part.
		name: "identity and state in one line",
		sent: `{"identity":{"uid":0,"gid":0},"server":0,"state":{"id":"not a number","pending":"!!"},"started":"2026-01-01T00:00:00Z"}` + "\n" + "next\n",
		left: "next\n",
	},
	{
		name: "more than an identity on its line",
		sent: `{"uid":0,"gid":0} {"state":{}}` + "\n" + "next\n",
		left: "next\n",
	},
	{
		name: "not an identity",
		sent: `{"uid":"x"}` + "\n" + "next\n",
		left: "next\n",
	},
	{
		name: "a line over the bound",
		sent: strings.Repeat("x", maxIdentityLine) + "next\n",
		left: "next\n",
	},
	{
		name: "cut short",
		sent: `{"uid":0,`,
	},
}

// TestWarmTakesIdentityBeforeReadingTheSession: a session process started
// as root (runWarm) takes on its identity before it reads anything of
// the session: the client's bytes sent ahead, or the mailbox, view and
// IDLE tag that the user's former session process left at hibernation.
func TestWarmTakesIdentityBeforeReadingTheSession(t *testing.T) {
	for _, tc := range identityFirstCases {
		t.Run(tc.name, func(t *testing.T) {
			daemon, child, done := parkedWarm(t)
			if _, err := daemon.Write([]byte(tc.sent)); err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(tc.sent, "\n") {
				daemon.Close()
			}
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("runWarm did not return")
			}
			checkIdentityRefused(t, err, tc.privileges)
			daemon.Close()
			if left, _ := io.ReadAll(child); string(left) != tc.left {
				t.Errorf("left unread %q; want %q", left, tc.left)
			}
		})
	}
}

// TestWarmEndedUnused: a warm process whose daemon hangs up before
// waking it ends with io.EOF, which is no error.
func TestWarmEndedUnused(t *testing.T) {
	daemon, _, done := parkedWarm(t)
	daemon.Close()
	select {
	case err := <-done:
		if !errors.Is(err, io.EOF) {
			t.Errorf("runWarm: %v; want io.EOF", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("runWarm did not return")
	}
}

// TestDeliveryTakesIdentityBeforeReadingTheRequest: a delivery process
// started as root takes on its identity before it reads its request
// (mailbox names from LMTP recipients' details, the user, a mailbox a
// session process asked about), and answers once: how many messages it
// was to store is in the request it did not read.
func TestDeliveryTakesIdentityBeforeReadingTheRequest(t *testing.T) {
	for _, tc := range identityFirstCases {
		t.Run(tc.name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			go func() {
				w.Write([]byte(tc.sent))
				w.Close()
			}()
			var answers []*deliveryResult
			log := slog.New(slog.DiscardHandler)
			deliver(log, r, bufio.NewReader(strings.NewReader("")), func(res *deliveryResult) {
				answers = append(answers, res)
			})
			if len(answers) != 1 || answers[0].Kind == "" || !strings.HasPrefix(answers[0].Text, "refusing to deliver: ") {
				t.Fatalf("answers %+v; want one refusal", answers)
			}
			if tc.privileges && !strings.Contains(answers[0].Text, "uid 0") {
				t.Errorf("answer %q; want the identity refused", answers[0].Text)
			}
			if !tc.privileges && !strings.Contains(answers[0].Text, "reading the identity") {
				t.Errorf("answer %q; want the identity line refused", answers[0].Text)
			}
			if left, _ := io.ReadAll(r); string(left) != tc.left {
				t.Errorf("left unread %q; want %q", left, tc.left)
			}
		})
	}
}

// TestWriteIdentityBound: the daemon sends no identity that the process
// would not read, and the process reads back what it sent.
func TestWriteIdentityBound(t *testing.T) {
	var b strings.Builder
	id := &identityMessage{UID: 1000, GID: 1000, Groups: []int{8, 1000}, Env: []string{"HOME=/home/a b"}}
	if err := writeIdentity(&b, id); err != nil {
		t.Fatal(err)
	}
	line, err := readIdentityLine(strings.NewReader(b.String() + "rest"))
	if err != nil {
		t.Fatal(err)
	}
	var got identityMessage
	if err := json.Unmarshal(line, &got); err != nil || got.UID != 1000 || got.Env[0] != "HOME=/home/a b" {
		t.Errorf("read back %+v, %v", got, err)
	}
	big := &identityMessage{UID: 1000, GID: 1000, Env: []string{"HOME=/" + strings.Repeat("x", maxIdentityLine)}}
	if err := writeIdentity(io.Discard, big); err == nil {
		t.Error("an identity over the bound was sent")
	}
}

// checkIdentityRefused fails t unless err refuses the identity:
// errPrivileges when privileges is set, an error reading it otherwise.
func checkIdentityRefused(t *testing.T, err error, privileges bool) {
	t.Helper()
	var ep errPrivileges
	switch {
	case err == nil:
		t.Fatal("no error")
	case privileges && !errors.As(err, &ep):
		t.Fatalf("a process still root read past its identity: %v", err)
	case !privileges && !strings.Contains(err.Error(), "reading the identity"):
		t.Fatalf("%v; want the identity line refused", err)
	}
}

// parkedWarm runs runWarm in a goroutine, as a warm process does, on
// child's end of a socket pair: it has read its configuration and waits.
// done has runWarm's error.
func parkedWarm(t *testing.T) (daemon, child *os.File, done chan error) {
	t.Helper()
	daemon, child = socketPair(t)
	done = make(chan error, 1)
	go func() {
		_, _, err := runWarm(child)
		done <- err
	}()
	if err := json.NewEncoder(daemon).Encode(&handoffMessage{Server: -1}); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := daemon.Read(b); err != nil || b[0] != warmReady {
		t.Fatalf("warm process not ready: %q %v", b, err)
	}
	return daemon, child, done
}

// socketPair returns the two ends of a stream socket pair, closed when t
// ends.
func socketPair(t *testing.T) (daemon, child *os.File) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	daemon = os.NewFile(uintptr(fds[0]), "daemon side")
	child = os.NewFile(uintptr(fds[1]), "child side")
	t.Cleanup(func() {
		daemon.Close()
		child.Close()
	})
	return daemon, child
}
