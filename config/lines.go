package config

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// keyLines holds the line where each key of a TOML document first
// appears. BurntSushi/toml keeps key positions to itself, and one per
// dotted name at that, which cannot tell the elements of an array of
// tables apart; so the document is scanned a second time here, after toml
// has accepted it.
type keyLines struct {
	exact map[string]int // by keyPath.String(), with array indexes
	loose map[string]int // by keyPath.display(), the first of any element
}

// scanKeyLines finds the line of every key, table header and array element
// in src. src should be valid TOML; on anything else the scanner gives up
// early or records nonsense, but it always ends.
func scanKeyLines(src string) *keyLines {
	s := &lineScanner{src: src, line: 1, arrays: map[string]int{},
		lines: &keyLines{exact: map[string]int{}, loose: map[string]int{}}}
	var table keyPath
	for {
		s.skipSpace()
		if s.i >= len(s.src) {
			return s.lines
		}
		start := s.i
		if s.src[s.i] == '[' {
			table = s.header()
		} else {
			s.keyValue(table)
		}
		if s.i == start { // not TOML after all: skip the line
			s.skipLine()
		}
	}
}

type lineScanner struct {
	src    string
	i      int
	line   int
	lines  *keyLines
	arrays map[string]int // elements so far of each array of tables
}

func (s *lineScanner) record(p keyPath, line int) {
	if k := p.String(); s.lines.exact[k] == 0 {
		s.lines.exact[k] = line
	}
	if k := p.display(); s.lines.loose[k] == 0 {
		s.lines.loose[k] = line
	}
}

func (s *lineScanner) peek(prefix string) bool { return strings.HasPrefix(s.src[s.i:], prefix) }

// skipBlank skips spaces and tabs.
func (s *lineScanner) skipBlank() {
	for s.i < len(s.src) && (s.src[s.i] == ' ' || s.src[s.i] == '\t') {
		s.i++
	}
}

// skipSpace skips white space, newlines and comments.
func (s *lineScanner) skipSpace() {
	for s.i < len(s.src) {
		switch s.src[s.i] {
		case ' ', '\t', '\r':
			s.i++
		case '\n':
			s.i++
			s.line++
		case '#':
			s.skipLine()
		default:
			return
		}
	}
}

// skipLine moves to the newline that ends the current line.
func (s *lineScanner) skipLine() {
	for s.i < len(s.src) && s.src[s.i] != '\n' {
		s.i++
	}
}

// header reads "[a.b]" or "[[a.b]]" and returns the table's path.
func (s *lineScanner) header() keyPath {
	line := s.line
	s.i++
	array := s.peek("[")
	if array {
		s.i++
	}
	keys := s.dottedKey()
	s.skipBlank()
	if s.peek("]") {
		s.i++
	}
	if array && s.peek("]") {
		s.i++
	}
	var p keyPath
	for j, k := range keys {
		p = p.key(k)
		s.record(p, line)
		n, isArray := s.arrays[p.String()]
		switch {
		case array && j == len(keys)-1:
			s.arrays[p.String()] = n + 1
			p = p.index(n)
			s.record(p, line)
		case isArray && n > 0:
			p = p.index(n - 1)
		}
	}
	return p
}

// keyValue reads "key = value" in the table at table.
func (s *lineScanner) keyValue(table keyPath) {
	line := s.line
	keys := s.dottedKey()
	if len(keys) == 0 {
		return
	}
	p := table
	for _, k := range keys {
		p = p.key(k)
		s.record(p, line)
	}
	s.skipBlank()
	if !s.peek("=") {
		return
	}
	s.i++
	s.skipBlank()
	s.value(p)
}

// dottedKey reads a possibly dotted key: bare, "basic" or 'literal' parts.
func (s *lineScanner) dottedKey() []string {
	var keys []string
	for {
		s.skipBlank()
		if s.i >= len(s.src) {
			return keys
		}
		switch c := s.src[s.i]; {
		case c == '"':
			start := s.i
			s.basicString()
			keys = append(keys, unescapeBasic(strings.TrimSuffix(s.src[start+1:s.i], `"`)))
		case c == '\'':
			start := s.i
			s.literalString()
			keys = append(keys, strings.TrimSuffix(s.src[start+1:s.i], "'"))
		case isBareKeyByte(c):
			start := s.i
			for s.i < len(s.src) && isBareKeyByte(s.src[s.i]) {
				s.i++
			}
			keys = append(keys, s.src[start:s.i])
		default:
			return keys
		}
		s.skipBlank()
		if !s.peek(".") {
			return keys
		}
		s.i++
	}
}

func isBareKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// value skips one value, recording the keys of inline tables and the
// elements of arrays below p.
func (s *lineScanner) value(p keyPath) {
	if s.i >= len(s.src) {
		return
	}
	switch s.src[s.i] {
	case '"':
		s.basicString()
	case '\'':
		s.literalString()
	case '[':
		s.i++
		for n := 0; ; {
			s.skipSpace()
			if s.i >= len(s.src) {
				return
			}
			switch s.src[s.i] {
			case ']':
				s.i++
				return
			case ',':
				s.i++
				continue
			}
			start := s.i
			elem := p.index(n)
			s.record(elem, s.line)
			s.value(elem)
			n++
			if s.i == start {
				s.i++
			}
		}
	case '{':
		s.i++
		for {
			s.skipSpace()
			if s.i >= len(s.src) {
				return
			}
			switch s.src[s.i] {
			case '}':
				s.i++
				return
			case ',':
				s.i++
				continue
			}
			start := s.i
			s.keyValue(p)
			if s.i == start {
				s.i++
			}
		}
	default: // number, boolean, date: up to a separator
		for s.i < len(s.src) && !strings.ContainsRune(",]}#\n", rune(s.src[s.i])) {
			s.i++
		}
	}
}

// basicString skips a basic string, in double quotes or, multi-line, in
// three.
func (s *lineScanner) basicString() {
	if s.peek(`"""`) {
		s.i += 3
		for s.i < len(s.src) {
			switch {
			case s.src[s.i] == '\\' && s.i+1 < len(s.src):
				if s.src[s.i+1] == '\n' {
					s.line++
				}
				s.i += 2
			case s.peek(`"""`):
				s.i += 3
				for extra := 0; extra < 2 && s.peek(`"`); extra++ {
					s.i++
				}
				return
			default:
				if s.src[s.i] == '\n' {
					s.line++
				}
				s.i++
			}
		}
		return
	}
	s.i++
	for s.i < len(s.src) && s.src[s.i] != '\n' {
		switch s.src[s.i] {
		case '\\':
			s.i += 2
		case '"':
			s.i++
			return
		default:
			s.i++
		}
	}
	if s.i > len(s.src) {
		s.i = len(s.src)
	}
}

// literalString skips a literal string, in single quotes or, multi-line,
// in three.
func (s *lineScanner) literalString() {
	if s.peek("'''") {
		s.i += 3
		for s.i < len(s.src) {
			if s.peek("'''") {
				s.i += 3
				for extra := 0; extra < 2 && s.peek("'"); extra++ {
					s.i++
				}
				return
			}
			if s.src[s.i] == '\n' {
				s.line++
			}
			s.i++
		}
		return
	}
	s.i++
	for s.i < len(s.src) && s.src[s.i] != '\n' {
		if s.src[s.i] == '\'' {
			s.i++
			return
		}
		s.i++
	}
}

// unescapeBasic decodes the escapes of a TOML basic string; a bad escape
// stays as written.
func unescapeBasic(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'b':
			b.WriteByte('\b')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'f':
			b.WriteByte('\f')
		case 'r':
			b.WriteByte('\r')
		case 'e':
			b.WriteByte(0x1b)
		case '"', '\\':
			b.WriteByte(s[i])
		case 'x', 'u', 'U':
			n := 8
			switch s[i] {
			case 'x':
				n = 2
			case 'u':
				n = 4
			}
			if i+1+n > len(s) {
				b.WriteByte('\\')
				b.WriteByte(s[i])
				continue
			}
			r, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32)
			if err != nil || !utf8.ValidRune(rune(r)) {
				b.WriteByte('\\')
				b.WriteByte(s[i])
				continue
			}
			b.WriteRune(rune(r))
			i += n
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
