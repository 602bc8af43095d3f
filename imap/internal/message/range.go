package message

import (
	"io"
	"strings"
)

// Range returns where section s of a message lies in the bytes root was
// parsed from (by ParseReader, which keeps no bytes, or Parse), so that
// the answer can be read from the message rather than held whole: it is
// the bytes [start, end), except that with filter the range is a header
// from which HEADER.FIELDS[.NOT] picks its fields (ExtractHeader). ok is
// false as Extract's.
func (s SectionSpec) Range(root *Part) (start, end int, filter, ok bool) {
	if root == nil {
		return 0, 0, false, false
	}
	p := root
	if len(s.Path) > 0 {
		if p = resolve(root, s.Path); p == nil {
			return 0, 0, false, false
		}
		switch s.Specifier {
		case SpecifierNone:
			return p.BodyStart, p.End, false, true
		case SpecifierMIME:
			return p.HeaderStart, p.BodyStart, false, true
		}
		if p = p.Message; p == nil {
			return 0, 0, false, false
		}
	}
	switch s.Specifier {
	case SpecifierHeader:
		return p.HeaderStart, p.BodyStart, false, true
	case SpecifierText:
		return p.BodyStart, p.End, false, true
	case SpecifierHeaderFields, SpecifierHeaderFieldsNot:
		return p.HeaderStart, p.BodyStart, true, true
	case SpecifierNone:
		return p.HeaderStart, p.End, false, true
	}
	return 0, 0, false, false
}

// ExtractHeader returns what HEADER.FIELDS[.NOT] of s takes from hdr, the
// header that Range gave with filter.
func (s SectionSpec) ExtractHeader(hdr []byte) []byte {
	only := SectionSpec{Specifier: s.Specifier, Fields: s.Fields}
	data, _ := only.Extract(hdr, Parse(hdr))
	return data
}

// BinaryRange is BinaryPart for a message read rather than held: the
// content FETCH BINARY[path] returns is the bytes [start, end) of the
// message root was parsed from, with the transfer encoding enc undone
// (NewBinaryReader). found and known are BinaryPart's.
func BinaryRange(root *Part, path []int) (start, end int, enc string, found, known bool) {
	if root == nil {
		return 0, 0, "", false, true
	}
	if len(path) == 0 {
		return root.HeaderStart, root.End, "", true, true
	}
	p := resolve(root, path)
	if p == nil {
		return 0, 0, "", false, true
	}
	if p.IsMultipart() || p.Message != nil {
		return p.BodyStart, p.End, "", true, true
	}
	switch enc = strings.ToLower(strings.TrimSpace(p.Encoding)); enc {
	case "", "7bit", "8bit", "binary":
		return p.BodyStart, p.End, "", true, true
	case "base64", "quoted-printable":
		return p.BodyStart, p.End, enc, true, true
	}
	return 0, 0, "", true, false
}

// NewBinaryReader returns r's bytes with the Content-Transfer-Encoding
// enc ("base64", "quoted-printable" or "" for none, as BinaryRange gives
// it) undone, a piece at a time, exactly as DecodeBinary undoes it for
// the whole.
func NewBinaryReader(r io.Reader, enc string) io.Reader {
	switch enc {
	case "base64", "quoted-printable":
		return &binaryReader{r: r, qp: enc != "base64", in: make([]byte, readSize)}
	}
	return r
}

// binaryReader decodes base64 or quoted-printable as it reads.
type binaryReader struct {
	r        io.Reader
	qp       bool
	b64      base64Stream
	qps      qpStream
	trim     lineEndTrimmer
	in       []byte
	trimmed  []byte
	buf, out []byte // out is the decoded bytes not read yet, in buf
	err      error  // r's error, io.EOF at the end
}

func (b *binaryReader) Read(p []byte) (int, error) {
	for len(b.out) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		n, err := b.r.Read(b.in)
		end := err != nil
		if b.qp {
			b.trimmed = b.trim.trim(b.trimmed[:0], b.in[:n], end)
			b.buf = b.qps.decode(b.buf[:0], b.trimmed, end)
		} else {
			b.buf = b.b64.decode(b.buf[:0], b.in[:n], end)
		}
		b.out = b.buf
		b.err = err
	}
	n := copy(p, b.out)
	b.out = b.out[n:]
	return n, nil
}

// lineEndTrimmer deletes the white space at the end of every line, a
// piece at a time, as trimLineEnds does for the whole: white space waits
// until what follows it is known.
type lineEndTrimmer struct {
	ws []byte // white space not passed on yet
	cr bool   // a CR came after it
}

func (t *lineEndTrimmer) trim(dst, b []byte, end bool) []byte {
	for _, c := range b {
		if t.cr && c != '\n' {
			// A CR that does not end the line is text, and so is the
			// white space before it.
			dst = append(append(dst, t.ws...), '\r')
			t.ws, t.cr = t.ws[:0], false
		}
		switch c {
		case '\n':
			if t.cr {
				dst = append(dst, '\r')
			}
			dst = append(dst, '\n')
			t.ws, t.cr = t.ws[:0], false
		case '\r':
			t.cr = true
		case ' ', '\t':
			t.ws = append(t.ws, c)
		default:
			dst = append(append(dst, t.ws...), c)
			t.ws = t.ws[:0]
		}
	}
	if end {
		if t.cr {
			dst = append(append(dst, t.ws...), '\r')
		}
		t.ws, t.cr = t.ws[:0], false
	}
	return dst
}
