package maildir

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// mkMaildir makes a bare maildir as another program would, with files
// given as relative path -> content, all dated 1700000000.
func mkMaildir(t *testing.T, files map[string]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "box")
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(path, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range files {
		writeFile(t, filepath.Join(path, name), content, time.Unix(1700000000, 0))
	}
	return path
}

func TestImap4dMaildir(t *testing.T) {
	const body = "Subject: hi\n\nbody\n"
	const fileName = "1700000001.M1P4242.testhost,a=FO,u=2:2,F"
	path := mkMaildir(t, map[string]string{
		".mu-prop":        "uidnext: 3\nuid-validity: 1795730010\nversion: 3.15\n",
		"cur/" + fileName: body,
	})
	d := testDriver()
	f := mustOpen(t, d, path)
	snap := mustScan(t, f)
	if snap.UIDValidity != 1795730010 || snap.UIDNext != 3 || !slices.Equal(uidsOf(snap), []uint32{2}) {
		t.Fatalf("Scan = %+v", snap)
	}
	m := snap.Messages[0]
	if !slices.Equal(m.Flags, []string{`\Flagged`}) || m.New || m.Size != crlfSize(body) ||
		!m.InternalDate.Equal(time.Unix(1700000000, 0)) {
		t.Fatalf("message = %+v", m)
	}
	if got := listDir(t, filepath.Join(path, "cur")); !slices.Equal(got, []string{fileName}) {
		t.Fatalf("Scan renamed imap4d's file: %q", got)
	}
	if err := f.SetFlags(2, []string{`\Seen`, `\Flagged`}); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, filepath.Join(path, "cur")); !slices.Equal(got, []string{strings.TrimSuffix(fileName, "F") + "FS"}) {
		t.Fatalf("SetFlags gave %q", got)
	}
	a, err := f.Append(strings.NewReader(body), nil, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if a.UID != 3 {
		t.Fatalf("Append UID %d, want 3", a.UID)
	}
	prop, _ := os.ReadFile(filepath.Join(path, propsFile))
	if string(prop) != "uidnext: 4\nuid-validity: 1795730010\nversion: 3.15\n" {
		t.Fatalf(".mu-prop = %q", prop)
	}
}

func TestDovecotMaildir(t *testing.T) {
	files := map[string]string{
		"dovecot-uidlist": "3 V1600000000 N10 G0123456789abcdef0123456789abcdef\n" +
			"5 :1600000001.M1P1.host\n" +
			"7 W30 S28 :1600000002.M2P1.host,S=28,W=30:2,S\n" +
			"8 :1600000009.M9P1.gone\n",
		"dovecot-keywords":                         "0 Junk\n1 $NotJunk\n",
		"cur/1600000001.M1P1.host:2,Sa":            "Subject: a\n\n1\n",
		"cur/1600000002.M2P1.host,S=28,W=30:2,RSb": "Subject: b\n\n22\n",
		"new/1600000003.M3P1.host":                 "Subject: c\n\n333\n",
	}
	path := mkMaildir(t, files)
	d := testDriver()
	f := mustOpen(t, d, path)
	snap := mustScan(t, f)
	if snap.UIDValidity != 1600000000 || snap.UIDNext != 11 || !slices.Equal(uidsOf(snap), []uint32{5, 7, 10}) {
		t.Fatalf("Scan = %+v", snap)
	}
	wantFlags := map[uint32][]string{5: {"Junk", `\Seen`}, 7: {"$NotJunk", `\Answered`, `\Seen`}, 10: nil}
	for _, m := range snap.Messages {
		if !slices.Equal(m.Flags, wantFlags[m.UID]) {
			t.Errorf("UID %d flags %q, want %q", m.UID, m.Flags, wantFlags[m.UID])
		}
	}
	if m, _ := message(snap, 7); m.Size != 30 {
		t.Errorf("W= size not used: %d", m.Size)
	}
	if m, _ := message(snap, 10); !m.New || m.Size != crlfSize(files["new/1600000003.M3P1.host"]) {
		t.Errorf("new message = %+v", m)
	}
	wantCur := []string{"1600000001.M1P1.host,W=17,u=5:2,Sa", "1600000002.M2P1.host,S=28,W=30,u=7:2,RSb"}
	if got := listDir(t, filepath.Join(path, "cur")); !slices.Equal(got, wantCur) {
		t.Fatalf("cur/ = %q", got)
	}
	if got := listDir(t, filepath.Join(path, "new")); !slices.Equal(got, []string{"1600000003.M3P1.host,W=19,u=10"}) {
		t.Fatalf("new/ = %q", got)
	}
	if data, _ := os.ReadFile(filepath.Join(path, uidListFile)); string(data) != files["dovecot-uidlist"] {
		t.Fatal("dovecot-uidlist was changed")
	}
	// Without dovecot-uidlist the UIDs stay, as the names carry them.
	os.Remove(filepath.Join(path, uidListFile))
	again := mustScan(t, mustOpen(t, d, path))
	if again.UIDValidity != 1600000000 || !slices.Equal(uidsOf(again), []uint32{5, 7, 10}) || again.UIDNext != 11 {
		t.Fatalf("Scan without dovecot-uidlist = %+v", again)
	}
}

