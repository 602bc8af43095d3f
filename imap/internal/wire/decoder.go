// Package wire reads and writes the IMAP4rev1 wire syntax (RFC 3501 section
// 9, with LITERAL+ from RFC 7888): atoms, strings, literals, lists and
// sequence sets. It bounds every read so that hostile input cannot make the
// server allocate without limit.
package wire

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// Errors a Decoder returns. SyntaxError values describe malformed input.
var (
	// ErrLineTooLong means the command line exceeded the configured limit.
	ErrLineTooLong = errors.New("command line too long")
	// ErrLiteralTooLarge means a literal exceeded the configured limit.
	ErrLiteralTooLarge = errors.New("literal too large")
)

// SyntaxError describes input that does not follow the IMAP grammar.
type SyntaxError struct{ Msg string }

func (e *SyntaxError) Error() string { return e.Msg }

func syntaxErr(format string, args ...any) error {
	return &SyntaxError{Msg: fmt.Sprintf(format, args...)}
}

// IsSyntax reports whether err is a client syntax problem (as opposed to an
// I/O error that ends the connection).
func IsSyntax(err error) bool {
	var se *SyntaxError
	return errors.As(err, &se) || errors.Is(err, ErrLineTooLong) || errors.Is(err, ErrLiteralTooLarge)
}

// Decoder reads one command at a time from a client.
type Decoder struct {
	r *Reader
	// MaxLine bounds the bytes of one command outside APPEND literals,
	// literals for strings included.
	MaxLine int
	// MaxLiteral bounds a message literal (APPEND).
	MaxLiteral int64
	// Continue is called before a synchronising literal is read; it sends
	// the "+" continuation request. A non-nil error aborts the read.
	Continue func() error

	n         int  // bytes consumed in this command line
	lineEnded bool // CRLF of the current line has been read
}

// NewDecoder returns a Decoder reading from r.
func NewDecoder(r *Reader) *Decoder {
	return &Decoder{r: r, MaxLine: 64 * 1024, MaxLiteral: 64 << 20}
}

// Begin starts a new command line.
func (d *Decoder) Begin() {
	d.n = 0
	d.lineEnded = false
}

// MarkEnded records the current command as read to its end: a session
// resumed in another process inside a command (IDLE) that an earlier
// process read.
func (d *Decoder) MarkEnded() { d.lineEnded = true }

// LineEnded reports whether the CRLF ending the command has been read.
func (d *Decoder) LineEnded() bool { return d.lineEnded }

func (d *Decoder) readByte() (byte, error) {
	if d.n >= d.MaxLine {
		return 0, ErrLineTooLong
	}
	b, err := d.r.ReadByte()
	if err != nil {
		return 0, err
	}
	d.n++
	return b, nil
}

func (d *Decoder) unread() {
	d.r.UnreadByte()
	d.n--
}

