package message

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/transform"
)

// SearchText returns the text of msg that SEARCH BODY and TEXT look in
// (RFC 3501 section 6.4.4), decoded to UTF-8 as far as possible:
//
//   - with includeHeaders, the message's header first, one
//     "Name: value" line per field with encoded words decoded;
//   - then every leaf part in order, its transfer encoding (base64,
//     quoted-printable) undone; text/* parts are converted from their
//     charset; other parts in base64 are skipped as binary, and other
//     parts are kept only when they are valid UTF-8;
//   - the header of each embedded message/rfc822, decoded like the
//     message's own, since it is body text of the outer message.
//
// Pieces are separated by line feeds. Compare with ContainsFold.
func SearchText(msg []byte, root *Part, includeHeaders bool) []byte {
	if root == nil {
		return nil
	}
	st := searchText{msg: msg}
	// One allocation for the text, except when a charset grows it; the
	// clamp keeps a root from another message from asking for much.
	st.out = make([]byte, 0, min(searchTextSize(root, includeHeaders), len(msg)+64))
	if includeHeaders {
		st.appendHeader(clip(msg, root.HeaderStart, root.fieldsEnd))
	}
	st.appendBody(root)
	return st.out
}

// searchTextSize returns about how long SearchText of root will be: the
// size of what it decodes.
func searchTextSize(p *Part, header bool) int {
	n := 0
	if header {
		n += p.fieldsEnd - p.HeaderStart
	}
	switch {
	case p.Message != nil:
		return n + searchTextSize(p.Message, true)
	case p.IsMultipart():
		for _, c := range p.Children {
			n += searchTextSize(c, false)
		}
		return n
	case skipBody(p):
		return n
	}
	return n + p.Size() + 1
}

// skipBody reports whether SearchText leaves out a leaf part's body: a
// binary attachment, where decoding megabytes only to find that they are
// not text is what made SEARCH TEXT slow.
func skipBody(p *Part) bool {
	return !p.isText() && strings.EqualFold(p.Encoding, "base64")
}

// searchText builds one SearchText result.
type searchText struct {
	msg, out []byte
	scratch  []byte // a header value or a body before its charset is converted
}

// appendBody appends the decoded body text of p.
func (st *searchText) appendBody(p *Part) {
	switch {
	case p.Message != nil:
		m := p.Message
		st.appendHeader(clip(st.msg, m.HeaderStart, m.fieldsEnd))
		st.appendBody(m)
		return
	case p.IsMultipart():
		for _, c := range p.Children {
			st.appendBody(c)
		}
		return
	case skipBody(p):
		return
	}
	body := clip(st.msg, p.BodyStart, p.End)
	start := len(st.out)
	if p.isText() {
		charset, _ := paramValue(p.Params, "charset")
		if e := charsetDecoder(charset); e != nil {
			st.scratch = appendTransferDecoded(st.scratch[:0], body, p.Encoding)
			st.out = appendCharsetDecoded(st.out, st.scratch, e)
		} else {
			st.out = appendTransferDecoded(st.out, body, p.Encoding)
		}
	} else {
		st.out = appendTransferDecoded(st.out, body, p.Encoding)
		if !utf8.Valid(st.out[start:]) {
			st.out = st.out[:start]
			return
		}
	}
	st.out = append(st.out, '\n')
}

// appendHeader appends each field of hdr as a decoded line.
func (st *searchText) appendHeader(hdr []byte) {
	st.out, st.scratch = appendHeaderText(st.out, st.scratch, hdr)
}

// appendHeaderText appends to dst each field of hdr as SEARCH TEXT sees
// it: a "Name: value" line, the value unfolded (in scratch, which it
// returns grown) and its encoded words decoded.
func appendHeaderText(dst, scratch, hdr []byte) ([]byte, []byte) {
	forEachField(hdr, func(name, value, _ []byte) bool {
		dst = append(dst, name...)
		dst = append(dst, ": "...)
		scratch = appendUnfolded(scratch[:0], value)
		dst = appendDecodedHeader(dst, scratch)
		dst = append(dst, '\n')
		return true
	})
	return dst, scratch
}