func TestDovecotValidityMismatch(t *testing.T) {
	// .mu-prop's UIDVALIDITY differs: Dovecot's UIDs do not apply.
	path := mkMaildir(t, map[string]string{
		".mu-prop":                     "uidnext: 1\nuid-validity: 42\nversion: 3.15\n",
		"dovecot-uidlist":              "3 V1600000000 N10 G0\n5 :1600000001.M1P1.host\n",
		"cur/1600000001.M1P1.host:2,S": "x\n",
	})
	snap := mustScan(t, mustOpen(t, testDriver(), path))
	if snap.UIDValidity != 42 || !slices.Equal(uidsOf(snap), []uint32{1}) {
		t.Fatalf("Scan = %+v", snap)
	}
}

func TestReadUIDListVersions(t *testing.T) {
	tests := []struct {
		content        string
		validity, next uint32
		base           string
		uid            uint32
	}{
		{"3 V7 N9 Gabc\n4 :a.b.c:2,S\n", 7, 9, "a.b.c", 4},
		{"3 V7 N9\n4 S10 W12 :a.b.c\n", 7, 9, "a.b.c", 4},
		{"1 7 9\n4 a.b.c:2,\n", 7, 9, "a.b.c", 4},
		{"2 V7 N9\n4 :a.b.c\n", 7, 9, "a.b.c", 4},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, uidListFile), tt.content, time.Time{})
		l, err := readUIDList(dir)
		if err != nil || l == nil {
			t.Fatalf("%q: %v %v", tt.content, l, err)
		}
		if l.validity != tt.validity || l.next != tt.next || l.uids[tt.base] != tt.uid {
			t.Errorf("%q: got %+v", tt.content, l)
		}
	}
	for _, bad := range []string{"", "garbage\n", "3 N5\n", "9 V1\n"} {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, uidListFile), bad, time.Time{})
		if l, err := readUIDList(dir); l != nil || err != nil {
			t.Errorf("%q: got %+v, %v", bad, l, err)
		}
	}
}

func TestBareMaildir(t *testing.T) {
	// As mutt or an MDA leaves it: no .mu-prop, no UIDs.
	path := mkMaildir(t, nil)
	files := []struct {
		name  string
		mtime int64
	}{
		{"cur/1700000300.123_1.host:2,S", 300},
		{"cur/1700000100.123_1.host:2,RS", 100},
		{"new/1700000200.123_1.host", 200},
		{"new/1700000100.123_0.host", 100},
	}
	for _, f := range files {
		writeFile(t, filepath.Join(path, f.name), "x\n", time.Unix(1700000000+f.mtime, 0))
	}
	d := testDriver()
	d.Options.UIDValidity = func() uint32 { return 1750000000 }
	s := mustScan(t, mustOpen(t, d, path))
	if s.UIDValidity != 1750000000 || s.UIDNext != 5 {
		t.Fatalf("Scan = %+v", s)
	}
	want := []string{"new/1700000100.123_0.host,W=3,u=1", "cur/1700000100.123_1.host,W=3,u=2:2,RS",
		"new/1700000200.123_1.host,W=3,u=3", "cur/1700000300.123_1.host,W=3,u=4:2,S"}
	for i, w := range want {
		if _, err := os.Stat(filepath.Join(path, w)); err != nil {
			t.Errorf("UID %d: %v", i+1, err)
		}
	}
	d.Options.UIDValidity = func() uint32 { return 1760000000 }
	again := mustScan(t, mustOpen(t, d, path))
	if again.UIDValidity != 1750000000 || !slices.Equal(uidsOf(again), []uint32{1, 2, 3, 4}) {
		t.Fatalf("reopened Scan = %+v", again)
	}
}
