package gateway

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/storage"
)

// A session process runs as its user, who may forge what it sends the
// daemon: a hibernation keeps the session the daemon authenticated and
// takes from the process only where the session stood; one that names
// anyone else, or lifts read-only, is refused.
func TestResumeStateKeepsTheAuthenticatedUser(t *testing.T) {
	dave := auth.User{Name: "dave", UID: 65533, GID: 65533, Home: "/home/dave", System: true}
	session := &imap.SessionState{ID: 7, User: dave, TLS: true, Remote: "192.0.2.1:5555", Pending: []byte("a LOGIN\r\n")}
	view := &storage.ViewState{UIDValidity: 42, UIDs: storage.Ranges{{1, 3}}}
	left := func(change func(st *imap.SessionState)) *imap.SessionState {
		st := &imap.SessionState{ID: 99, User: dave, Remote: "127.0.0.1:1",
			Mailbox: "INBOX", View: view, IdleTag: "i"}
		if change != nil {
			change(st)
		}
		return st
	}
	refused := []struct {
		name   string
		change func(st *imap.SessionState)
	}{
		{"another user", func(st *imap.SessionState) { st.User.Name = "alice" }},
		{"another uid", func(st *imap.SessionState) { st.User.UID = 1234 }},
		{"uid of a virtual user", func(st *imap.SessionState) { st.User.UID = -1 }},
		{"group root", func(st *imap.SessionState) { st.User.GID = 0 }},
		{"another home", func(st *imap.SessionState) { st.User.Home = "/tmp/pwn" }},
		{"not a system account", func(st *imap.SessionState) { st.User.System = false }},
		{"no user", func(st *imap.SessionState) { st.User = auth.User{} }},
		{"read-only", func(st *imap.SessionState) { st.ReadOnly = true }},
	}
	for _, tt := range refused {
		if st, err := resumeState(session, left(tt.change)); err == nil {
			t.Errorf("%s: taken, the next session process would run as %+v", tt.name, st.User)
		}
	}

	st, err := resumeState(session, left(nil))
	if err != nil {
		t.Fatal(err)
	}
	if st.ID != 7 || st.User != dave || !st.TLS || st.Remote != session.Remote || st.Pending != nil {
		t.Errorf("the session's own parts are not the daemon's: %+v", st)
	}
	if st.Mailbox != "INBOX" || st.View != view || st.IdleTag != "i" || st.MailboxReadOnly {
		t.Errorf("where the session stood is lost: %+v", st)
	}

	// An anonymous (read-only) session wakes read-only, in a mailbox
	// opened read-only, whatever its process said of the mailbox.
	anon := *session
	anon.ReadOnly = true
	st, err = resumeState(&anon, left(func(st *imap.SessionState) { st.ReadOnly = true }))
	if err != nil {
		t.Fatal(err)
	}
	if !st.ReadOnly || !st.MailboxReadOnly {
		t.Errorf("a read-only session wakes with read-only %v, mailbox read-only %v", st.ReadOnly, st.MailboxReadOnly)
	}
	if _, err := resumeState(&anon, left(nil)); err == nil {
		t.Error("a read-only session's process lifted read-only")
	}
}

// The daemon tells a session process another user's home only for the
// other users' namespace: whether the user exists always, where they
// live only when a prefix's directory holds $home.
func TestOtherUsersHome(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "users")
	if err := os.WriteFile(users, []byte("bob:{PLAIN}secret:::::\ncarol:{PLAIN}secret:::::\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	usersFile := "[auth]\nusers-file = \"" + users + "\"\n"
	tests := []struct {
		name, config string
		ok           bool
		home         bool
	}{
		{"no other users' namespace", usersFile, false, false},
		{"by $user", "[[namespace.other.prefix]]\nprefix = \"~\"\ndirectory = \"/var/imap/$user\"\n" + usersFile, true, false},
		{"by $home", "[[namespace.other.prefix]]\nprefix = \"~\"\ndirectory = \"$home/Mail\"\n" + usersFile, true, true},
		{"by $mailhome", "[[namespace.other.prefix]]\nprefix = \"~\"\ndirectory = \"$mailhome\"\n" + usersFile, true, true},
		{"by ${home}", "[[namespace.other.prefix]]\nprefix = \"~\"\ndirectory = \"${home}\"\n" + usersFile, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newTestGateway(t, tt.config)
			home, ok := g.otherUsersHome("bob")
			if ok != tt.ok || (home != "") != tt.home {
				t.Errorf("home of bob: %q, %v; want an answer %v, a home %v", home, ok, tt.ok, tt.home)
			}
			if tt.home && !strings.HasSuffix(home, "/bob") {
				t.Errorf("home of bob: %q", home)
			}
			if home, ok := g.otherUsersHome("nosuchuser"); ok || home != "" {
				t.Errorf("an unknown user has home %q", home)
			}
		})
	}
}

// The root daemon watches a hibernated session's files with the user's
// file system identity: a session process cannot have it watch (and so
// learn of) what the user may not read.
func TestHibernationWatchesAsTheUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, as the daemon")
	}
	nobody := identity{uid: 65534, gid: 65534, groups: []int{65534}}
	// Not in t.TempDir, whose parent nobody may not search.
	dir, err := os.MkdirTemp("", "mailgate-watch-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	private := filepath.Join(dir, "private")
	open := filepath.Join(dir, "open")
	for _, d := range []string{private, open, filepath.Join(private, "new"), filepath.Join(open, "new")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(private, 0o700)
	w := newFileWatcher(newTestGateway(t, "").log)
	if _, cancel, err := w.watch([]string{open}, nobody); err != nil {
		t.Errorf("a directory nobody may read: %v", err)
	} else {
		defer cancel()
	}
	// Watched already (for root), and still refused to nobody.
	if _, cancel, err := w.watch([]string{private}, identity{}); err != nil {
		t.Fatalf("as root: %v", err)
	} else {
		defer cancel()
	}
	for _, p := range []string{private, filepath.Join(private, "new"), "/root"} {
		if _, _, err := w.watch([]string{p}, nobody); !errors.Is(err, os.ErrPermission) {
			t.Errorf("%s, root's alone: watched for nobody (%v)", p, err)
		}
	}
	// The threads that took nobody's identity are gone: the daemon's
	// goroutines still read as root.
	secret := filepath.Join(private, "secret")
	if err := os.WriteFile(secret, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		w.watch([]string{private}, nobody)
		done := make(chan error)
		go func() {
			_, err := os.ReadFile(secret)
			done <- err
		}()
		if err := <-done; err != nil {
			t.Fatalf("after watching as nobody, the daemon cannot read its own file: %v", err)
		}
	}
}

// A row of "mailgate who" shows what a session process reported (the
// selected mailbox) without its control characters: a terminal escape
// from a user never reaches the administrator's terminal.
func TestWriteRowDropsControlCharacters(t *testing.T) {
	var b strings.Builder
	w := bufio.NewWriter(&b)
	writeRow(w, "1", "INBOX\x1b]0;owned\x07\x1b[2J\tx\r\ny\u009b")
	w.Flush()
	if got, want := b.String(), "*\t1\tINBOX ]0;owned  [2J x  y \n"; got != want {
		t.Errorf("row %q, want %q", got, want)
	}
}
