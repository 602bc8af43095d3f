package imap_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/internal/needs"
)

// Real synchronising clients against a server that offers CONDSTORE and
// QRESYNC: mbsync (isync) and offlineimap each copy INBOX to a local
// maildir, carry a flag change, a deletion and a new message from the
// local side to the server and a flag change from the server back; the
// server's QRESYNC answer then tells exactly what the client changed.

// syncFixture is a server with three messages and a local maildir.
type syncFixture struct {
	e          *testEnv
	rc         *rawConn
	local      string // the client's maildir tree
	validity   string
	highest    string // HIGHESTMODSEQ before the client's changes
	deletedUID string
}

var (
	reUIDValidity = regexp.MustCompile(`\[UIDVALIDITY (\d+)\]`)
	reHighest     = regexp.MustCompile(`\[HIGHESTMODSEQ (\d+)\]`)
)

func newSyncFixture(t *testing.T) *syncFixture {
	e := startServer(t, nil)
	rc := e.raw()
	rc.login("alice")
	for _, s := range []string{"one", "two", "three"} {
		rc.appendMsg("INBOX", "", testMessage(s, "body of "+s))
	}
	return &syncFixture{e: e, rc: rc, local: filepath.Join(t.TempDir(), "local")}
}

// mark notes the server's state before the client's changes.
func (f *syncFixture) mark(t *testing.T) {
	u := f.rc.ok("m1 SELECT INBOX")
	f.validity = reUIDValidity.FindStringSubmatch(strings.Join(u, "\n"))[1]
	f.highest = reHighest.FindStringSubmatch(strings.Join(u, "\n"))[1]
	f.rc.ok("m2 UNSELECT")
}

// localFiles returns the message files of the local INBOX.
func (f *syncFixture) localFiles(t *testing.T, inbox string) []string {
	var out []string
	for _, sub := range []string{"cur", "new"} {
		m, _ := filepath.Glob(filepath.Join(inbox, sub, "*"))
		out = append(out, m...)
	}
	return out
}

