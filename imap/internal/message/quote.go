package message

import "strconv"

// maxQuoted is the longest value sent as a quoted string; longer values
// go out as literals so that no response line grows without bound.
const maxQuoted = 1024

// text is what appendString and appendNString take: a string, or the
// bytes of a header that are not worth a string's copy.
type text interface{ ~string | ~[]byte }

// appendString appends s as an IMAP string (RFC 3501 section 9, "string"):
// a quoted string when s is short 7-bit text without CR or LF, a literal
// otherwise.
func appendString[S text](dst []byte, s S) []byte {
	if needsLiteral(s) {
		return appendLiteral(dst, s)
	}
	dst = append(dst, '"')
	// The runs between quotes and backslashes go in whole.
	from := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			dst = append(append(dst, s[from:i]...), '\\', c)
			from = i + 1
		}
	}
	dst = append(dst, s[from:]...)
	return append(dst, '"')
}

// appendNString appends s as an nstring: NIL when s is empty.
func appendNString[S text](dst []byte, s S) []byte {
	if len(s) == 0 {
		return append(dst, "NIL"...)
	}
	return appendString(dst, s)
}

// needsLiteral reports whether s cannot be a quoted string: quoted
// strings carry only 7-bit characters other than NUL, CR and LF.
func needsLiteral[S text](s S) bool {
	if len(s) > maxQuoted {
		return true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == 0 || c == '\r' || c == '\n' || c >= 0x80 {
			return true
		}
	}
	return false
}

// appendLiteral appends s as a synchronising literal, {n}CRLF followed by
// the octets. NUL cannot appear in a literal (CHAR8 excludes it), so each
// NUL is sent as 0x80, which keeps the length.
func appendLiteral[S text](dst []byte, s S) []byte {
	dst = append(dst, '{')
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, "}\r\n"...)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0 {
			c = 0x80
		}
		dst = append(dst, c)
	}
	return dst
}

// appendNumber appends a decimal number.
func appendNumber(dst []byte, n int) []byte {
	return strconv.AppendInt(dst, int64(n), 10)
}
