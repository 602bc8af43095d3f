package wire

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

func decoder(s string) *Decoder {
	d := NewDecoder(NewReader(strings.NewReader(s)))
	d.MaxLine = 1024
	d.MaxLiteral = 4096
	d.Begin()
	return d
}

func TestAString(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      bool
	}{
		{"atom ", "atom", false},
		{`"quoted \"x\" \\"`, `quoted "x" \`, false},
		{"{3+}\r\nabc", "abc", false},
		{"{3}\r\nabc", "abc", false},
		{"INBOX]x ", "INBOX]x", false},
		{"caf\xc3\xa9 ", "caf\xc3\xa9", false},
		{`"bad\q"`, "", true},
		{"\"open\r\n", "", true},
		{"(x)", "", true},
		{"{2000}\r\n", "", true},
	} {
		got, err := decoder(tc.in).AString()
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("AString(%q) = %q, %v", tc.in, got, err)
		}
	}
}

func TestNumSet(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		err  bool
	}{
		{"1", "1", false},
		{"1:*", "1:*", false},
		{"*", "*", false},
		{"1,3:5,7", "1,3:5,7", false},
		{"0", "", true},
		{"1:0", "", true},
		{"a", "", true},
		{"4294967296", "", true},
	} {
		set, err := decoder(tc.in + " ").NumSet(false)
		if (err != nil) != tc.err {
			t.Errorf("NumSet(%q): err %v", tc.in, err)
			continue
		}
		if err == nil && set.(imap.SeqSet).String() != tc.want {
			t.Errorf("NumSet(%q) = %v, want %s", tc.in, set, tc.want)
		}
	}
}

func TestLineLimit(t *testing.T) {
	d := decoder(strings.Repeat("a", 2000) + "\r\nnext\r\n")
	if _, err := d.Atom(); !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("long atom: %v", err)
	}
	if err := d.Skip(); err != nil {
		t.Fatal(err)
	}
	d.Begin()
	if a, err := d.Atom(); err != nil || a != "next" {
		t.Fatalf("after skip: %q %v", a, err)
	}
}

func TestSkipDiscardsNonSyncLiterals(t *testing.T) {
	d := decoder("x {5+}\r\nab\r\nc tail\r\nnext\r\n")
	d.Atom()
	if err := d.Skip(); err != nil {
		t.Fatal(err)
	}
	d.Begin()
	if a, _ := d.Atom(); a != "next" {
		t.Fatalf("after skip: %q", a)
	}
}

func TestLiteralTooLarge(t *testing.T) {
	// A synchronising literal that is refused: the client sends nothing
	// more, so the line counts as ended.
	d := decoder("{99999}\r\nnext\r\n")
	if _, _, err := d.Literal(); !errors.Is(err, ErrLiteralTooLarge) {
		t.Fatalf("err %v", err)
	}
	if !d.LineEnded() {
		t.Fatal("line not ended after a refused synchronising literal")
	}
}

func TestUTF7(t *testing.T) {
	for _, tc := range []struct{ utf8, utf7 string }{
		{"INBOX", "INBOX"},
		{"Entwürfe", "Entw&APw-rfe"},
		{"~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
		{"a&b", "a&-b"},
	} {
		if got := EncodeUTF7(tc.utf8); got != tc.utf7 {
			t.Errorf("EncodeUTF7(%q) = %q, want %q", tc.utf8, got, tc.utf7)
		}
		if got, err := DecodeUTF7(tc.utf7); err != nil || got != tc.utf8 {
			t.Errorf("DecodeUTF7(%q) = %q, %v", tc.utf7, got, err)
		}
	}
	for _, bad := range []string{"&", "&AGE-", "&Jjo", "caf\xc3\xa9", "&AGEAYQ-"} {
		if _, err := DecodeUTF7(bad); err == nil {
			t.Errorf("DecodeUTF7(%q) accepted", bad)
		}
	}
}

func TestAppendString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", `"plain"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"line\r\nbreak", "{11}\r\nline\r\nbreak"},
		{"caf\xc3\xa9", "{5}\r\ncaf\xc3\xa9"},
	} {
		if got := string(AppendString(nil, tc.in)); got != tc.want {
			t.Errorf("AppendString(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzDecoder runs every reading primitive over arbitrary input: none may
// panic, loop, or read past its limits.
func FuzzDecoder(f *testing.F) {
	for _, s := range []string{
		"a1 LOGIN \"user\" {4+}\r\npass\r\n",
		"1:*,3,5:7 (FLAGS BODY[HEADER.FIELDS (FROM)])\r\n",
		"{999999999999999999999}\r\n",
		"\"\\\r\n",
		"((((((((((((((((()))))))))))))))))\r\n",
		"&Jjo-&AGE- ~user/x\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for op := 0; op < 9; op++ {
			d := decoder(in)
			d.Continue = func() error { return nil }
			for i := 0; i < 64; i++ {
				var err error
				switch op {
				case 0:
					_, err = d.AString()
				case 1:
					_, err = d.Atom()
				case 2:
					_, err = d.NumSet(i%2 == 0)
				case 3:
					err = d.List(func() error { _, err := d.AString(); return err })
				case 4:
					_, err = d.ListMailbox()
				case 5:
					var r io.Reader
					if r, _, err = d.Literal(); err == nil {
						_, err = io.Copy(io.Discard, r)
					}
				case 6:
					_, err = d.FlagAtom()
				case 7:
					err = d.Skip()
					d.Begin()
				case 8:
					_, err = d.Number64()
				}
				if err != nil {
					if d.Skip() != nil {
						break
					}
					d.Begin()
				}
				if d.n > d.MaxLine+16 {
					t.Fatalf("op %d read %d bytes of line, limit %d", op, d.n, d.MaxLine)
				}
			}
		}
		if s, err := DecodeUTF7(in); err == nil {
			if back, err := DecodeUTF7(EncodeUTF7(s)); err != nil || back != s {
				t.Fatalf("UTF-7 round trip of %q: %q, %v", s, back, err)
			}
		}
	})
}
