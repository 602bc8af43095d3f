package message

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Specifier is the text after the part numbers of a section-spec.
type Specifier uint8

const (
	// SpecifierNone: the whole message (no part numbers), or the part's
	// body (with part numbers).
	SpecifierNone Specifier = iota
	// SpecifierHeader is HEADER.
	SpecifierHeader
	// SpecifierHeaderFields is HEADER.FIELDS (names).
	SpecifierHeaderFields
	// SpecifierHeaderFieldsNot is HEADER.FIELDS.NOT (names).
	SpecifierHeaderFieldsNot
	// SpecifierText is TEXT.
	SpecifierText
	// SpecifierMIME is MIME; it needs part numbers.
	SpecifierMIME
)

// SectionSpec is a parsed RFC 3501 section-spec, the text between the
// brackets of BODY[...].
type SectionSpec struct {
	// Path holds the part numbers, each at least 1; nil for the message.
	Path []int
	// Specifier says which piece of the addressed part is wanted.
	Specifier Specifier
	// Fields are the header field names of HEADER.FIELDS[.NOT], as given.
	Fields []string
}

// ParseSectionSpec parses a section-spec (RFC 3501 section 9):
//
//	section-spec    = section-msgtext / (section-part ["." section-text])
//	section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT"
//	section-part    = nz-number *("." nz-number)
//	section-text    = section-msgtext / "MIME"
//
// Keywords match in any case. Header field names are astrings: atoms,
// quoted strings or literals. The empty string is valid (BODY[]).
func ParseSectionSpec(s string) (SectionSpec, error) {
	var spec SectionSpec
	rest := s
	for rest != "" && rest[0] >= '0' && rest[0] <= '9' {
		n := 0
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		num, err := strconv.ParseUint(rest[:n], 10, 31)
		if err != nil || num == 0 || rest[0] == '0' {
			return SectionSpec{}, fmt.Errorf("section %q: %q is not a part number", s, rest[:n])
		}
		spec.Path = append(spec.Path, int(num))
		rest = rest[n:]
		if rest == "" {
			return spec, nil
		}
		if rest[0] != '.' || len(rest) == 1 {
			return SectionSpec{}, fmt.Errorf("section %q: part numbers are separated by dots", s)
		}
		rest = rest[1:]
	}
	switch {
	case rest == "":
		return spec, nil
	case equalFoldASCII(rest, "HEADER"):
		spec.Specifier = SpecifierHeader
	case equalFoldASCII(rest, "TEXT"):
		spec.Specifier = SpecifierText
	case equalFoldASCII(rest, "MIME"):
		if spec.Path == nil {
			return SectionSpec{}, fmt.Errorf("section %q: MIME needs a part number", s)
		}
		spec.Specifier = SpecifierMIME
	case hasPrefixFold(rest, "HEADER.FIELDS.NOT "):
		spec.Specifier = SpecifierHeaderFieldsNot
		rest = rest[len("HEADER.FIELDS.NOT "):]
	case hasPrefixFold(rest, "HEADER.FIELDS "):
		spec.Specifier = SpecifierHeaderFields
		rest = rest[len("HEADER.FIELDS "):]
	default:
		return SectionSpec{}, fmt.Errorf("section %q: unknown section text %q", s, rest)
	}
	if spec.Specifier == SpecifierHeaderFields || spec.Specifier == SpecifierHeaderFieldsNot {
		fields, err := parseHeaderList(rest)
		if err != nil {
			return SectionSpec{}, fmt.Errorf("section %q: %w", s, err)
		}
		spec.Fields = fields
	}
	return spec, nil
}

// hasPrefixFold reports whether s starts with the ASCII prefix, ignoring
// ASCII case; unlike strings.ToUpper it never changes lengths.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && equalFoldASCII(s[:len(prefix)], prefix)
}

