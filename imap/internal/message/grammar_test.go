package message

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// node is one parsed IMAP value: a list, a string, NIL or a number.
type node struct {
	kind  byte // '(' list, 's' string, 'n' NIL, '0' number
	list  []node
	str   string
	num   int
	space bool // a space came before it inside its list
}

// parseValue reads one IMAP value from the start of b, strictly: quoted
// strings hold only 7-bit characters other than NUL, CR and LF, literals
// have the announced length, list elements are separated by one space or
// (between two lists) nothing.
func parseValue(b string) (node, string, error) {
	if b == "" {
		return node{}, "", errors.New("unexpected end")
	}
	switch c := b[0]; {
	case c == '(':
		n := node{kind: '('}
		b = b[1:]
		for {
			if b == "" {
				return node{}, "", errors.New("unclosed list")
			}
			if b[0] == ')' {
				return n, b[1:], nil
			}
			space := false
			if len(n.list) > 0 {
				if b[0] == ' ' {
					space, b = true, b[1:]
				} else if b[0] != '(' || n.list[len(n.list)-1].kind != '(' {
					return node{}, "", fmt.Errorf("missing space at %.20q", b)
				}
			}
			e, rest, err := parseValue(b)
			if err != nil {
				return node{}, "", err
			}
			e.space = space
			n.list, b = append(n.list, e), rest
		}
	case c == '"':
		var sb strings.Builder
		for i := 1; i < len(b); i++ {
			switch d := b[i]; {
			case d == '"':
				return node{kind: 's', str: sb.String()}, b[i+1:], nil
			case d == '\\':
				if i+1 >= len(b) || (b[i+1] != '"' && b[i+1] != '\\') {
					return node{}, "", errors.New("bad escape")
				}
				i++
				sb.WriteByte(b[i])
			case d == 0 || d == '\r' || d == '\n' || d >= 0x80:
				return node{}, "", fmt.Errorf("byte %#x in a quoted string", d)
			default:
				sb.WriteByte(d)
			}
		}
		return node{}, "", errors.New("unterminated quoted string")
	case c == '{':
		end := strings.Index(b, "}\r\n")
		if end < 0 {
			return node{}, "", errors.New("bad literal")
		}
		n, err := strconv.Atoi(b[1:end])
		if err != nil || n > len(b)-end-3 {
			return node{}, "", errors.New("bad literal length")
		}
		s := b[end+3 : end+3+n]
		if strings.IndexByte(s, 0) >= 0 {
			return node{}, "", errors.New("NUL in a literal")
		}
		return node{kind: 's', str: s}, b[end+3+n:], nil
	case strings.HasPrefix(b, "NIL"):
		return node{kind: 'n'}, b[3:], nil
	case c >= '0' && c <= '9':
		i := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		n, err := strconv.Atoi(b[:i])
		return node{kind: '0', num: n}, b[i:], err
	}
	return node{}, "", fmt.Errorf("unexpected %.20q", b)
}

// parseAll parses b as exactly one value.
func parseAll(b []byte) (node, error) {
	n, rest, err := parseValue(string(b))
	if err == nil && rest != "" {
		err = fmt.Errorf("trailing %.20q", rest)
	}
	return n, err
}

func (n node) isNString() bool { return n.kind == 's' || n.kind == 'n' }

// checkSpaces requires a space before every element from the first on.
func checkSpaces(l []node, from int) error {
	for i := from; i < len(l); i++ {
		if !l[i].space {
			return fmt.Errorf("element %d not separated by a space", i)
		}
	}
	return nil
}

