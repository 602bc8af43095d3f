package storage_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestMuPropCutInNumber: another program (GNU imap4d) writes .mu-prop
// anew in place, and the scan reads it cut short inside the
// UIDVALIDITY's digits (no newline after them yet). The number cut short
// is not another UIDVALIDITY: the session goes on, hears the delivery,
// and .mu-prop gets the full value back, never the cut one.
func TestMuPropCutInNumber(t *testing.T) {
	accts, home, _ := processStores(t, "maildir", 1)
	a := accts[0]
	v := selectNew(t, a, "box", "one")
	validity := v.Info().UIDValidity
	prop := filepath.Join(home, "box", ".mu-prop")
	data, err := os.ReadFile(prop)
	if err != nil {
		t.Fatal(err)
	}
	full := string(data)
	key := "uid-validity: "
	i := strings.Index(full, key)
	if i < 0 {
		t.Fatalf(".mu-prop %q", full)
	}
	if end := strings.IndexByte(full[i:], '\n'); end < len(key)+6 {
		t.Fatalf("UIDVALIDITY of .mu-prop %q too short to cut", full)
	}
	cut := full[:i+len(key)+4] // four digits of the value, no newline
	if err := os.WriteFile(prop, []byte(cut), 0o600); err != nil {
		t.Fatal(err)
	}
	// A delivery makes the session re-read (its scan reads the file).
	os.WriteFile(filepath.Join(home, "box", "new", "1765108800.P7Q7.host"), []byte("Subject: two\r\n\r\nbody\r\n"), 0o600)
	var r recorder
	for deadline := time.Now().Add(3 * time.Second); len(v.UIDs()) < 2 && v.GoneWhy() == storage.NotGone && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		v.Check()
		v.Poll(true, &r)
	}
	after, _ := os.ReadFile(prop)
	if v.GoneWhy() != storage.NotGone {
		t.Errorf(".mu-prop read cut short (%q of %q): GoneWhy %v, UIDVALIDITY was %d; .mu-prop now %q", cut, full, v.GoneWhy(), validity, after)
	}
	if len(v.UIDs()) != 2 {
		t.Errorf("the delivery is not shown: UIDs %v (events %q)", v.UIDs(), r.events)
	}
	if want := fmt.Sprintf("uid-validity: %d\n", validity); !strings.Contains(string(after), want) {
		t.Errorf(".mu-prop after the re-read is %q, want %q in it", after, want)
	}
}

// TestMuPropNewValueHonoured: another program (GNU imap4d)
// deliberately makes the maildir anew: it rewrites .mu-prop with a new
// UIDVALIDITY. That must still reach the sessions (GoneReset).
func TestMuPropNewValueHonoured(t *testing.T) {
	accts, home, _ := processStores(t, "maildir", 1)
	a := accts[0]
	v := selectNew(t, a, "box", "one")
	old := v.Info().UIDValidity
	prop := filepath.Join(home, "box", ".mu-prop")
	if err := os.WriteFile(prop, []byte("uid-validity: 777\nuidnext: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A change in cur/new makes the view re-read.
	if _, _, err := a.Append("box", msg("two"), nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	var r recorder
	for deadline := time.Now().Add(3 * time.Second); v.GoneWhy() == storage.NotGone && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		v.Check()
		v.Poll(true, &r)
	}
	if v.GoneWhy() != storage.GoneReset {
		st, _ := a.Status("box")
		t.Errorf("a .mu-prop rewritten with UIDVALIDITY 777 (was %d): GoneWhy %v, STATUS %+v", old, v.GoneWhy(), st)
	}
}

// TestMuPropSecondProcess: .mu-prop removed while process A has the
// maildir selected; process B (an inetd session) opens it before A has
// re-read anything, so B knows no UIDVALIDITY but from the maildir's
// index file, which A wrote once the maildir was quiet. A third process
// made the maildir. The maildir is
// unchanged: both must keep the UIDVALIDITY, and A's session must not
// be told BYE (made anew) when A re-reads after B wrote .mu-prop.
func TestMuPropSecondProcess(t *testing.T) {
	accts, home, _ := processStores(t, "maildir", 3)
	a, b, maker := accts[0], accts[1], accts[2]
	dir := filepath.Join(home, "box")
	if err := maker.Create("box"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"one", "two"} {
		if _, _, err := maker.Append("box", msg(s), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	// A session of the maker has seen them (no longer \Recent: A's
	// SELECT renames nothing), and the maildir is quiet for longer than a
	// scan needs to trust the directories, so that A's scan writes the
	// index file.
	vm, err := maker.Select("box", false)
	if err != nil {
		t.Fatal(err)
	}
	vm.Close()
	old := time.Now().Add(-time.Minute)
	for _, sub := range []string{"new", "cur"} {
		if err := os.Chtimes(filepath.Join(dir, sub), old, old); err != nil {
			t.Fatal(err)
		}
	}
	va, err := a.Select("box", false)
	if err != nil {
		t.Fatal(err)
	}
	defer va.Close()
	validity := va.Info().UIDValidity
	va.Settle() // as after the answer to SELECT: the index file is written
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(dir, ".mailgate-index")); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("no index file: %v", err)
		}
	}
	if err := os.Remove(filepath.Join(dir, ".mu-prop")); err != nil {
		t.Fatal(err)
	}
	vb, err := b.Select("box", false)
	if err != nil {
		t.Fatal(err)
	}
	defer vb.Close()
	if got := vb.Info().UIDValidity; got != validity {
		t.Errorf("process B sees UIDVALIDITY %d, process A %d, of an unchanged maildir", got, validity)
	}
	// A change makes A re-read.
	if _, _, err := b.Append("box", msg("three"), nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	var r recorder
	for deadline := time.Now().Add(3 * time.Second); len(va.UIDs()) < 3 && va.GoneWhy() == storage.NotGone && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		va.Check()
		va.Poll(true, &r)
	}
	if why := va.GoneWhy(); why != storage.NotGone {
		t.Errorf("process A's session: GoneWhy %v after B opened the maildir without .mu-prop (a false BYE)", why)
	}
	data, err := os.ReadFile(filepath.Join(dir, ".mu-prop"))
	if want := fmt.Sprintf("uid-validity: %d\n", validity); err != nil || !strings.Contains(string(data), want) {
		t.Errorf(".mu-prop written back is %q (%v), want %q in it", data, err, want)
	}
}