// parseHeaderList parses header-list = "(" header-fld-name *(SP
// header-fld-name) ")", allowing extra spaces.
func parseHeaderList(s string) ([]string, error) {
	s = strings.TrimLeft(s, " ")
	if s == "" || s[0] != '(' {
		return nil, errors.New("header list must start with (")
	}
	s = s[1:]
	var names []string
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return nil, errors.New("header list is not closed")
		}
		if s[0] == ')' {
			if strings.TrimRight(s[1:], " ") != "" {
				return nil, fmt.Errorf("unexpected %q after the header list", s[1:])
			}
			if len(names) == 0 {
				return nil, errors.New("header list is empty")
			}
			return names, nil
		}
		name, rest, err := parseAString(s)
		if err != nil {
			return nil, err
		}
		if rest != "" && rest[0] != ' ' && rest[0] != ')' {
			return nil, fmt.Errorf("unexpected %q in the header list", rest)
		}
		names, s = append(names, name), rest
	}
}

// parseAString reads one astring (RFC 3501 section 9) from the start of s.
func parseAString(s string) (value, rest string, err error) {
	switch s[0] {
	case '"':
		var sb strings.Builder
		for i := 1; i < len(s); i++ {
			switch c := s[i]; c {
			case '"':
				return sb.String(), s[i+1:], nil
			case '\\':
				if i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
					sb.WriteByte(s[i])
					continue
				}
				return "", "", errors.New("bad escape in a quoted header name")
			default:
				if c == 0 || c == '\r' || c == '\n' || c >= 0x80 {
					return "", "", fmt.Errorf("byte %#x in a quoted header name", c)
				}
				sb.WriteByte(c)
			}
		}
		return "", "", errors.New("unterminated quoted header name")
	case '{':
		end := strings.Index(s, "}\r\n")
		if end < 0 {
			return "", "", errors.New("bad literal in the header list")
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(s[1:end], "+"), 10, 31)
		if err != nil || int(n) > len(s)-end-3 {
			return "", "", errors.New("bad literal length in the header list")
		}
		start := end + 3
		value = s[start : start+int(n)]
		if strings.IndexByte(value, 0) >= 0 {
			return "", "", errors.New("NUL in a literal header name")
		}
		return value, s[start+int(n):], nil
	}
	i := 0
	for i < len(s) && isAStringChar(s[i]) {
		i++
	}
	if i == 0 {
		return "", "", fmt.Errorf("unexpected %q in the header list", s)
	}
	return s[:i], s[i:], nil
}

