package wire

import (
	"errors"
	"io"
	"strings"
)

// ErrOverrun means the client sent, or announced, far more than the
// limits allow: a line or a non-synchronising literal more than Slack past
// its limit. Reading it to the end to stay in step could take forever (a
// client may announce 100 GB), so the connection must end; RFC 7888
// section 4 lets a server close it after a literal it will not take.
var ErrOverrun = errors.New("far more data than the limits allow")

// Slack is how far past limit a line or a non-synchronising literal is
// still read and thrown away, so that the command can be refused and the
// session go on: a tenth of the limit, and at least 1 MiB. Beyond it the
// Decoder gives up with ErrOverrun.
func Slack(limit int64) int64 { return max(1<<20, limit/10) }

// skipLimit is the largest literal Skip throws away: the command being
// skipped may be an APPEND, whose literal may be up to MaxLiteral.
func (d *Decoder) skipLimit() int64 {
	limit := max(d.MaxLiteral, int64(d.MaxLine))
	return limit + Slack(limit)
}

// Line reads one line of continuation data (an AUTHENTICATE response, the
// DONE that ends IDLE) and returns it without its line ending. A line
// longer than MaxLine is read to its end and dropped, and ErrLineTooLong
// returned, so that the next command is read in step; one longer than
// Slack past MaxLine ends with ErrOverrun.
func (d *Decoder) Line() (string, error) {
	var sb strings.Builder
	over := int64(0) // bytes dropped past MaxLine
	for {
		b, err := d.r.ReadByte()
		if err != nil {
			return "", err
		}
		if b == '\n' {
			if over > 0 {
				return "", ErrLineTooLong
			}
			return strings.TrimSuffix(sb.String(), "\r"), nil
		}
		if sb.Len() < d.MaxLine {
			sb.WriteByte(b)
			continue
		}
		over++
		if over > Slack(int64(d.MaxLine)) {
			return "", ErrOverrun
		}
	}
}

// literalReader reads a literal's data: exactly its announced size, or
// io.ErrUnexpectedEOF when the connection ends before all of it came, so
// that a message cut short is never taken for a whole one.
type literalReader struct {
	r    *Reader
	left int64
}

func (l *literalReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if err == io.EOF && l.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}
