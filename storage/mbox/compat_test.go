package mbox

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// imap4dMbox is a mailbox as GNU imap4d 3.15 leaves it after serving it:
// X-IMAPbase padded in the first message, X-UID and Status in each.
const imap4dMbox = `From alice@example.org Mon Nov  6 10:00:00 2023
X-IMAPbase:           1795729968                    5
Return-Path: <alice@example.org>
From: Alice <alice@example.org>
Subject: one
Status: RO
X-UID: 1

first body
>From the quoted line

From bob@example.org Mon Nov  6 11:00:00 2023
From: Bob <bob@example.org>
Subject: two
Status: ROAF
X-UID: 3

second body

From carol@example.org Mon Nov  6 12:00:00 2023
From: Carol <carol@example.org>
Subject: three
Content-Length: 999
Status: d
X-UID: 4

third body

`

func TestImap4dMailbox(t *testing.T) {
	path := writeMbox(t, imap4dMbox)
	d := testDriver(t, Options{})
	if !d.Is(path) {
		t.Fatal("Is = false")
	}
	f := mustOpen(t, d, path)
	s := mustScan(t, f)
	if s.UIDValidity != 1795729968 || s.UIDNext != 5 {
		t.Fatalf("UIDVALIDITY %d UIDNEXT %d", s.UIDValidity, s.UIDNext)
	}
	if !slices.Equal(uidsOf(s), []uint32{1, 3, 4}) {
		t.Fatalf("UIDs %v", uidsOf(s))
	}
	want := []struct {
		flags []string
		new   bool
		body  string
		date  time.Time
	}{
		{[]string{storage.FlagSeen}, false,
			"Return-Path: <alice@example.org>\nFrom: Alice <alice@example.org>\nSubject: one\n\nfirst body\nFrom the quoted line\n",
			time.Date(2023, 11, 6, 10, 0, 0, 0, time.Local)},
		{[]string{storage.FlagAnswered, storage.FlagFlagged, storage.FlagSeen}, false,
			"From: Bob <bob@example.org>\nSubject: two\n\nsecond body\n",
			time.Date(2023, 11, 6, 11, 0, 0, 0, time.Local)},
		{[]string{storage.FlagDraft}, true,
			"From: Carol <carol@example.org>\nSubject: three\n\nthird body\n",
			time.Date(2023, 11, 6, 12, 0, 0, 0, time.Local)},
	}
	for i, m := range s.Messages {
		w := want[i]
		if !slices.Equal(m.Flags, w.flags) || m.New != w.new || !m.InternalDate.Equal(w.date) {
			t.Errorf("uid %d: flags %q new %v date %v; want %q %v %v", m.UID, m.Flags, m.New, m.InternalDate, w.flags, w.new, w.date)
		}
		if got := readAll(t, f, m.UID); got != w.body {
			t.Errorf("uid %d: Open = %q; want %q", m.UID, got, w.body)
		}
		if m.Size != crlfSize(w.body) {
			t.Errorf("uid %d: Size %d; want %d", m.UID, m.Size, crlfSize(w.body))
		}
	}
	// A rewrite keeps every UID and UIDVALIDITY, and the padded field.
	if err := f.SetFlags(3, []string{storage.FlagDeleted}); err != nil {
		t.Fatal(err)
	}
	if err := f.Expunge([]uint32{3}); err != nil {
		t.Fatal(err)
	}
	s = mustScan(t, f)
	if !slices.Equal(uidsOf(s), []uint32{1, 4}) || s.UIDValidity != 1795729968 || s.UIDNext != 5 {
		t.Fatalf("after expunge: %v %d %d", uidsOf(s), s.UIDValidity, s.UIDNext)
	}
	content := readFile(t, path)
	if !strings.Contains(content, "X-IMAPbase:           1795729968                    5\n") {
		t.Errorf("X-IMAPbase not as imap4d pads it:\n%s", content)
	}
	if strings.Contains(content, "Subject: two") {
		t.Errorf("expunged message still there:\n%s", content)
	}
	checkCold(t, d, f)
	checkSizes(t, f, s)
}

// TestOtherFormats reads what UW imapd, mutt and Dovecot write.
func TestOtherFormats(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		uids     []uint32
		validity uint32
		flags    [][]string
	}{
		{"UW pseudo-message", `From MAILER-DAEMON Mon Nov  6 09:00:00 2023
Date: Mon, 6 Nov 2023 09:00:00 +0000
From: Mail System Internal Data <MAILER-DAEMON@host>
Subject: DON'T DELETE THIS MESSAGE -- FOLDER INTERNAL DATA
X-IMAP: 1700000000 0000000007 $Label1
Status: RO

This text is part of the internal format of your mail folder.

From a@b Mon Nov  6 10:00:00 2023
Subject: x
Status: O
X-Status: DT
X-Keywords: $Label1
X-UID: 7

body
`, []uint32{7}, 1700000000, [][]string{{"$Label1", storage.FlagDeleted, storage.FlagDraft}}},
		{"mutt", `From a@b Mon Nov  6 10:00:00 2023
Subject: x
Status: RO
X-Status: AF
X-Keywords: work, $Forwarded

body

From a@b Mon Nov  6 10:00:01 2023
Subject: y
Status: Or

body
`, []uint32{1, 2}, 0, [][]string{{"$Forwarded", storage.FlagAnswered, storage.FlagFlagged, storage.FlagSeen, "work"}, {storage.FlagAnswered}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := testDriver(t, Options{Now: func() time.Time { return time.Unix(1234567890, 0) }})
			f := mustOpen(t, d, writeMbox(t, tt.content))
			s := mustScan(t, f)
			if !slices.Equal(uidsOf(s), tt.uids) {
				t.Fatalf("UIDs %v", uidsOf(s))
			}
			validity := tt.validity
			if validity == 0 {
				validity = 1234567890
			}
			if s.UIDValidity != validity {
				t.Errorf("UIDVALIDITY %d", s.UIDValidity)
			}
			for i, m := range s.Messages {
				if !slices.Equal(m.Flags, tt.flags[i]) {
					t.Errorf("uid %d: flags %q; want %q", m.UID, m.Flags, tt.flags[i])
				}
			}
			checkSizes(t, f, s)
		})
	}
}
