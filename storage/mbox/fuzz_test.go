package mbox

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// FuzzParse reads arbitrary bytes as an mbox file: it must never panic,
// UIDs must strictly increase, every message must open with its
// RFC822.SIZE, and a rewrite must keep every remaining message's content.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		imap4dMbox,
		msgText("a") + msgText("b"),
		"From a@b Mon Nov  6 10:00:00 2023\r\nX-UID: 9\r\nStatus: RO\r\n\r\n>From x\r\n",
		"From x\n\nFrom a@b Mon Nov  6 10:00:00 2023\nX-UID: 0\nX-UID: 5\n\n\n",
		"From a@b Mon Nov  6 10:00:00 2023\nX-IMAPbase: 10 2\nX-UID: 4294967295\n\nFrom a@b Mon Nov  6 10:00:00 2023\n\nx",
		"From a@b Mon Nov  6 10:00:00 2023\nX-IMAP: 5 0\n\nFrom a@b Mon Nov  6 10:00:00 2023\nX-Keywords: a,b c\n  d\n\nx",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "INBOX")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		d := testDriver(t, Options{FlushDelay: time.Hour})
		fo := &Folder{d: d, path: path, perm: 0o600, pending: make(map[uint32]want)}
		defer fo.Close()
		s, err := fo.Scan()
		if err != nil {
			t.Fatal(err)
		}
		contents := make(map[uint32]string)
		for i, m := range s.Messages {
			if i > 0 && m.UID <= s.Messages[i-1].UID {
				t.Fatalf("UIDs not increasing: %v", uidsOf(s))
			}
			if m.UID >= s.UIDNext {
				t.Fatalf("UID %d not below UIDNEXT %d", m.UID, s.UIDNext)
			}
			c := readAll(t, fo, m.UID)
			if crlfSize(c) != m.Size {
				t.Fatalf("uid %d: size %d, content %q", m.UID, m.Size, c)
			}
			contents[m.UID] = c
		}
		if len(s.Messages) == 0 {
			return
		}
		for _, m := range s.Messages {
			if err := fo.SetFlags(m.UID, []string{storage.FlagFlagged, "k"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := fo.Expunge([]uint32{s.Messages[0].UID}); err != nil {
			t.Fatal(err)
		}
		s2 := mustScan(t, fo)
		if len(s2.Messages) != len(s.Messages)-1 {
			t.Fatalf("%d messages after expunging one of %d", len(s2.Messages), len(s.Messages))
		}
		for i, m := range s2.Messages {
			if m.UID != s.Messages[i+1].UID {
				t.Fatalf("UIDs %v after expunge; were %v", uidsOf(s2), uidsOf(s))
			}
			c := readAll(t, fo, m.UID)
			if old := contents[m.UID]; c == old+"\n" && !strings.HasSuffix(old, "\n") {
				// A last line without its line ending may get one.
				c = old
			}
			if c != contents[m.UID] || crlfSize(readAll(t, fo, m.UID)) != m.Size {
				t.Fatalf("uid %d: %q (size %d) after rewrite; was %q", m.UID, c, m.Size, contents[m.UID])
			}
		}
		checkCold(t, d, fo)
	})
}

// FuzzSkim parses arbitrary bytes with and without the fast path through
// bodies (skim), with read buffers of several sizes (lines longer than
// the buffer arrive in pieces): the messages found must be the same,
// field by field.
func FuzzSkim(f *testing.F) {
	for _, s := range []string{
		imap4dMbox,
		msgText("a") + msgText("b"),
		"From a@b Mon Nov  6 10:00:00 2023\nSubject: x\n\nQUJD REVG\nR0hJ\n>From a\n>>From b\nFrom c\n\nFrom d\n\nFrom a@b Mon Nov  6 10:00:00 2023\n\nx",
		"From a@b Mon Nov  6 10:00:00 2023\r\nX-UID: 9\r\n\r\nab\r\n\r\n>From x\r\n\r\nFrom a@b Mon Nov  6 10:00:00 2023\r\n\r\n\r\n",
		"From a@b Mon Nov  6 10:00:00 2023\n\n\n\n\r\nFrom a@b Mon Nov  6 10:00:01 2023\n\nFrom nowhere\n\n\rFrom a@b Mon Nov  6 10:00:02 2023\n",
		"From a@b Mon Nov  6 10:00:00 2023\n\n" + strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\n", 40) + "\n>From x\nFrom y\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		collect := func(size int, fast bool) ([]rawMsg, error) {
			var out []rawMsg
			err := parseWith(bytes.NewReader(data), 0, 42, bufio.NewReaderSize(nil, size), func(r *rawMsg) error {
				m := *r
				m.kw = bytes.Clone(r.kw)
				out = append(out, m)
				return nil
			}, fast)
			return out, err
		}
		for _, size := range []int{16, 61, 4096, readBuffer} {
			want, err := collect(size, false)
			if err != nil {
				t.Fatal(err)
			}
			got, err := collect(size, true)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("buffer %d: %d messages; want %d", size, len(got), len(want))
			}
			for i := range got {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Fatalf("buffer %d, message %d:\n%+v\nwant\n%+v", size, i, got[i], want[i])
				}
			}
		}
	})
}

