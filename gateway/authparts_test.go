package gateway_test

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/gateway"
)

// Issue 10, item 2: id-fields may hold NAME=VALUE pairs, sent as given,
// and ID works in every state.
func TestIDFieldsNameValue(t *testing.T) {
	tg := startGateway(t, "id-fields = [\"name\", \"x-site=mail.example.org\", \"support-url\"]\n[[server]]\naddress = \"127.0.0.1:0\"\n")
	c := dial(t, tg.addrs[0], "")
	want := `* ID ("name" "mailgate" "x-site" "mail.example.org" "support-url" "https://github.com/mailgate/mailgate")`
	if lines := commandLines(t, c.conn, c.r, "a ID NIL"); lines[0] != want {
		t.Errorf("ID before login: %q, want %q", lines[0], want)
	}
	if l := command(t, c.conn, c.r, "b LOGIN "+gateway.FirstUser+" "+quote(tg.password)); !strings.HasPrefix(l, "b OK") {
		t.Fatal(l)
	}
	for _, cmd := range []string{"c ID (\"name\" \"test\")", "d SELECT INBOX", "e ID NIL"} {
		if lines := commandLines(t, c.conn, c.r, cmd); !strings.Contains(lines[len(lines)-1], " OK") {
			t.Errorf("%s: %q", cmd, lines)
		}
	}
}

// Issue 10, item 6: with tcp-wrappers enabled, a client that hosts.deny
// names is refused before the greeting.
func TestTCPWrappersDeny(t *testing.T) {
	dir := t.TempDir()
	allow, deny := filepath.Join(dir, "hosts.allow"), filepath.Join(dir, "hosts.deny")
	os.WriteFile(allow, []byte("sshd: ALL\n"), 0o644)
	os.WriteFile(deny, []byte("imap4d: 127.0.0.1\n"), 0o644)
	addr := run(t, "[tcp-wrappers]\nenable = true\ndaemon = \"imap4d\"\nallow-table = "+quote(allow)+"\ndeny-table = "+quote(deny)+"\n")
	if g, _ := greeting(t, addr); !strings.HasPrefix(g, "* BYE Access denied") {
		t.Errorf("denied client got %q", g)
	}
	os.WriteFile(allow, []byte("imap4d: 127.0.0.1\n"), 0o644)
	if g, _ := greeting(t, addr); !strings.HasPrefix(g, "* OK") {
		t.Errorf("allowed client got %q", g)
	}
}

// Issue 10, item 1: preauth by a program, configured as the seed writes
// it, gives a PREAUTH greeting; under preauth-only a program that says no
// closes the connection.
func TestPreauthProgramConfigured(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "who")
	os.WriteFile(prog, []byte("#!/bin/sh\n[ \"$1\" = 127.0.0.1 ] && echo "+gateway.FirstUser+"\n"), 0o755)
	addr := run(t, "preauth = \"prog://"+prog+" ${client_address}\"\npreauth-only = true\n")
	g, c := greeting(t, addr)
	if !strings.HasPrefix(g, "* PREAUTH") {
		t.Fatalf("greeting %q", g)
	}
	if l := command(t, c, bufio.NewReader(c), "a SELECT INBOX"); !strings.HasPrefix(l, "a OK") {
		t.Errorf("SELECT: %q", l)
	}
	os.WriteFile(prog, []byte("#!/bin/sh\nexit 1\n"), 0o755)
	if g, _ := greeting(t, addr); !strings.HasPrefix(g, "* BYE") {
		t.Errorf("greeting without preauth under preauth-only: %q", g)
	}
}

