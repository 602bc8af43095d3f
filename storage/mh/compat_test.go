package mh

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestImap4dFolder reads a folder as GNU imap4d 3.15 leaves it: .mu-prop,
// flags in Status: fields, no .mh_sequences.
func TestImap4dFolder(t *testing.T) {
	files := map[string]string{
		".mu-prop": "uidnext: 9\nuid-validity: 1795730010\nversion: 3.15\n",
		"1":        "From: a@example.org\nStatus: RO\nSubject: one\n\nbody 1\n",
		"2":        "From: a@example.org\nStatus: O\nSubject: two\n\nbody 2\n",
		"4":        "Status: ROAF\nSubject: four\n\nbody 4\n",
		"5":        "Subject: five\nStatus: d\n\nStatus: in the body\n",
		"7":        "Subject: seven, delivered\n\nbody 7\n",
		",3":       "Subject: expunged\n\n",
	}
	path := mkFolder(t, files)
	d := testDriver()
	f := mustOpen(t, d, path)
	snap := mustScan(t, f)
	if snap.UIDValidity != 1795730010 || snap.UIDNext != 9 || !slices.Equal(uidsOf(snap), []uint32{1, 2, 4, 5, 7}) {
		t.Fatalf("Scan = %+v", snap)
	}
	want := []struct {
		uid   uint32
		flags []string
		isNew bool
		body  string
	}{
		{1, []string{`\Seen`}, false, "From: a@example.org\nSubject: one\n\nbody 1\n"},
		{2, nil, false, "From: a@example.org\nSubject: two\n\nbody 2\n"},
		{4, []string{`\Answered`, `\Flagged`, `\Seen`}, false, "Subject: four\n\nbody 4\n"},
		{5, []string{`\Draft`}, true, "Subject: five\n\nStatus: in the body\n"},
		{7, nil, true, files["7"]},
	}
	for _, w := range want {
		m, _ := message(snap, w.uid)
		if !slices.Equal(m.Flags, w.flags) || m.New != w.isNew || m.Size != crlfSize(w.body) ||
			!m.InternalDate.Equal(time.Unix(1700000000, 0)) {
			t.Errorf("UID %d = %+v, want flags %q new %v size %d", w.uid, m, w.flags, w.isNew, crlfSize(w.body))
		}
		if got := readAll(t, f, w.uid); got != w.body {
			t.Errorf("Open(%d) = %q, want %q", w.uid, got, w.body)
		}
	}
	// The first scan fixed recent-from at the first unseen message that
	// imap4d had not marked O, and changed nothing else.
	if got := readFile(t, filepath.Join(path, propsFile)); got != "uidnext: 9\nuid-validity: 1795730010\nversion: 3.15\nrecent-from: 5\n" {
		t.Fatalf(".mu-prop = %q", got)
	}
	if _, err := os.Stat(filepath.Join(path, seqFile)); !os.IsNotExist(err) {
		t.Fatalf("Scan wrote %s: %v", seqFile, err)
	}

	// The first flag change writes every flag into .mh_sequences, so
	// that nmh sees what imap4d's Status: fields said; the files stay.
	if err := f.SetFlags(2, []string{`\Seen`, "Junk"}); err != nil {
		t.Fatal(err)
	}
	wantSeq := "unseen: 5 7\nflagged: 4\nreplied: 4\ndeleted:\ndraft: 5\nJunk: 2\n"
	if got := readFile(t, filepath.Join(path, seqFile)); got != wantSeq {
		t.Fatalf("%s = %q, want %q", seqFile, got, wantSeq)
	}
	for name, content := range files {
		if got := readFile(t, filepath.Join(path, name)); got != content && name != propsFile {
			t.Errorf("%s was rewritten: %q", name, got)
		}
	}
	again := mustScan(t, mustOpen(t, testDriver(), path))
	for i, m := range snap.Messages {
		wantFlags := m.Flags
		if m.UID == 2 {
			wantFlags = []string{"Junk", `\Seen`}
		}
		if got := again.Messages[i]; got.UID != m.UID || !slices.Equal(got.Flags, wantFlags) {
			t.Errorf("after SetFlags, UID %d = %+v, want %q", m.UID, got, wantFlags)
		}
	}
	// Clearing \Seen everywhere and setting it back leaves an empty but
	// defined unseen sequence, which outweighs the Status: fields.
	for _, uid := range []uint32{1, 4} {
		if err := f.SetFlags(uid, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, uid := range uidsOf(snap) {
		if err := f.SetFlags(uid, []string{`\Seen`}); err != nil {
			t.Fatal(err)
		}
	}
	if got := readFile(t, filepath.Join(path, seqFile)); !strings.HasPrefix(got, "unseen:\n") {
		t.Fatalf("%s = %q", seqFile, got)
	}
	for _, m := range mustScan(t, f).Messages {
		if !slices.Equal(m.Flags, []string{`\Seen`}) {
			t.Errorf("UID %d flags %q", m.UID, m.Flags)
		}
	}
}

// TestNmhFolder reads a folder as nmh leaves it: .mh_sequences with
// ranges and continuation lines, no .mu-prop, no Status: fields.
func TestNmhFolder(t *testing.T) {
	files := map[string]string{
		".mh_sequences": "cur: 3\nunseen: 4-6\n  8\nflagged: 2 5\nreplied: 1-2\ntodo: 1 6-9\nbad seq: 1\n$Forwarded: 3\n",
		"1":             "Subject: 1\n\n",
		"2":             "Subject: 2\n\n",
		"3":             "Subject: 3\n\n",
		"4":             "Subject: 4\n\n",
		"5":             "Subject: 5\n\n",
		"6":             "Subject: 6\n\n",
		"8":             "Subject: 8\n\n",
		"10":            "Status: F\nSubject: 10\n\n",
		"0":             "not a message",
		"007":           "not a message",
		"x":             "not a message",
		",9":            "expunged",
	}
	path := mkFolder(t, files)
	if err := os.Mkdir(filepath.Join(path, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	d := testDriver()
	if !d.Is(path) {
		t.Fatal("Is = false")
	}
	f := mustOpen(t, d, path)
	snap := mustScan(t, f)
	if snap.UIDValidity != 1750000000 || snap.UIDNext != 11 || !slices.Equal(uidsOf(snap), []uint32{1, 2, 3, 4, 5, 6, 8, 10}) {
		t.Fatalf("Scan = %+v", snap)
	}
	want := map[uint32][]string{
		1: {`\Answered`, `\Seen`, "todo"},
		2: {`\Answered`, `\Flagged`, `\Seen`},
		3: {"$Forwarded", `\Seen`},
		4: nil,
		5: {`\Flagged`},
		6: {"todo"},
		8: {"todo"},
		// The sequences that .mh_sequences defines win over Status:.
		10: {`\Seen`},
	}
	for _, m := range snap.Messages {
		if !slices.Equal(m.Flags, want[m.UID]) {
			t.Errorf("UID %d flags %q, want %q", m.UID, m.Flags, want[m.UID])
		}
		if m.New != (m.UID >= 4) {
			t.Errorf("UID %d New = %v", m.UID, m.New)
		}
	}
	p, _ := readProps(path)
	if p.UIDNext != 11 || p.UIDValidity != 1750000000 || p.RecentFrom != 4 {
		t.Fatalf(".mu-prop = %+v", p)
	}
	if got := readFile(t, filepath.Join(path, seqFile)); got != files[seqFile] {
		t.Fatalf("Scan rewrote %s: %q", seqFile, got)
	}
	// A change keeps cur, other programs' lines and the file's order. As
	// message 10 has a Status: field, the flag sequences that the file
	// lacked are written, empty, to outweigh it.
	if err := f.SetFlags(4, []string{`\Seen`, "todo"}); err != nil {
		t.Fatal(err)
	}
	wantSeq := "cur: 3\nunseen: 5-6 8\nflagged: 2 5\nreplied: 1-2\ntodo: 1 4 6-9\nbad seq: 1\n$Forwarded: 3\ndeleted:\ndraft:\n"
	if got := readFile(t, filepath.Join(path, seqFile)); got != wantSeq {
		t.Fatalf("%s = %q, want %q", seqFile, got, wantSeq)
	}
}

func TestProfileUnseenSequence(t *testing.T) {
	tests := []struct {
		profile, want string
	}{
		{"Path: Mail\nUnseen-Sequence: new\n", "new"},
		{"Path: Mail\nunseen-sequence:   fresh  \n", "fresh"},
		{"Path: Mail\nUnseen-Sequence: new unseen\n", "unseen"},
		{"Path: Mail\nUnseen-Sequence:\n", "unseen"},
		{"Path: Mail\n", "unseen"},
	}
	for _, tt := range tests {
		home := t.TempDir()
		writeFile(t, filepath.Join(home, profileName), tt.profile, time.Time{})
		folder := filepath.Join(home, "Mail", "inbox")
		if got := profileUnseen(folder); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.profile, got, tt.want)
		}
	}
	home := t.TempDir()
	writeFile(t, filepath.Join(home, profileName), "Unseen-Sequence: new\n", time.Time{})
	path := filepath.Join(home, "Mail", "inbox")
	if err := os.MkdirAll(path, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(path, seqFile), "new: 2\nunseen: 1\n", time.Time{})
	writeFile(t, filepath.Join(path, "1"), "x\n", time.Time{})
	writeFile(t, filepath.Join(path, "2"), "y\n", time.Time{})
	s := mustScan(t, mustOpen(t, testDriver(), path))
	if m, _ := message(s, 1); !slices.Equal(m.Flags, []string{`\Seen`, "unseen"}) {
		t.Errorf("UID 1 flags %q", m.Flags)
	}
	if m, _ := message(s, 2); m.Flags != nil {
		t.Errorf("UID 2 flags %q", m.Flags)
	}
}

func TestReadProps(t *testing.T) {
	tests := []struct {
		content string
		want    props
	}{
		{"uidnext: 3\nuid-validity: 1795730010\nversion: 3.15\n", props{UIDNext: 3, UIDValidity: 1795730010, Version: "3.15"}},
		// imap4d 3.15 keeps recent-from when it rewrites the file, and
		// adds an empty line.
		{"uidnext: 3\nuid-validity: 1750000000\nversion: 3.15\nrecent-from: 2\n\n",
			props{UIDNext: 3, UIDValidity: 1750000000, RecentFrom: 2, Version: "3.15"}},
		{"uidnext: x\nuid-validity: 99999999999\nother: kept\n", props{Extra: []string{"other: kept"}}},
		{"", props{}},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, propsFile), tt.content, time.Time{})
		got, err := readProps(dir)
		if err != nil || got.UIDNext != tt.want.UIDNext || got.UIDValidity != tt.want.UIDValidity ||
			got.RecentFrom != tt.want.RecentFrom || got.Version != tt.want.Version || !slices.Equal(got.Extra, tt.want.Extra) {
			t.Errorf("%q: %+v, %v", tt.content, got, err)
		}
	}
}
