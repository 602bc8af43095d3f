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