// FuzzJournal reads arbitrary bytes as a dead process's journal of flag
// changes: the replay must never panic, keep UIDs and flags storable,
// and leave nothing of the journal behind once the Folder has written
// the changes.
func FuzzJournal(f *testing.F) {
	rec := func(r journalRecord) []byte { return appendRecord(nil, r) }
	f.Add(rec(journalRecord{validity: 1795729968, uid: 1, before: flagState{bits: bitSeen}, after: flagState{bits: bitFlagged, kws: "$label1 Junk"}}))
	f.Add(append(rec(journalRecord{validity: 7, uid: 3, hash: 99}), 1, 2, 3))
	f.Add(append(rec(journalRecord{uid: 4, before: flagState{bits: bitDraft}}), rec(journalRecord{uid: 4, after: flagState{kws: "a,b (c"}})...))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := writeMbox(t, imap4dMbox)
		name := ownPrefix(path, kindJournal) + "1999999999." + hostTag() + ".1"
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
		d := testDriver(t, Options{})
		fo := &Folder{d: d, path: path, perm: 0o600, pending: make(map[uint32]want)}
		s, err := fo.Scan()
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Messages) != 3 {
			t.Fatalf("%d messages", len(s.Messages))
		}
		for _, m := range s.Messages {
			if _, _, err := splitFlags(m.Flags); err != nil {
				t.Fatalf("uid %d: %v", m.UID, err)
			}
		}
		if err := fo.Close(); err != nil {
			t.Fatal(err)
		}
		if j := ownFiles(path, kindJournal); len(j) != 0 {
			t.Fatalf("journals left: %v", j)
		}
	})
}

// FuzzIndex reads arbitrary bytes as a sidecar index: a Folder must
// never panic, and must read the file as a Folder without the index
// does.
func FuzzIndex(f *testing.F) {
	path := writeMbox(f, imap4dMbox+msgText("four"))
	d := testDriver(f, Options{})
	g := mustOpen(f, d, path)
	mustScan(f, g)
	g.Close()
	good, err := os.ReadFile(indexPath(path))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(append([]byte(idxMagicV1), good[len(idxMagic):]...))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := writeMbox(t, imap4dMbox+msgText("four"))
		cold := mustOpen(t, d, path)
		cold0 := mustScan(t, cold)
		cold.Close()
		if err := os.WriteFile(indexPath(path), data, 0o600); err != nil {
			t.Fatal(err)
		}
		fo := &Folder{d: d, path: path, perm: 0o600, pending: make(map[uint32]want)}
		defer fo.Close()
		s, err := fo.Scan()
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Messages) != len(cold0.Messages) {
			t.Fatalf("%d messages; want %d", len(s.Messages), len(cold0.Messages))
		}
		checkSizes(t, fo, s)
	})
}

// FuzzIntent reads arbitrary bytes as the APPEND intent beside a
// mailbox: locking it must never panic, and an intent that does not
// describe this file must not change it.
func FuzzIntent(f *testing.F) {
	in := appendIntent{kind: intentAppend, pid: 1, host: hostTag(), boot: bootID(), off: 10, from: 12,
		fromLine: []byte("From MAILER-DAEMON Fri Mar  1 12:30:45 2024\n")}
	f.Add(in.encode())
	in.kind, in.tail = intentMove, []byte("From x Fri Mar  1 12:30:45 2024\n\nbody\n")
	f.Add(in.encode())
	f.Add([]byte(intentMagic + "\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x02"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := writeMbox(t, imap4dMbox)
		if err := os.WriteFile(intentPath(path), data, 0o600); err != nil {
			t.Fatal(err)
		}
		fo := &Folder{d: testDriver(t, Options{}), path: path, perm: 0o600, pending: make(map[uint32]want)}
		defer fo.Close()
		s, err := fo.Scan()
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Messages) != 3 || readFile(t, path) != imap4dMbox {
			t.Fatalf("%d messages; the file changed: %v", len(s.Messages), readFile(t, path) != imap4dMbox)
		}
	})
}
