package wire

import (
	"io"
	"strconv"
	"time"
)

// Encoder writes server responses. It buffers; call Flush when a response
// (or a batch of them) is complete.
type Encoder struct {
	w *Writer
}

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w *Writer) *Encoder { return &Encoder{w: w} }

// Raw writes s as it is.
func (e *Encoder) Raw(s string) *Encoder { e.w.WriteString(s); return e }

// Bytes writes b as it is.
func (e *Encoder) Bytes(b []byte) *Encoder { e.w.Write(b); return e }

// SP writes a space.
func (e *Encoder) SP() *Encoder { e.w.WriteByte(' '); return e }

// Byte writes one byte.
func (e *Encoder) Byte(b byte) *Encoder { e.w.WriteByte(b); return e }

// CRLF ends a response line.
func (e *Encoder) CRLF() *Encoder { e.w.WriteString("\r\n"); return e }

// Number writes a decimal number.
func (e *Encoder) Number(n uint32) *Encoder {
	e.w.writeInt(int64(n))
	return e
}

// Number64 writes a decimal number.
func (e *Encoder) Number64(n int64) *Encoder {
	e.w.writeInt(n)
	return e
}

// String writes s as a quoted string, or as a literal when it cannot be
// quoted.
func (e *Encoder) String(s string) *Encoder {
	e.w.Write(AppendString(nil, s))
	return e
}

// AString writes s as an atom when it can, else as String does.
func (e *Encoder) AString(s string) *Encoder {
	if IsAtom(s) {
		return e.Raw(s)
	}
	return e.String(s)
}

// Date writes an IMAP date-time in quotes.
func (e *Encoder) Date(t time.Time) *Encoder {
	e.w.WriteByte('"')
	e.w.WriteString(t.Format("02-Jan-2006 15:04:05 -0700"))
	e.w.WriteByte('"')
	return e
}

// Literal writes a literal of size bytes copied from r.
func (e *Encoder) Literal(r io.Reader, size int64) error {
	e.w.WriteByte('{')
	e.Number64(size)
	e.w.WriteString("}\r\n")
	n, err := io.CopyN(e.w, r, size)
	if err != nil {
		// Keep the stream in step: pad what the reader failed to give.
		for ; n < size; n++ {
			e.w.WriteByte(' ')
		}
	}
	return err
}

// Flush sends what is buffered.
func (e *Encoder) Flush() error { return e.w.Flush() }

// Writer returns the underlying buffered writer.
func (e *Encoder) Writer() *Writer { return e.w }

// AppendString appends s to dst as an IMAP string: quoted when every byte
// is 7-bit and neither CR nor LF, else a literal.
func AppendString(dst []byte, s string) []byte {
	quotable := len(s) < 4096
	for i := 0; quotable && i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' || c == 0 || c >= 0x80 {
			quotable = false
		}
	}
	if !quotable {
		dst = append(dst, '{')
		dst = strconv.AppendInt(dst, int64(len(s)), 10)
		dst = append(dst, "}\r\n"...)
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}

// QuoteUTF8 returns s as a quoted string, which may hold UTF-8 (RFC 6855
// section 3, RFC 9051 quoted-char): the caller has checked that s holds
// no CR, LF or NUL.
func QuoteUTF8(s string) string {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return string(append(b, '"'))
}