// Peek returns the next byte without consuming it.
func (d *Decoder) Peek() (byte, error) {
	b, err := d.r.Peek(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

// Expect consumes the byte c or fails.
func (d *Decoder) Expect(c byte, what string) error {
	b, err := d.readByte()
	if err != nil {
		return err
	}
	if b != c {
		d.unread()
		if b == '\r' || b == '\n' {
			return syntaxErr("expected %s, found end of line", what)
		}
		return syntaxErr("expected %s, found %q", what, b)
	}
	return nil
}

// SP consumes one space.
func (d *Decoder) SP() error { return d.Expect(' ', "space") }

// Maybe consumes c if it is next and reports whether it did.
func (d *Decoder) Maybe(c byte) bool {
	b, err := d.Peek()
	if err != nil || b != c {
		return false
	}
	d.readByte()
	return true
}

// CRLF consumes the end of the line. A bare LF is accepted.
func (d *Decoder) CRLF() error {
	b, err := d.readByte()
	if err != nil {
		return err
	}
	if b == '\r' {
		b, err = d.readByte()
		if err != nil {
			return err
		}
	}
	if b != '\n' {
		d.unread()
		return syntaxErr("expected end of line, found %q", b)
	}
	d.lineEnded = true
	return nil
}

// AtEOL reports whether the next bytes end the line.
func (d *Decoder) AtEOL() bool {
	b, err := d.Peek()
	return err == nil && (b == '\r' || b == '\n')
}

// Skip discards the rest of the current line, including any non-synchronising
// literals it announces, so that the next command can be read. A line or
// literal more than Slack past its limit ends with ErrOverrun.
func (d *Decoder) Skip() error {
	if d.lineEnded {
		return nil
	}
	n := int64(d.n)
	maxLine := int64(d.MaxLine) + Slack(int64(d.MaxLine))
	var tail []byte // the last bytes before CRLF, to spot "{n+}"
	for {
		b, err := d.r.ReadByte()
		if err != nil {
			return err
		}
		if b == '\n' {
			if size, ok := nonSyncLiteral(tail); ok {
				if size > d.skipLimit() {
					return ErrOverrun
				}
				if _, err := io.CopyN(io.Discard, d.r, size); err != nil {
					return err
				}
				tail = tail[:0]
				continue
			}
			d.lineEnded = true
			return nil
		}
		if n++; n > maxLine {
			return ErrOverrun
		}
		if len(tail) >= 32 {
			copy(tail, tail[1:])
			tail = tail[:31]
		}
		tail = append(tail, b)
	}
}

func nonSyncLiteral(tail []byte) (int64, bool) {
	s := strings.TrimSuffix(string(tail), "\r")
	if !strings.HasSuffix(s, "+}") {
		return 0, false
	}
	i := strings.LastIndexByte(s, '{')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(s[i+1:len(s)-2], 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

func isAtomChar(b byte) bool {
	if b <= 0x1f || b >= 0x7f {
		return false
	}
	switch b {
	case '(', ')', '{', ' ', '%', '*', '"', '\\', ']':
		return false
	}
	return true
}

// readWhile reads bytes accepted by ok; it fails when there are none.
func (d *Decoder) readWhile(ok func(byte) bool, what string) (string, error) {
	var sb strings.Builder
	for {
		b, err := d.readByte()
		if err != nil {
			if err == io.EOF && sb.Len() > 0 {
				return sb.String(), nil
			}
			return "", err
		}
		if !ok(b) {
			d.unread()
			break
		}
		sb.WriteByte(b)
	}
	if sb.Len() == 0 {
		b, _ := d.Peek()
		if b == '\r' || b == '\n' {
			return "", syntaxErr("expected %s, found end of line", what)
		}
		return "", syntaxErr("expected %s, found %q", what, b)
	}
	return sb.String(), nil
}

// Atom reads an atom.
func (d *Decoder) Atom() (string, error) { return d.readWhile(isAtomChar, "atom") }

// Tag reads a command tag: atom characters other than '+'.
func (d *Decoder) Tag() (string, error) {
	return d.readWhile(func(b byte) bool { return isAtomChar(b) && b != '+' }, "tag")
}

// FlagAtom reads a flag: an atom, optionally with a leading backslash, or
// the wildcard "\*".
func (d *Decoder) FlagAtom() (string, error) {
	if d.Maybe('\\') {
		if d.Maybe('*') {
			return `\*`, nil
		}
		a, err := d.Atom()
		return `\` + a, err
	}
	return d.Atom()
}

// Number reads a 32-bit unsigned number.
func (d *Decoder) Number() (uint32, error) {
	s, err := d.readWhile(isDigit, "number")
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, syntaxErr("number out of range: %s", s)
	}
	return uint32(n), nil
}

// Number64 reads a 63-bit unsigned number.
func (d *Decoder) Number64() (int64, error) {
	s, err := d.readWhile(isDigit, "number")
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, syntaxErr("number out of range: %s", s)
	}
	return n, nil
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// Quoted reads a quoted string; the opening quote has not been read.
func (d *Decoder) quoted() (string, error) {
	if err := d.Expect('"', "quoted string"); err != nil {
		return "", err
	}
	var sb strings.Builder
	for {
		b, err := d.readByte()
		if err != nil {
			return "", err
		}
		switch b {
		case '"':
			return sb.String(), nil
		case '\\':
			b, err = d.readByte()
			if err != nil {
				return "", err
			}
			if b != '"' && b != '\\' {
				return "", syntaxErr("bad escape \\%c in quoted string", b)
			}
		case '\r', '\n':
			d.unread()
			return "", syntaxErr("unterminated quoted string")
		}
		sb.WriteByte(b)
	}
}

// literalHeader reads "{n}" or "{n+}" and the CRLF after it, sending the
// continuation request for a synchronising literal once the size is
// accepted by limit.
func (d *Decoder) literalHeader(limit int64) (int64, error) {
	return d.literalHeaderCheck(limit, nil)
}

// literalHeaderCheck is literalHeader, with check, when not nil, also
// asked to accept the size before the continuation request: its error
// refuses the literal as one over the limit is refused.
func (d *Decoder) literalHeaderCheck(limit int64, check func(size int64) error) (int64, error) {
	if err := d.Expect('{', "literal"); err != nil {
		return 0, err
	}
	size, err := d.Number64()
	if err != nil {
		return 0, err
	}
	nonSync := d.Maybe('+')
	if err := d.Expect('}', "}"); err != nil {
		return 0, err
	}
	if err := d.CRLF(); err != nil {
		return 0, err
	}
	d.lineEnded = false
	if size > limit {
		if nonSync {
			// The client sends the data regardless; drop it so that
			// the next command is read in step, unless there is so
			// much that the connection had better end.
			if size > limit+Slack(limit) {
				return 0, ErrOverrun
			}
			if _, err := io.CopyN(io.Discard, d.r, size); err != nil {
				return 0, err
			}
		} else {
			// The client waits for "+" and will send nothing more.
			d.lineEnded = true
		}
		return 0, ErrLiteralTooLarge
	}
	if check != nil {
		if err := check(size); err != nil {
			if !nonSync {
				d.lineEnded = true // the client waits for "+"
				return 0, err
			}
			if _, cerr := io.CopyN(io.Discard, d.r, size); cerr != nil {
				return 0, cerr
			}
			return 0, err
		}
	}
	if !nonSync && d.Continue != nil {
		if err := d.Continue(); err != nil {
			return 0, err
		}
	}
	return size, nil
}

// literal reads a literal whose data counts against the line limit.
func (d *Decoder) literal() (string, error) {
	size, err := d.literalHeader(int64(d.MaxLine - d.n))
	if err != nil {
		return "", err
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(d.r, buf); err != nil {
		return "", err
	}
	d.n += int(size)
	return string(buf), nil
}

// Literal reads a message literal header and returns a reader of exactly its
// data, bounded by MaxLiteral. The caller must read it to the end. The
// reader fails with io.ErrUnexpectedEOF if the connection ends before the
// announced size.
func (d *Decoder) Literal() (io.Reader, int64, error) {
	size, err := d.literalHeader(d.MaxLiteral)
	if err != nil {
		return nil, 0, err
	}
	return &literalReader{r: d.r, left: size}, size, nil
}

// MessageLiteral is Literal that also takes a literal8 (RFC 3516
// section 4.2: "~{n}", whose data may hold any octet, NUL included);
// binary reports which it was.
func (d *Decoder) MessageLiteral() (r io.Reader, size int64, binary bool, err error) {
	return d.MessageLiteralChecked(nil)
}

// MessageLiteralChecked is MessageLiteral with the size checked as
// LiteralChecked checks it.
func (d *Decoder) MessageLiteralChecked(check func(size int64) error) (r io.Reader, size int64, binary bool, err error) {
	binary = d.Maybe('~')
	r, size, err = d.LiteralChecked(check)
	return r, size, binary, err
}

// LiteralChecked is Literal with check asked to accept the announced
// size before the client is told to send the data (an APPEND that would
// go over quota). check's error is returned as it is; the literal's data,
// if the client sends it regardless (LITERAL+), has been read and dropped.
func (d *Decoder) LiteralChecked(check func(size int64) error) (io.Reader, int64, error) {
	size, err := d.literalHeaderCheck(d.MaxLiteral, check)
	if err != nil {
		return nil, 0, err
	}
	return &literalReader{r: d.r, left: size}, size, nil
}

// String reads a quoted string or a literal.
func (d *Decoder) String() (string, error) {
	b, err := d.Peek()
	if err != nil {
		return "", err
	}
	switch b {
	case '"':
		return d.quoted()
	case '{':
		return d.literal()
	}
	return "", syntaxErr("expected string, found %q", b)
}

// AString reads an atom (with ']' allowed), a quoted string or a literal.
func (d *Decoder) AString() (string, error) {
	b, err := d.Peek()
	if err != nil {
		return "", err
	}
	if b == '"' || b == '{' {
		return d.String()
	}
	// 8-bit bytes are accepted too: clients send UTF-8 search strings
	// and names without a literal, and refusing them helps nobody.
	return d.readWhile(func(b byte) bool { return isAtomChar(b) || b == ']' || b >= 0x80 }, "string")
}

// ListMailbox reads a LIST pattern: an astring that may hold % and *,
// and 8-bit bytes as AString accepts them.
func (d *Decoder) ListMailbox() (string, error) {
	b, err := d.Peek()
	if err != nil {
		return "", err
	}
	if b == '"' || b == '{' {
		return d.String()
	}
	return d.readWhile(func(b byte) bool {
		return isAtomChar(b) || b == ']' || b >= 0x80 || b == '%' || b == '*'
	}, "mailbox pattern")
}

// Mailbox reads a mailbox name, as ListMailbox reads a pattern: an
// astring whose atom may also hold the list wildcards % and *. RFC 3501's
// mailbox is an astring, which has none, but a name created quoted
// ("pct%") is named unquoted afterwards by clients such as offlineimap,
// and Dovecot accepts it.
func (d *Decoder) Mailbox() (string, error) { return d.ListMailbox() }

// List reads a parenthesised list, calling item for each element.
func (d *Decoder) List(item func() error) error {
	if err := d.Expect('(', "("); err != nil {
		return err
	}
	if d.Maybe(')') {
		return nil
	}
	for {
		if err := item(); err != nil {
			return err
		}
		if d.Maybe(')') {
			return nil
		}
		if err := d.SP(); err != nil {
			return syntaxErr("expected space or ) in list")
		}
	}
}

// NumSet reads a sequence set (RFC 3501 sequence-set). The value 0 stands
// for "*". The result is an imap.SeqSet or an imap.UIDSet.
func (d *Decoder) NumSet(uid bool) (imap.NumSet, error) {
	var ranges [][2]uint32
	for {
		start, err := d.seqNumber()
		if err != nil {
			return nil, err
		}
		stop := start
		if d.Maybe(':') {
			if stop, err = d.seqNumber(); err != nil {
				return nil, err
			}
		}
		ranges = append(ranges, [2]uint32{start, stop})
		if !d.Maybe(',') {
			break
		}
		if len(ranges) > 100000 {
			return nil, syntaxErr("sequence set too long")
		}
	}
	if uid {
		set := make(imap.UIDSet, len(ranges))
		for i, r := range ranges {
			set[i] = imap.UIDRange{Start: imap.UID(r[0]), Stop: imap.UID(r[1])}
		}
		return set, nil
	}
	set := make(imap.SeqSet, len(ranges))
	for i, r := range ranges {
		set[i] = imap.SeqRange{Start: r[0], Stop: r[1]}
	}
	return set, nil
}

func (d *Decoder) seqNumber() (uint32, error) {
	if d.Maybe('*') {
		return 0, nil
	}
	n, err := d.Number()
	if err != nil {
		return 0, syntaxErr("bad sequence set")
	}
	if n == 0 {
		return 0, syntaxErr("0 is not a valid message number")
	}
	return n, nil
}

// IsAtom reports whether s can be sent as an atom.
func IsAtom(s string) bool {
	if s == "" || strings.EqualFold(s, "NIL") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAtomChar(s[i]) {
			return false
		}
	}
	return true
}