// isAStringChar reports whether c is an ASTRING-CHAR.
func isAStringChar(c byte) bool {
	return c > ' ' && c < 0x7f && strings.IndexByte(`(){%*"\`, c) < 0
}

// String formats the section-spec as BODY[...] in a FETCH response wants
// it: keywords upper-case, field names as given, quoted when they are not
// atoms.
func (s SectionSpec) String() string {
	var b []byte
	for i, n := range s.Path {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendInt(b, int64(n), 10)
	}
	if s.Specifier != SpecifierNone && len(s.Path) > 0 {
		b = append(b, '.')
	}
	switch s.Specifier {
	case SpecifierHeader:
		b = append(b, "HEADER"...)
	case SpecifierText:
		b = append(b, "TEXT"...)
	case SpecifierMIME:
		b = append(b, "MIME"...)
	case SpecifierHeaderFields, SpecifierHeaderFieldsNot:
		b = append(b, "HEADER.FIELDS"...)
		if s.Specifier == SpecifierHeaderFieldsNot {
			b = append(b, ".NOT"...)
		}
		b = append(b, " ("...)
		for i, f := range s.Fields {
			if i > 0 {
				b = append(b, ' ')
			}
			b = appendAString(b, f)
		}
		b = append(b, ')')
	}
	return string(b)
}

// appendAString appends f as an atom when it is one, else as a string.
func appendAString(dst []byte, f string) []byte {
	for i := 0; i < len(f); i++ {
		if !isAStringChar(f[i]) || f[i] == ']' {
			return appendString(dst, f)
		}
	}
	if f == "" {
		return append(dst, `""`...)
	}
	return append(dst, f...)
}

// Section returns the content of BODY[spec] for msg, whose parse tree is
// root (from Parse(msg)). spec is a section-spec in any case, as
// ParseSectionSpec reads it. The result is a sub-slice of msg, except for
// HEADER.FIELDS[.NOT], which builds a new slice.
//
// ok is false when spec does not parse or names a part the message does
// not have; the result is then nil, and the FETCH response should carry
// an empty string for it (RFC 3501 gives a non-existent section no
// error). See SectionSpec.Extract for the addressing rules.
func Section(msg []byte, root *Part, spec string) (data []byte, ok bool) {
	s, err := ParseSectionSpec(spec)
	if err != nil {
		return nil, false
	}
	return s.Extract(msg, root)
}

// Extract returns the content of the section s of msg, whose parse tree
// is root (RFC 3501 section 6.4.5):
//
//   - no part numbers: "" is the whole message, HEADER its header with
//     the empty line, TEXT its body, HEADER.FIELDS[.NOT] the matching
//     fields (case-insensitive, message order) and an empty line;
//   - part numbers address a part: N is the Nth body part of a
//     multipart; part 1 of a message that is not multipart is its body;
//     after a message/rfc822 part, the next number addresses a part of
//     the embedded message (so 2.1 is the first part of the message in
//     part 2, or its body when it is not multipart);
//   - with part numbers, "" is the part's body, MIME its own MIME header
//     and HEADER, TEXT and HEADER.FIELDS[.NOT] the header and body of the
//     message embedded in a message/rfc822 part.
//
// ok is false, with nil data, when the part does not exist or is not a
// message/rfc822 for HEADER and TEXT.
func (s SectionSpec) Extract(msg []byte, root *Part) (data []byte, ok bool) {
	if root == nil {
		return nil, false
	}
	p := root
	if len(s.Path) > 0 {
		if p = resolve(root, s.Path); p == nil {
			return nil, false
		}
		switch s.Specifier {
		case SpecifierNone:
			return clip(msg, p.BodyStart, p.End), true
		case SpecifierMIME:
			return clip(msg, p.HeaderStart, p.BodyStart), true
		}
		if p = p.Message; p == nil {
			return nil, false
		}
	}
	switch s.Specifier {
	case SpecifierHeader:
		return clip(msg, p.HeaderStart, p.BodyStart), true
	case SpecifierText:
		return clip(msg, p.BodyStart, p.End), true
	case SpecifierHeaderFields, SpecifierHeaderFieldsNot:
		return filterHeader(clip(msg, p.HeaderStart, p.fieldsEnd), s.Fields,
			s.Specifier == SpecifierHeaderFieldsNot, p.BodyStart > p.fieldsEnd), true
	case SpecifierNone:
		return clip(msg, p.HeaderStart, p.End), true
	}
	return nil, false
}

// resolve follows part numbers from a message's root part.
func resolve(root *Part, path []int) *Part {
	p, isMessage := root, true
	for k, n := range path {
		switch {
		case p.IsMultipart():
			if n < 1 || n > len(p.Children) {
				return nil
			}
			p = p.Children[n-1]
		case isMessage && n == 1:
			// Part 1 of a message that is not multipart: its body.
		default:
			return nil
		}
		isMessage = false
		if k < len(path)-1 && p.Message != nil {
			p, isMessage = p.Message, true
		}
	}
	return p
}

// clip returns msg[a:b], clamped to msg so that a Part used with the
// wrong message cannot cause a panic, and with its capacity cut so that
// appending to it cannot overwrite the message.
func clip(msg []byte, a, b int) []byte {
	b = min(max(b, 0), len(msg))
	a = min(max(a, 0), b)
	return msg[a:b:b]
}

// filterHeader returns the fields of hdr whose names are (not, when not
// is true) among names, in message order, followed by an empty line when
// the header has one.
func filterHeader(hdr []byte, names []string, not, blankLine bool) []byte {
	out := make([]byte, 0, 64)
	forEachField(hdr, func(name, _, raw []byte) bool {
		match := false
		for _, n := range names {
			if equalFoldASCII(name, n) {
				match = true
				break
			}
		}
		if match != not {
			out = append(out, raw...)
			if raw[len(raw)-1] != '\n' {
				out = append(out, "\r\n"...)
			}
		}
		return true
	})
	if !blankLine {
		// RFC 3501 6.4.5: the blank line ends every header fetch, except
		// for a message with no body and no blank line.
		return out
	}
	return append(out, "\r\n"...)
}