// changeLocally marks the message "one" seen, deletes "two" and adds
// "four" in the local maildir inbox; flagSuffix turns a file name into
// one with the given maildir flags.
func (f *syncFixture) changeLocally(t *testing.T, inbox string) {
	files := f.localFiles(t, inbox)
	if len(files) != 3 {
		t.Fatalf("local INBOX after the first sync: %q", files)
	}
	for _, p := range files {
		data, _ := os.ReadFile(p)
		switch {
		case strings.Contains(string(data), "Subject: one"):
			if err := os.Rename(p, withFlags(p, "S")); err != nil {
				t.Fatal(err)
			}
		case strings.Contains(string(data), "Subject: two"):
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}
	}
	msg := strings.ReplaceAll(testMessage("four", "written locally"), "\r\n", "\n")
	name := filepath.Join(inbox, "new", fmt.Sprintf("%d.M1P1.localhost", time.Now().Unix()))
	if err := os.WriteFile(name, []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
}

// withFlags gives a maildir file name the flags flags.
func withFlags(p, flags string) string {
	dir, base := filepath.Split(p)
	dir = filepath.Join(filepath.Dir(filepath.Clean(dir)), "cur")
	if i := strings.Index(base, ":2,"); i >= 0 {
		base = base[:i]
	}
	return filepath.Join(dir, base+":2,"+flags)
}

// checkServer verifies the server's INBOX after the second sync, through
// QRESYNC: "two" vanished since the mark, "one" changed to \Seen, "four"
// is new; then flags "three" for the way back.
func (f *syncFixture) checkServer(t *testing.T) {
	rc := f.rc
	rc.ok("c1 ENABLE QRESYNC")
	u := rc.ok("c2 SELECT INBOX (QRESYNC (" + f.validity + " " + f.highest + "))")
	all := strings.Join(u, "\n")
	if !strings.Contains(all, "* VANISHED (EARLIER) 2") {
		t.Errorf("QRESYNC after the client's sync: no VANISHED (EARLIER) 2:\n%s", all)
	}
	if !regexp.MustCompile(`FETCH \(UID 1 FLAGS \([^)]*\\Seen[^)]*\) MODSEQ`).MatchString(all) {
		t.Errorf("QRESYNC: no change of UID 1 to \\Seen:\n%s", all)
	}
	if !regexp.MustCompile(`FETCH \(UID 4 FLAGS`).MatchString(all) {
		t.Errorf("QRESYNC: the message the client added (UID 4) is not reported:\n%s", all)
	}
	if strings.Contains(all, "UID 3 FLAGS") {
		t.Errorf("QRESYNC: UID 3 reported although unchanged:\n%s", all)
	}
	body := rc.ok("c3 UID FETCH 4 BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
	if !contains(body, "Subject: four") {
		t.Errorf("UID 4 is not the message written locally: %q", body)
	}
	rc.ok("c4 UID STORE 3 +FLAGS.SILENT (\\Flagged)")
	rc.ok("c5 UNSELECT")
}

// checkLocalFlagged verifies that "three" came back \Flagged (F).
func (f *syncFixture) checkLocalFlagged(t *testing.T, inbox string) {
	files := f.localFiles(t, inbox)
	if len(files) != 3 {
		t.Errorf("local INBOX after the third sync: %q", files)
	}
	for _, p := range files {
		data, _ := os.ReadFile(p)
		if strings.Contains(string(data), "Subject: three") {
			if i := strings.Index(p, ":2,"); i < 0 || !strings.Contains(p[i:], "F") {
				t.Errorf("\\Flagged set on the server did not reach %s", p)
			}
			return
		}
	}
	t.Errorf("message three is missing locally: %q", files)
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func TestMbsyncBothWays(t *testing.T) {
	if _, err := exec.LookPath("mbsync"); err != nil {
		needs.Missing(t, "mbsync is not installed (Debian package isync)")
	}
	f := newSyncFixture(t)
	host, port, _ := strings.Cut(f.e.addr, ":")
	conf := filepath.Join(t.TempDir(), "mbsyncrc")
	os.MkdirAll(f.local, 0o700)
	os.WriteFile(conf, []byte(fmt.Sprintf(`IMAPAccount mg
Host %s
Port %s
User alice
Pass secret
SSLType None
AuthMechs LOGIN

IMAPStore far
Account mg

MaildirStore near
Path %[3]s/
Inbox %[3]s/INBOX

Channel mg
Far :far:
Near :near:
Patterns INBOX
Create Both
Expunge Both
SyncState *
`, host, port, f.local)), 0o600)
	inbox := filepath.Join(f.local, "INBOX")
	run(t, "mbsync", "-c", conf, "-a")
	f.mark(t)
	f.changeLocally(t, inbox)
	run(t, "mbsync", "-c", conf, "-a")
	f.checkServer(t)
	run(t, "mbsync", "-c", conf, "-a")
	f.checkLocalFlagged(t, inbox)
}

func TestOfflineIMAPBothWays(t *testing.T) {
	if _, err := exec.LookPath("offlineimap"); err != nil {
		needs.Missing(t, "offlineimap is not installed (Debian package offlineimap)")
	}
	f := newSyncFixture(t)
	host, port, _ := strings.Cut(f.e.addr, ":")
	dir := t.TempDir()
	conf := filepath.Join(dir, "offlineimaprc")
	os.WriteFile(conf, []byte(fmt.Sprintf(`[general]
accounts = mg
metadata = %[1]s/meta

[Account mg]
localrepository = near
remoterepository = far

[Repository near]
type = Maildir
localfolders = %[2]s

[Repository far]
type = IMAP
remotehost = %[3]s
remoteport = %[4]s
remoteuser = alice
remotepass = secret
ssl = no
starttls = no
folderfilter = lambda name: name == 'INBOX'
`, dir, f.local, host, port)), 0o600)
	inbox := filepath.Join(f.local, "INBOX")
	sync := func() { run(t, "offlineimap", "-c", conf, "-o", "-u", "quiet") }
	sync()
	f.mark(t)
	f.changeLocally(t, inbox)
	sync()
	f.checkServer(t)
	sync()
	f.checkLocalFlagged(t, inbox)
}