// checkBody validates a BODY or BODYSTRUCTURE value against RFC 3501's
// "body" rule.
func checkBody(n node, extended bool) error {
	if n.kind != '(' || len(n.list) == 0 {
		return errors.New("body is not a non-empty list")
	}
	l := n.list
	if l[0].kind == '(' {
		i := 0
		for i < len(l) && l[i].kind == '(' {
			if i > 0 && l[i].space {
				return errors.New("space between body parts")
			}
			if err := checkBody(l[i], extended); err != nil {
				return fmt.Errorf("part %d: %w", i+1, err)
			}
			i++
		}
		rest := l[i:]
		want := 1
		if extended {
			want = 5
		}
		if len(rest) != want || rest[0].kind != 's' {
			return fmt.Errorf("multipart: %d fields after the parts, want %d", len(rest), want)
		}
		if err := checkSpaces(l, i); err != nil {
			return err
		}
		if extended {
			if !checkParams(rest[1]) {
				return errors.New("multipart: bad parameters")
			}
			return checkExtensions(rest[2:])
		}
		return nil
	}
	if len(l) < 7 {
		return errors.New("single part: too few fields")
	}
	if err := checkSpaces(l, 1); err != nil {
		return err
	}
	if l[0].kind != 's' || l[1].kind != 's' || !checkParams(l[2]) || !l[3].isNString() ||
		!l[4].isNString() || l[5].kind != 's' || l[6].kind != '0' {
		return errors.New("single part: bad basic fields")
	}
	rest := l[7:]
	switch {
	case strings.EqualFold(l[0].str, "message") && (strings.EqualFold(l[1].str, "rfc822") || strings.EqualFold(l[1].str, "global")):
		if len(rest) < 3 {
			return errors.New("message part: missing envelope, body or lines")
		}
		if err := checkEnvelope(rest[0]); err != nil {
			return err
		}
		if err := checkBody(rest[1], extended); err != nil {
			return fmt.Errorf("embedded: %w", err)
		}
		if rest[2].kind != '0' {
			return errors.New("message part: lines is not a number")
		}
		rest = rest[3:]
	case strings.EqualFold(l[0].str, "text"):
		if len(rest) < 1 || rest[0].kind != '0' {
			return errors.New("text part: lines is not a number")
		}
		rest = rest[1:]
	}
	if !extended {
		if len(rest) != 0 {
			return errors.New("BODY with extension data")
		}
		return nil
	}
	if len(rest) != 4 || !rest[0].isNString() {
		return errors.New("single part: bad extension data")
	}
	return checkExtensions(rest[1:])
}

// checkParams validates a body-fld-param.
func checkParams(n node) bool {
	if n.kind == 'n' {
		return true
	}
	if n.kind != '(' || len(n.list) == 0 || len(n.list)%2 != 0 {
		return false
	}
	for _, e := range n.list {
		if e.kind != 's' {
			return false
		}
	}
	return true
}

// checkExtensions validates body-fld-dsp, body-fld-lang and body-fld-loc.
func checkExtensions(rest []node) error {
	if len(rest) != 3 {
		return errors.New("bad extension count")
	}
	dsp, lang, loc := rest[0], rest[1], rest[2]
	if dsp.kind != 'n' && (dsp.kind != '(' || len(dsp.list) != 2 || dsp.list[0].kind != 's' || !checkParams(dsp.list[1])) {
		return errors.New("bad disposition")
	}
	if lang.kind == '(' {
		if len(lang.list) == 0 {
			return errors.New("empty language list")
		}
		for _, e := range lang.list {
			if e.kind != 's' {
				return errors.New("bad language")
			}
		}
	} else if !lang.isNString() {
		return errors.New("bad language")
	}
	if !loc.isNString() {
		return errors.New("bad location")
	}
	return nil
}

// checkEnvelope validates an ENVELOPE value.
func checkEnvelope(n node) error {
	if n.kind != '(' || len(n.list) != 10 {
		return errors.New("envelope is not a list of 10")
	}
	if err := checkSpaces(n.list, 1); err != nil {
		return err
	}
	l := n.list
	if !l[0].isNString() || !l[1].isNString() || !l[8].isNString() || !l[9].isNString() {
		return errors.New("envelope: bad string field")
	}
	for i := 2; i <= 7; i++ {
		if l[i].kind == 'n' {
			continue
		}
		if l[i].kind != '(' || len(l[i].list) == 0 {
			return fmt.Errorf("envelope field %d: bad address list", i)
		}
		for j, a := range l[i].list {
			if a.kind != '(' || len(a.list) != 4 || (j > 0 && a.space) {
				return fmt.Errorf("envelope field %d: bad address", i)
			}
			for _, f := range a.list {
				if !f.isNString() {
					return fmt.Errorf("envelope field %d: bad address field", i)
				}
			}
		}
	}
	return nil
}