// ContainsFold reports whether text contains needle, ignoring case
// (Unicode simple case folding, as SEARCH's case-insensitive substring
// match wants).
func ContainsFold(text []byte, needle string) bool {
	if needle == "" {
		return true
	}
	if !isASCII(needle) {
		return bytes.Contains(bytes.ToLower(text), bytes.ToLower([]byte(needle)))
	}
	// An ASCII needle: scan for its first byte in either case and
	// compare in place, without a lowered copy of the whole text.
	lo, up := asciiLower(needle[0]), asciiUpper(needle[0])
	for i := 0; i+len(needle) <= len(text); {
		j := indexEither(text[i:len(text)-len(needle)+1], lo, up)
		if j < 0 {
			return false
		}
		i += j
		if asciiEqualFold(text[i:i+len(needle)], needle) {
			return true
		}
		i++
	}
	return false
}

// indexEither returns the first index of a or b in s, or -1.
func indexEither(s []byte, a, b byte) int {
	i := bytes.IndexByte(s, a)
	if a == b {
		return i
	}
	limit := s
	if i >= 0 {
		limit = s[:i]
	}
	if j := bytes.IndexByte(limit, b); j >= 0 {
		return j
	}
	return i
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func asciiLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func asciiUpper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// asciiEqualFold compares b with the ASCII string s, ignoring ASCII case.
func asciiEqualFold(b []byte, s string) bool {
	for i := 0; i < len(s); i++ {
		if asciiLower(b[i]) != asciiLower(s[i]) {
			return false
		}
	}
	return true
}

// appendTransferDecoded appends b with its Content-Transfer-Encoding
// enc undone to dst; identity encodings and unknown ones append b as it
// is.
func appendTransferDecoded(dst, b []byte, enc string) []byte {
	switch {
	case strings.EqualFold(enc, "base64"):
		return appendBase64(dst, b)
	case strings.EqualFold(enc, "quoted-printable"):
		return appendQP(dst, b, false)
	}
	return append(dst, b...)
}

// decodeBase64 decodes base64 liberally: characters outside the alphabet
// are skipped and decoding stops at padding.
func decodeBase64(b []byte) []byte {
	return appendBase64(nil, b)
}

// appendBase64 appends decodeBase64(b) to dst.
func appendBase64(dst, b []byte) []byte {
	if i := bytes.IndexByte(b, '='); i >= 0 {
		b = b[:i]
	}
	n := len(dst)
	dst = slices.Grow(dst, base64.RawStdEncoding.DecodedLen(len(b)))
	// The usual case: only the alphabet and line breaks, which the
	// standard decoder skips, and no dangling character.
	m, err := base64.RawStdEncoding.Decode(dst[n:n+base64.RawStdEncoding.DecodedLen(len(b))], b)
	if err == nil {
		return dst[:n+m]
	}
	clean := make([]byte, 0, len(b))
	for _, c := range b {
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' {
			clean = append(clean, c)
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	m, _ = base64.RawStdEncoding.Decode(dst[n:n+base64.RawStdEncoding.DecodedLen(len(clean))], clean)
	return dst[:n+m]
}

// decodeQP decodes quoted-printable liberally: a "=" that starts no
// escape stays as it is. With underscore (RFC 2047 "Q"), "_" is a space.
func decodeQP(b []byte, underscore bool) []byte {
	return appendQP(make([]byte, 0, len(b)), b, underscore)
}

// appendQP appends decodeQP(b, underscore) to dst, copying the runs
// between escapes whole.
func appendQP(dst, b []byte, underscore bool) []byte {
	dst = slices.Grow(dst, len(b))
	for len(b) > 0 {
		i := bytes.IndexByte(b, '=')
		run := b
		if i >= 0 {
			run = b[:i]
		}
		for underscore {
			j := bytes.IndexByte(run, '_')
			if j < 0 {
				break
			}
			dst = append(append(dst, run[:j]...), ' ')
			run = run[j+1:]
		}
		dst = append(dst, run...)
		if i < 0 {
			return dst
		}
		b = b[i:] // b[0] is '='
		if len(b) > 2 && isHex(b[1]) && isHex(b[2]) {
			dst = append(dst, unhex(b[1])<<4|unhex(b[2]))
			b = b[3:]
			continue
		}
		// A soft line break: "=", optional white space, line end; or
		// "=" and white space at the very end.
		j := 1
		for j < len(b) && isWSP(b[j]) {
			j++
		}
		if j < len(b) && b[j] == '\r' {
			j++
		}
		switch {
		case j < len(b) && b[j] == '\n':
			b = b[j+1:]
		case j == len(b):
			b = nil
		default:
			dst = append(dst, '=')
			b = b[1:]
		}
	}
	return dst
}

// isHex reports whether c is a hexadecimal digit.
func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' || 'a' <= c && c <= 'f'
}

// unhex returns the value of a hexadecimal digit.
func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// lookupCharset finds a decoder for a charset name: WHATWG labels first,
// which match what mail really carries (gb2312 is GBK, latin1 is
// windows-1252), then the IANA registry. nil means none is known.
func lookupCharset(name string) encoding.Encoding {
	if e, err := htmlindex.Get(name); err == nil {
		return e
	}
	if e, err := ianaindex.MIME.Encoding(name); err == nil {
		return e
	}
	return nil
}

// decodeCharset converts b from charset to UTF-8; it returns b when the
// charset is UTF-8, ASCII, empty or unknown.
func decodeCharset(b []byte, charset string) []byte {
	e := charsetDecoder(charset)
	if e == nil {
		return b
	}
	out, _, err := transform.Bytes(e.NewDecoder(), b)
	if err != nil {
		return b
	}
	return out
}

// charsetDecoder returns the encoding of charset, or nil when the text
// needs no conversion: UTF-8, ASCII, empty or unknown.
func charsetDecoder(charset string) encoding.Encoding {
	charset = strings.TrimSpace(charset)
	if charset == "" || strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "us-ascii") {
		return nil
	}
	return lookupCharset(charset)
}

