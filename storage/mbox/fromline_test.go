package mbox

import (
	"bufio"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseFromLine(t *testing.T) {
	local := func(s string) int64 {
		tm, err := time.ParseInLocation("2006-01-02 15:04:05", s, time.Local)
		if err != nil {
			t.Fatal(err)
		}
		return tm.Unix()
	}
	utc := func(s string) int64 {
		tm, err := time.Parse("2006-01-02 15:04:05 -0700", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.Unix()
	}
	tests := []struct {
		line string
		want int64
		ok   bool
	}{
		{"From alice@example.org Mon Nov  6 10:00:00 2023\n", local("2023-11-06 10:00:00"), true},
		{"From alice@example.org Mon Nov 6 10:00:00 2023", local("2023-11-06 10:00:00"), true},
		{"From MAILER-DAEMON Fri Dec 24 23:59:59 1999\r\n", local("1999-12-24 23:59:59"), true},
		{"From  Mon Nov  6 10:00:00 2023\n", local("2023-11-06 10:00:00"), true},            // no sender
		{"From Mon Nov  6 10:00:00 2023\n", local("2023-11-06 10:00:00"), true},             // no sender, one space
		{"From a@b Nov  6 10:00:00 2023\n", local("2023-11-06 10:00:00"), true},             // no weekday
		{"From a@b Mon Nov  6 10:00 2023\n", local("2023-11-06 10:00:00"), true},            // no seconds
		{"From a@b Mon Nov  6 10:00:00 PST 2023\n", utc("2023-11-06 10:00:00 -0800"), true}, // zone before year
		{"From a@b Mon Nov  6 10:00:00 2023 -0700\n", utc("2023-11-06 10:00:00 -0700"), true},
		{"From a@b Mon Nov  6 10:00:00 +0200 2023\n", utc("2023-11-06 10:00:00 +0200"), true},
		{"From a@b Wed Aug  2 00:39:12 MET DST 1995\n", utc("1995-08-02 00:39:12 +0200"), true},
		{"From a@b Mon Nov  6 10:00:00 XYZ 2023\n", local("2023-11-06 10:00:00"), true}, // unknown zone
		{"From a@b Mon Nov  6 10:00:00 99\n", local("1999-11-06 10:00:00"), true},       // 2-digit year
		{"From a@b Mon Nov  6 10:00:00 23\n", local("2023-11-06 10:00:00"), true},
		{"From a@b Mon Nov  6 10:00:00 2023 remote from gateway\n", local("2023-11-06 10:00:00"), true},
		{`From "a b"@c Mon Nov  6 10:00:00 2023` + "\n", local("2023-11-06 10:00:00"), true},
		{"From a@b Mon, 6 Nov 2023 10:00:00 +0000\n", utc("2023-11-06 10:00:00 +0000"), true},
		{"From here on, it is a body line\n", 0, false},
		{"From a@b Mon Nov 32 10:00:00 2023\n", 0, false},
		{"From a@b Mon Nov  6 25:00:00 2023\n", 0, false},
		{"From a@b Mon Nov  6 10:00:00\n", 0, false}, // no year
		{"From \n", 0, false},
		{"From", 0, false},
		{"from a@b Mon Nov  6 10:00:00 2023\n", 0, false},
		{">From a@b Mon Nov  6 10:00:00 2023\n", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseFromLine([]byte(tt.line))
		if ok != tt.ok || got != tt.want {
			t.Errorf("parseFromLine(%q) = %v, %v; want %v, %v", tt.line, time.Unix(got, 0), ok, time.Unix(tt.want, 0), tt.ok)
		}
	}
}

func TestFromLineRoundTrip(t *testing.T) {
	for _, d := range []time.Time{time.Date(2024, 2, 29, 8, 7, 6, 0, time.Local), time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)} {
		line := fromLine("MAILER-DAEMON", d)
		got, ok := parseFromLine(line)
		if !ok || got != d.Unix() {
			t.Errorf("%q reads as %v, %v; want %v", line, time.Unix(got, 0), ok, d)
		}
	}
}

func FuzzFromLine(f *testing.F) {
	for _, s := range []string{
		"From alice@example.org Mon Nov  6 10:00:00 2023\n",
		"From a@b Wed Aug  2 00:39:12 MET DST 1995\n",
		"From a@b Mon, 6 Nov 2023 10:00:00 +0000\n",
		"From  Nov 6 1:00 70",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		d, ok := parseFromLine(line)
		if !ok {
			return
		}
		// Whatever it reads, the line mailgate writes for it reads the same.
		back, ok2 := parseFromLine(fromLine("x", time.Unix(d, 0)))
		// (A daylight-saving change makes an hour of local time ambiguous.)
		if y := time.Unix(d, 0).Year(); y < 0 || y > 9999 {
			return
		}
		if diff := back - d; !ok2 || diff < -3600 || diff > 3600 {
			t.Fatalf("%q: %v, written back reads %v, %v", line, time.Unix(d, 0), time.Unix(back, 0), ok2)
		}
	})
}

// TestSenderOf: the From_ line names the envelope sender of a message
// that starts with its Return-Path, as an LMTP delivery does, and
// MAILER-DAEMON otherwise.
func TestSenderOf(t *testing.T) {
	long := strings.Repeat("a", maxSender) + "@example.net"
	tests := []struct{ msg, want string }{
		{"Return-Path: <someone@example.net>\r\nDelivered-To: alice@example.org\r\n\r\nx\r\n", "someone@example.net"},
		{"Return-Path: <>\r\nSubject: bounce\r\n\r\nx\r\n", "MAILER-DAEMON"},
		{"return-path:<j\u00fcrgen@b\u00fccher.example>\nSubject: utf8\n\nx\n", "j\u00fcrgen@b\u00fccher.example"},
		{"Return-Path:   <a@b>   \r\n", "a@b"},
		{"Return-Path: <a@b>", "MAILER-DAEMON"}, // no line end: the field may go on
		{"Subject: no envelope\r\nReturn-Path: <a@b>\r\n\r\nx\r\n", "MAILER-DAEMON"},
		{"Return-Path:\r\n <folded@example.net>\r\n\r\nx\r\n", "MAILER-DAEMON"},
		{"Return-Path: <a@b>\r\n\t<c@d>\r\n\r\nx\r\n", "MAILER-DAEMON"},
		{"Return-Path: <\"john doe\"@example.net>\r\n\r\nx\r\n", "MAILER-DAEMON"},
		{"Return-Path: <a\tb@example.net>\r\n\r\nx\r\n", "MAILER-DAEMON"},
		{"Return-Path: someone@example.net\r\n\r\nx\r\n", "MAILER-DAEMON"},
		{"Return-Path: <a<b>@example.net>\r\n\r\nx\r\n", "MAILER-DAEMON"},
		{"Return-Path: <" + long + ">\r\n\r\nx\r\n", "MAILER-DAEMON"},
		{"Return-Pathx: <a@b>\r\n\r\nx\r\n", "MAILER-DAEMON"},
		{"", "MAILER-DAEMON"},
	}
	for _, tc := range tests {
		br := bufio.NewReader(strings.NewReader(tc.msg))
		if got := senderOf(br); got != tc.want {
			t.Errorf("senderOf(%q) = %q; want %q", tc.msg, got, tc.want)
		}
		if rest, _ := io.ReadAll(br); string(rest) != tc.msg {
			t.Errorf("senderOf(%q) consumed the message: %q left", tc.msg, rest)
		}
		line := fromLine(senderOf(bufio.NewReader(strings.NewReader(tc.msg))), testDate)
		if d, ok := parseFromLine(line); !ok || d != testDate.Unix() {
			t.Errorf("From_ line %q reads as %v %v", line, d, ok)
		}
	}
}

// TestAppendFromLineSender: Append and Stage write the sender of a
// leading Return-Path into the From_ line and keep the field itself.
func TestAppendFromLineSender(t *testing.T) {
	d := testDriver(t, Options{})
	path := writeMbox(t, "")
	f := mustOpen(t, d, path)
	msgs := []string{
		"Return-Path: <j\u00fcrgen@example.net>\r\nSubject: one\r\n\r\nx\r\n",
		"Return-Path: <>\r\nSubject: two\r\n\r\nx\r\n",
		"Subject: three\r\n\r\nx\r\n",
	}
	if _, err := f.Append(strings.NewReader(msgs[0]), nil, testDate); err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs[1:] {
		st, err := f.Stage(strings.NewReader(m), nil, testDate)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	var senders []string
	for _, line := range strings.Split(readFile(t, path), "\n") {
		if strings.HasPrefix(line, "From ") {
			senders = append(senders, strings.Fields(line)[1])
		}
	}
	want := []string{"j\u00fcrgen@example.net", "MAILER-DAEMON", "MAILER-DAEMON"}
	if !slices.Equal(senders, want) {
		t.Errorf("From_ line senders %q; want %q", senders, want)
	}
	s := mustScan(t, f)
	for i, uid := range uidsOf(s) {
		if got := readAll(t, f, uid); strings.ReplaceAll(got, "\r\n", "\n") != strings.ReplaceAll(msgs[i], "\r\n", "\n") {
			t.Errorf("message %d reads %q", uid, got)
		}
	}
}
