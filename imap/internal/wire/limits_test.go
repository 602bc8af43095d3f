package wire

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

// A literal whose connection ends early fails with io.ErrUnexpectedEOF,
// never a plain EOF that would pass the short data for a whole message.
func TestLiteralCutShort(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		err  error
	}{
		{"{10+}\r\n0123456789", "0123456789", nil},
		{"{10+}\r\n0123", "0123", io.ErrUnexpectedEOF},
		{"{10+}\r\n", "", io.ErrUnexpectedEOF},
		{"{0+}\r\n", "", nil},
		{"{3}\r\nabcdef", "abc", nil},
	} {
		r, _, err := decoder(tc.in).Literal()
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		got, err := io.ReadAll(r)
		if string(got) != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("%q: read %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// Past the limits by more than Slack, the Decoder gives up rather than
// read on; within it, it reads and drops what the client sends.
func TestOverrun(t *testing.T) {
	slack := Slack(4096) // decoder: MaxLiteral 4096, MaxLine 1024
	for _, tc := range []struct {
		name string
		in   string
		op   func(d *Decoder) error
		want error
	}{
		{"literal within slack", "{5000+}\r\n" + strings.Repeat("x", 5000) + "\r\n",
			func(d *Decoder) error { _, _, err := d.Literal(); return err }, ErrLiteralTooLarge},
		{"literal past slack", "{99999999999+}\r\n",
			func(d *Decoder) error { _, _, err := d.Literal(); return err }, ErrOverrun},
		{"synchronising literal past slack", "{99999999999}\r\n",
			func(d *Decoder) error { _, _, err := d.Literal(); return err }, ErrLiteralTooLarge},
		{"string literal past slack", "{99999999999+}\r\n",
			func(d *Decoder) error { _, err := d.AString(); return err }, ErrOverrun},
		{"skipped literal within slack", "x {5000+}\r\n" + strings.Repeat("x", 5000) + "\r\n",
			func(d *Decoder) error { return d.Skip() }, nil},
		{"skipped literal past slack", "x {" + strconv.FormatInt(4096+slack+1, 10) + "+}\r\n",
			func(d *Decoder) error { return d.Skip() }, ErrOverrun},
		{"skipped line within slack", strings.Repeat("x", 5000) + "\r\n",
			func(d *Decoder) error { return d.Skip() }, nil},
		{"skipped line past slack", strings.Repeat("x", 1024+int(Slack(1024))+10) + "\r\n",
			func(d *Decoder) error { return d.Skip() }, ErrOverrun},
	} {
		if err := tc.op(decoder(tc.in)); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// Line drops the rest of an over-long line, so that what follows it is
// read as the next line.
func TestLineDropsOverlongTail(t *testing.T) {
	d := decoder(strings.Repeat("A", 5000) + "\r\nnext\r\n")
	if _, err := d.Line(); !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("long line: %v", err)
	}
	if l, err := d.Line(); l != "next" || err != nil {
		t.Fatalf("after the long line: %q, %v", l, err)
	}
	d = decoder(strings.Repeat("A", 1024+int(Slack(1024))+1) + "\r\n")
	if _, err := d.Line(); !errors.Is(err, ErrOverrun) {
		t.Fatalf("line past slack: %v", err)
	}
}

// FuzzLine reads continuation lines from arbitrary input: none may panic
// or return more than MaxLine bytes.
func FuzzLine(f *testing.F) {
	for _, s := range []string{"DONE\r\n", "AGFsaWNlAHNlY3JldA==\r\n*\r\n", strings.Repeat("x", 2000) + "\r\nDONE\n", "\r\n\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		d := decoder(in)
		for i := 0; i < 64; i++ {
			l, err := d.Line()
			if len(l) > d.MaxLine {
				t.Fatalf("line of %d bytes, limit %d", len(l), d.MaxLine)
			}
			if err != nil && !errors.Is(err, ErrLineTooLong) {
				return
			}
		}
	})
}