// appendCharsetDecoded appends b converted from e to UTF-8 to dst, or b
// itself when it does not convert.
func appendCharsetDecoded(dst, b []byte, e encoding.Encoding) []byte {
	n := len(dst)
	out, _, err := transform.Append(e.NewDecoder(), dst, b)
	if err != nil {
		return append(out[:n], b...)
	}
	return out
}

// DecodeHeader decodes the RFC 2047 encoded words of an unfolded header
// value to UTF-8, dropping the white space between adjacent encoded
// words. Words it cannot decode, and everything else, stay as they are.
func DecodeHeader(value []byte) string {
	if !bytes.Contains(value, []byte("=?")) {
		return string(value)
	}
	return string(appendDecodedHeader(nil, value))
}

// appendDecodedHeader appends DecodeHeader(value) to dst.
func appendDecodedHeader(dst, value []byte) []byte {
	i := bytes.Index(value, []byte("=?"))
	if i < 0 {
		return append(dst, value...)
	}
	// Up to the first "=?" nothing changes; white space before it is
	// kept, since no encoded word came before.
	dst = append(dst, value[:i]...)
	value = value[i:]
	spaceStart := -1 // where pending white space starts in dst
	afterWord := false
	for i := 0; i < len(value); {
		if value[i] == '=' && i+1 < len(value) && value[i+1] == '?' {
			if text, n, ok := decodeWord(value[i:]); ok {
				if afterWord && spaceStart >= 0 {
					dst = dst[:spaceStart]
				}
				dst = append(dst, text...)
				spaceStart, afterWord = -1, true
				i += n
				continue
			}
		}
		if c := value[i]; isWSP(c) {
			if spaceStart < 0 {
				spaceStart = len(dst)
			}
			dst = append(dst, c)
		} else {
			dst = append(dst, c)
			spaceStart, afterWord = -1, false
		}
		i++
	}
	return dst
}

// decodeWord decodes the encoded word "=?charset?enc?text?=" at the start
// of b and returns its text and length. The word is the first three '?'
// after "=?" and the "=" after them, before any space or control
// character; only that much is looked at, so that a header made of
// "=?" over and over is read in linear time.
func decodeWord(b []byte) (text []byte, n int, ok bool) {
	var q [3]int // where the three '?' are
	k, i := 0, 2
	for ; i < len(b) && k < len(q); i++ {
		switch c := b[i]; {
		case c <= ' ' || c >= 0x7f:
			return nil, 0, false
		case c == '?':
			q[k] = i
			k++
		}
	}
	if k < len(q) || i >= len(b) || b[i] != '=' || q[1]-q[0] != 2 {
		return nil, 0, false
	}
	charset, _, _ := strings.Cut(string(b[2:q[0]]), "*") // RFC 2231 language
	switch encoded := b[q[1]+1 : q[2]]; b[q[0]+1] {
	case 'B', 'b':
		text = decodeBase64(encoded)
	case 'Q', 'q':
		text = decodeQP(encoded, true)
	default:
		return nil, 0, false
	}
	if !strings.EqualFold(charset, "utf-8") && !strings.EqualFold(charset, "us-ascii") && lookupCharset(charset) == nil {
		return nil, 0, false
	}
	return decodeCharset(text, charset), q[2] + 2, true
}
