package message

import "bytes"

// lineEnd returns the index just past the line feed ending the line that
// starts at i, or len(b) when the last line has none.
func lineEnd(b []byte, i int) int {
	if j := bytes.IndexByte(b[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(b)
}

// isBlankLine reports whether line (with its line ending) is empty.
func isBlankLine(line []byte) bool {
	return len(line) == 0 || line[0] == '\n' || (line[0] == '\r' && (len(line) == 1 || line[1] == '\n'))
}

// isWSP reports whether c is a space or a horizontal tab.
func isWSP(c byte) bool { return c == ' ' || c == '\t' }

// isFieldLine reports whether line starts a header field: a name of
// printable characters, optional white space (obsolete syntax), a colon.
func isFieldLine(line []byte) bool {
	for i, c := range line {
		switch {
		case c == ':':
			return i > 0
		case isWSP(c):
			if i == 0 {
				return false
			}
			for _, d := range line[i:] {
				if d == ':' {
					return true
				}
				if !isWSP(d) {
					return false
				}
			}
			return false
		case c < 33 || c == 127:
			return false
		}
	}
	return false
}

// scanHeader finds where the header block at the start of b ends. fields
// is the end of the last header field; body is where the body starts, past
// the empty separator line when there is one. Liberal: a line that is
// neither a field nor a continuation ends the header without a separator
// (except an mbox "From " line first), and a block without an empty line
// is all header.
func scanHeader(b []byte) (fields, body int) {
	seen := false
	for i := 0; i < len(b); {
		e := lineEnd(b, i)
		line := b[i:e]
		switch {
		case isBlankLine(line):
			return i, e
		case isWSP(line[0]):
			if !seen {
				return i, i
			}
		case isFieldLine(line):
			seen = true
		case i == 0 && bytes.HasPrefix(line, []byte("From ")):
			// An mbox separator left in front of the message; it is
			// kept in the header but is not a field.
		default:
			return i, i
		}
		i = e
	}
	return len(b), len(b)
}

// forEachField calls fn for each header field in hdr, in order, until fn
// returns false or the first empty line. name is the field name without
// trailing white space, value the raw text after the colon (folding kept),
// raw the whole field with its line endings. Lines that are not fields
// are skipped.
func forEachField(hdr []byte, fn func(name, value, raw []byte) bool) {
	for i := 0; i < len(hdr); {
		e := lineEnd(hdr, i)
		line := hdr[i:e]
		if isBlankLine(line) {
			return
		}
		if isWSP(line[0]) || !isFieldLine(line) {
			i = e
			continue
		}
		start := i
		for e < len(hdr) && isWSP(hdr[e]) {
			e = lineEnd(hdr, e)
		}
		raw := hdr[start:e]
		colon := bytes.IndexByte(raw, ':')
		name := raw[:colon]
		for len(name) > 0 && isWSP(name[len(name)-1]) {
			name = name[:len(name)-1]
		}
		if !fn(name, raw[colon+1:], raw) {
			return
		}
		i = e
	}
}

// unfold removes the line breaks of a folded header value (RFC 5322
// section 2.2.3) and trims surrounding white space. It returns a sub-slice
// of v when there is nothing to remove.
func unfold(v []byte) []byte {
	v = trimSpaceCRLF(v)
	if !hasCRLF(v) {
		return v
	}
	return appendUnfolded(make([]byte, 0, len(v)), v)
}

// appendUnfolded appends unfold(v) to dst.
func appendUnfolded(dst, v []byte) []byte {
	v = trimSpaceCRLF(v)
	if !hasCRLF(v) {
		return append(dst, v...)
	}
	for len(v) > 0 {
		i := bytes.IndexByte(v, '\n')
		if i < 0 {
			i = len(v)
		}
		line := v[:i]
		for {
			j := bytes.IndexByte(line, '\r')
			if j < 0 {
				dst = append(dst, line...)
				break
			}
			dst = append(dst, line[:j]...)
			line = line[j+1:]
		}
		v = v[min(i+1, len(v)):]
	}
	return dst
}

// hasCRLF reports whether v holds a CR or an LF.
func hasCRLF(v []byte) bool {
	return bytes.IndexByte(v, '\n') >= 0 || bytes.IndexByte(v, '\r') >= 0
}

// trimSpaceCRLF trims spaces, tabs, CRs and LFs from both ends of v.
func trimSpaceCRLF(v []byte) []byte {
	i, j := 0, len(v)
	for i < j && isSpaceCRLF(v[i]) {
		i++
	}
	for j > i && isSpaceCRLF(v[j-1]) {
		j--
	}
	if i == j {
		return nil // as bytes.Trim does
	}
	return v[i:j]
}

func isSpaceCRLF(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// equalFoldASCII compares b and s ignoring ASCII case only.
func equalFoldASCII[T ~string | ~[]byte](b T, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if lowerASCII(b[i]) != lowerASCII(s[i]) {
			return false
		}
	}
	return true
}

// lowerASCII lower-cases an ASCII letter.
func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// HeaderValues returns the values of every field called name
// (case-insensitive) in header, in message order, unfolded and trimmed of
// surrounding white space. Encoded words are left as they are; see
// DecodeHeader. header may include the empty line ending it; fields after
// that line are not looked at.
func HeaderValues(header []byte, name string) [][]byte {
	var out [][]byte
	forEachField(header, func(n, value, _ []byte) bool {
		if equalFoldASCII(n, name) {
			out = append(out, unfold(value))
		}
		return true
	})
	return out
}

// EachField calls fn with the name and the unfolded, trimmed value of
// each field of header, in message order, until fn returns false or the
// header ends. Encoded words are left as they are; see DecodeHeader.
func EachField(header []byte, fn func(name, value []byte) bool) {
	forEachField(header, func(name, value, _ []byte) bool {
		return fn(name, unfold(value))
	})
}