// Issue 10, item 5: create-home-dir makes a missing home at login with
// home-dir-mode and, as root, gives it to the user's uid and gid.
func TestCreateHomeDirOwned(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("giving a directory away needs root")
	}
	dir := t.TempDir()
	homes := filepath.Join(dir, "homes")
	os.Mkdir(homes, 0o755)
	usersFile := filepath.Join(dir, "users")
	uid, gid := 4321, 4322
	if err := auth.AddUser(usersFile, "alice", "pw-alice", &auth.UserOptions{UID: &uid, GID: &gid, Home: filepath.Join(homes, "alice")}); err != nil {
		t.Fatal(err)
	}
	// In the gateway's process: a test binary cannot be a session
	// process (cmd/mailgate's TestSessionProcess tests those).
	addr := run(t, "session-process = \"never\"\ncreate-home-dir = true\nhome-dir-mode = \"750\"\n[auth]\nusers-file = "+quote(usersFile)+"\n")
	_, c := greeting(t, addr)
	r := bufio.NewReader(c)
	if l := command(t, c, r, "a LOGIN alice pw-alice"); !strings.HasPrefix(l, "a OK") {
		t.Fatalf("LOGIN: %q", l)
	}
	fi, err := os.Stat(filepath.Join(homes, "alice"))
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Perm() != 0o750 || int(st.Uid) != uid || int(st.Gid) != gid {
		t.Errorf("home %v owned by %d:%d, want 750 by %d:%d", fi.Mode(), st.Uid, st.Gid, uid, gid)
	}
}

// The salt SCRAM makes up for a name without keys is kept across a
// restart, as a real user's salt is: its key is in the data directory.
func TestSCRAMMockSaltSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	conf := "[auth]\nmechanisms = [\"SCRAM-SHA-256\"]\n[[server]]\naddress = \"127.0.0.1:0\"\n"
	salt := func() string {
		tg := startGatewayIn(t, dir, conf)
		defer tg.stop()
		c := dial(t, tg.addrs[0], "")
		first := base64.StdEncoding.EncodeToString([]byte("n,,n=nosuchuser,r=abcdefghijklmnop"))
		fmt.Fprintf(c.conn, "a AUTHENTICATE SCRAM-SHA-256 %s\r\n", first)
		line, err := c.r.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "+ ") {
			t.Fatalf("AUTHENTICATE: %q, %v", line, err)
		}
		ch, err := base64.StdEncoding.DecodeString(strings.TrimSpace(line[2:]))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range strings.Split(string(ch), ",") {
			if s, ok := strings.CutPrefix(f, "s="); ok {
				return s
			}
		}
		t.Fatalf("no salt in %q", ch)
		return ""
	}
	before := salt()
	if _, err := os.Stat(filepath.Join(dir, auth.MockSaltKeyFile)); err != nil {
		t.Errorf("no key file in the data directory: %v", err)
	}
	if after := salt(); after != before {
		t.Errorf("the made-up salt of an unknown name was %s, and %s after a restart: a real user's stays", before, after)
	}
}

// The login of a user whose home is a planted link is answered NO
// [UNAVAILABLE], and nothing is made in the link's target.
func TestLoginRefusesAPlantedHome(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, as the daemon, to plant another user's link")
	}
	dir := t.TempDir()
	victim, home := filepath.Join(dir, "victim"), filepath.Join(dir, "carol")
	os.Mkdir(victim, 0o700)
	os.Symlink(victim, home)
	if err := os.Lchown(home, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	usersFile := filepath.Join(t.TempDir(), "users")
	if err := auth.AddUser(usersFile, "carol", "pw-carol", &auth.UserOptions{Home: home}); err != nil {
		t.Fatal(err)
	}
	addr := run(t, "[auth]\nusers-file = "+quote(usersFile)+"\n")
	_, c := greeting(t, addr)
	r := bufio.NewReader(c)
	if l := command(t, c, r, "a LOGIN carol pw-carol"); !strings.HasPrefix(l, "a NO [UNAVAILABLE]") {
		t.Errorf("LOGIN with a planted home: %q", l)
	}
	if ents, _ := os.ReadDir(victim); len(ents) > 0 {
		t.Errorf("%s, the link's target, now holds %v", victim, ents)
	}
}
