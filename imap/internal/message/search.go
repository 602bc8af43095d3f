package message

import (
	"bytes"
	"encoding/base64"
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
	var out []byte
	if includeHeaders {
		out = appendHeaderText(out, clip(msg, root.HeaderStart, root.fieldsEnd))
	}
	return appendBodyText(out, msg, root)
}

// appendBodyText appends the decoded body text of p.
func appendBodyText(out, msg []byte, p *Part) []byte {
	switch {
	case p.Message != nil:
		m := p.Message
		out = appendHeaderText(out, clip(msg, m.HeaderStart, m.fieldsEnd))
		return appendBodyText(out, msg, m)
	case p.IsMultipart():
		for _, c := range p.Children {
			out = appendBodyText(out, msg, c)
		}
		return out
	}
	if !p.isText() && strings.EqualFold(p.Encoding, "base64") {
		// A binary attachment: decoding megabytes only to find that
		// they are not text is what made SEARCH TEXT slow.
		return out
	}
	text := decodeTransfer(clip(msg, p.BodyStart, p.End), p.Encoding)
	if p.isText() {
		charset, _ := paramValue(p.Params, "charset")
		text = decodeCharset(text, charset)
	} else if !utf8.Valid(text) {
		return out
	}
	out = append(out, text...)
	return append(out, '\n')
}

// appendHeaderText appends each field of hdr as a decoded line.
func appendHeaderText(out, hdr []byte) []byte {
	forEachField(hdr, func(name, value, _ []byte) bool {
		out = append(out, name...)
		out = append(out, ": "...)
		out = append(out, DecodeHeader(unfold(value))...)
		out = append(out, '\n')
		return true
	})
	return out
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

// decodeTransfer undoes a Content-Transfer-Encoding; identity encodings
// and unknown ones return b itself.
func decodeTransfer(b []byte, enc string) []byte {
	switch {
	case strings.EqualFold(enc, "base64"):
		return decodeBase64(b)
	case strings.EqualFold(enc, "quoted-printable"):
		return decodeQP(b, false)
	}
	return b
}

// decodeBase64 decodes base64 liberally: characters outside the alphabet
// are skipped and decoding stops at padding.
func decodeBase64(b []byte) []byte {
	clean := make([]byte, 0, len(b))
	for _, c := range b {
		if c == '=' {
			break
		}
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' {
			clean = append(clean, c)
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	n, _ := base64.RawStdEncoding.Decode(out, clean)
	return out[:n]
}

// decodeQP decodes quoted-printable liberally: a "=" that starts no
// escape stays as it is. With underscore (RFC 2047 "Q"), "_" is a space.
func decodeQP(b []byte, underscore bool) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '_' && underscore:
			out = append(out, ' ')
		case c != '=':
			out = append(out, c)
		case i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]):
			out = append(out, unhex(b[i+1])<<4|unhex(b[i+2]))
			i += 2
		default:
			// A soft line break: "=", optional white space, line end.
			j := i + 1
			for j < len(b) && isWSP(b[j]) {
				j++
			}
			if j < len(b) && b[j] == '\r' {
				j++
			}
			if j < len(b) && b[j] == '\n' {
				i = j
				continue
			}
			if j == len(b) {
				i = j
				continue
			}
			out = append(out, c)
		}
	}
	return out
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
	charset = strings.TrimSpace(charset)
	if charset == "" || strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "us-ascii") {
		return b
	}
	e := lookupCharset(charset)
	if e == nil {
		return b
	}
	out, _, err := transform.Bytes(e.NewDecoder(), b)
	if err != nil {
		return b
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
	var out, space []byte
	afterWord := false
	for i := 0; i < len(value); {
		if value[i] == '=' && i+1 < len(value) && value[i+1] == '?' {
			if text, n, ok := decodeWord(value[i:]); ok {
				if !afterWord {
					out = append(out, space...)
				}
				out = append(out, text...)
				space, afterWord = space[:0], true
				i += n
				continue
			}
		}
		if c := value[i]; isWSP(c) {
			space = append(space, c)
		} else {
			out = append(out, space...)
			out = append(out, c)
			space, afterWord = space[:0], false
		}
		i++
	}
	return string(append(out, space...))
}

// decodeWord decodes the encoded word "=?charset?enc?text?=" at the start
// of b and returns its text and length.
func decodeWord(b []byte) (text []byte, n int, ok bool) {
	end := 2
	for end < len(b) && b[end] > ' ' && b[end] < 0x7f {
		end++
	}
	word := b[2:end] // charset?enc?text?=...
	parts := bytes.SplitN(word, []byte{'?'}, 4)
	if len(parts) != 4 || len(parts[1]) != 1 || !bytes.HasPrefix(parts[3], []byte{'='}) {
		return nil, 0, false
	}
	charset, _, _ := strings.Cut(string(parts[0]), "*") // RFC 2231 language
	n = 2 + len(parts[0]) + 1 + len(parts[1]) + 1 + len(parts[2]) + 2
	switch parts[1][0] {
	case 'B', 'b':
		text = decodeBase64(parts[2])
	case 'Q', 'q':
		text = decodeQP(parts[2], true)
	default:
		return nil, 0, false
	}
	if !strings.EqualFold(charset, "utf-8") && !strings.EqualFold(charset, "us-ascii") && lookupCharset(charset) == nil {
		return nil, 0, false
	}
	return decodeCharset(text, charset), n, true
}
