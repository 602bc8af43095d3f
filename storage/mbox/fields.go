package mbox

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/mailgate/mailgate/storage"
)

// This file knows the header fields through which mbox files carry IMAP
// state. Clients never see them: Folder.Open leaves them out.

// field names one of the header fields that mailgate hides.
type field uint8

const (
	fieldNone     field = iota
	fieldStatus         // Status: R, O, and imap4d's A, F, D, d
	fieldXStatus        // X-Status: A, F, D, T (UW, mutt)
	fieldKeywords       // X-Keywords: keywords (Dovecot, mutt, UW)
	fieldUID            // X-UID: n
	fieldBase           // X-IMAPbase: uidvalidity uidnext (imap4d, UW)
	fieldLength         // Content-Length: (Solaris, some MTAs)
	fieldUWData         // X-IMAP: (UW's folder data pseudo-message)
)

// hiddenField returns which hidden field a header line starts, or
// fieldNone. It compares names without regard to case.
func hiddenField(line []byte) field {
	if len(line) < 6 {
		return fieldNone
	}
	colon := bytes.IndexByte(line[:min(len(line), 16)], ':')
	if colon < 0 {
		return fieldNone
	}
	name := line[:colon]
	switch len(name) {
	case 5:
		if eqFold(name, "x-uid") {
			return fieldUID
		}
	case 6:
		if eqFold(name, "status") {
			return fieldStatus
		}
		if eqFold(name, "x-imap") {
			return fieldUWData
		}
	case 8:
		if eqFold(name, "x-status") {
			return fieldXStatus
		}
	case 10:
		if eqFold(name, "x-keywords") {
			return fieldKeywords
		}
		if eqFold(name, "x-imapbase") {
			return fieldBase
		}
	case 14:
		if eqFold(name, "content-length") {
			return fieldLength
		}
	}
	return fieldNone
}

// ours reports whether mailgate rewrites the field: Content-Length and
// X-IMAP are hidden from clients but kept as they are.
func (f field) ours() bool { return f >= fieldStatus && f <= fieldBase }

// eqFold compares b with the lower-case ASCII string s, ignoring case.
func eqFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// fieldValue returns what follows the colon of a header line, without
// surrounding white space.
func fieldValue(line []byte) []byte {
	i := bytes.IndexByte(line, ':')
	if i < 0 {
		return nil
	}
	return bytes.TrimSpace(line[i+1:])
}

// isBlank reports whether line is an empty line: "\n" or "\r\n".
func isBlank(line []byte) bool {
	return (len(line) == 1 && line[0] == '\n') || (len(line) == 2 && line[0] == '\r' && line[1] == '\n')
}

// quoted reports whether line matches ">+From ": mboxrd quoting, which
// reading undoes by dropping one '>'.
func quoted(line []byte) bool {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	return i > 0 && len(line)-i >= 5 && string(line[i:i+5]) == "From "
}

// needsQuote reports whether line matches ">*From ", which writing
// quotes by adding a '>'.
func needsQuote(line []byte) bool {
	return quoted(line) || (len(line) >= 5 && string(line[:5]) == "From ")
}

// Flag bits, as the Status and X-Status fields give them.
const (
	bitSeen uint8 = 1 << iota
	bitAnswered
	bitFlagged
	bitDeleted
	bitDraft
	bitOld // Status O: a mail reader has seen it, so not New

	bitsIMAP = bitSeen | bitAnswered | bitFlagged | bitDeleted | bitDraft
)

// statusBits reads the letters of a Status or X-Status field. Status has
// R (seen) and O (old), imap4d adds A, F, D and d (draft), mutt writes r
// (replied); X-Status has A, F, D and UW's T (draft).
func statusBits(v []byte) uint8 {
	var b uint8
	for _, c := range v {
		switch c {
		case 'R':
			b |= bitSeen
		case 'O':
			b |= bitOld
		case 'A', 'r':
			b |= bitAnswered
		case 'F':
			b |= bitFlagged
		case 'D':
			b |= bitDeleted
		case 'd', 'T':
			b |= bitDraft
		}
	}
	return b
}

var bitFlags = [...]struct {
	bit  uint8
	flag string
}{
	{bitAnswered, storage.FlagAnswered},
	{bitDeleted, storage.FlagDeleted},
	{bitDraft, storage.FlagDraft},
	{bitFlagged, storage.FlagFlagged},
	{bitSeen, storage.FlagSeen},
}

// splitFlags turns storage flags into bits and a keyword list; bitOld is
// never set. It fails on a keyword that the X-Keywords field cannot hold.
func splitFlags(flags []string) (uint8, []string, error) {
	var bits uint8
	var kws []string
next:
	for _, f := range flags {
		if strings.EqualFold(f, `\Recent`) {
			continue
		}
		for _, bf := range bitFlags {
			if strings.EqualFold(f, bf.flag) {
				bits |= bf.bit
				continue next
			}
		}
		if !validKeyword(f) {
			return 0, nil, fmt.Errorf("flag %q cannot be stored", f)
		}
		kws = append(kws, f)
	}
	return bits, kws, nil
}

// validKeyword reports whether s can be stored in X-Keywords: an IMAP atom
// (RFC 3501 atom-char) without a comma, which separates keywords there.
func validKeyword(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"\],`, c) >= 0 {
			return false
		}
	}
	return true
}

// appendStatus appends the Status, X-Status and X-Keywords fields for bits
// and keywords: Status as imap4d writes it (R, O, then A, F, D, d), which
// mutt and UW read for R and O; X-Status as UW and mutt write it.
func appendStatus(b []byte, bits uint8, kws []string) []byte {
	if bits != 0 {
		b = append(b, "Status: "...)
		for _, l := range [...]struct {
			bit uint8
			c   byte
		}{{bitSeen, 'R'}, {bitOld, 'O'}, {bitAnswered, 'A'}, {bitFlagged, 'F'}, {bitDeleted, 'D'}, {bitDraft, 'd'}} {
			if bits&l.bit != 0 {
				b = append(b, l.c)
			}
		}
		b = append(b, '\n')
	}
	if bits&(bitAnswered|bitFlagged|bitDeleted|bitDraft) != 0 {
		b = append(b, "X-Status: "...)
		for _, l := range [...]struct {
			bit uint8
			c   byte
		}{{bitAnswered, 'A'}, {bitFlagged, 'F'}, {bitDeleted, 'D'}, {bitDraft, 'T'}} {
			if bits&l.bit != 0 {
				b = append(b, l.c)
			}
		}
		b = append(b, '\n')
	}
	if len(kws) > 0 {
		b = append(b, "X-Keywords: "...)
		b = append(b, strings.Join(kws, " ")...)
		b = append(b, '\n')
	}
	return b
}

// baseWidth is the width of each number in the X-IMAPbase fields that
// mailgate writes, as imap4d pads them, so that a larger UIDNEXT can be
// written in place.
const baseWidth = 20

// appendBase appends an X-IMAPbase field.
func appendBase(b []byte, validity, next uint32) []byte {
	return fmt.Appendf(b, "X-IMAPbase: %*d %*d\n", baseWidth, validity, baseWidth, next)
}

// appendUID appends an X-UID field.
func appendUID(b []byte, uid uint32) []byte {
	b = append(b, "X-UID: "...)
	b = strconv.AppendUint(b, uint64(uid), 10)
	return append(b, '\n')
}

// parseUint32 reads a decimal UID or UIDVALIDITY; zero and overflow fail.
func parseUint32(b []byte) (uint32, bool) {
	n, ok := parseNumber(b)
	return n, ok && n != 0
}

// parseNumber reads a decimal that fits in 32 bits.
func parseNumber(b []byte) (uint32, bool) {
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if n > 1<<32-1 {
		return 0, false
	}
	return uint32(n), true
}

// twoNumbers reads "a b" as X-IMAPbase and X-IMAP start.
func twoNumbers(v []byte) (a, b uint32, ok bool) {
	f := bytes.Fields(v)
	if len(f) < 2 {
		return 0, 0, false
	}
	a, ok1 := parseUint32(f[0])
	b, ok2 := parseNumber(f[1])
	return a, b, ok1 && ok2
}

// rewriteBase returns line (an X-IMAPbase field) with its UIDNEXT set to
// next and its length unchanged, or false when next does not fit.
func rewriteBase(line []byte, next uint32) ([]byte, bool) {
	if len(line) < 12 || !eqFold(line[:11], "x-imapbase:") || line[len(line)-1] != '\n' {
		return nil, false
	}
	body := line[:len(line)-1]
	if n := len(body); n > 0 && body[n-1] == '\r' {
		body = body[:n-1]
	}
	// The last field runs from the end of the UIDVALIDITY digits.
	i := 11
	for i < len(body) && body[i] == ' ' {
		i++
	}
	for i < len(body) && body[i] >= '0' && body[i] <= '9' {
		i++
	}
	width := len(body) - i
	digits := strconv.FormatUint(uint64(next), 10)
	if i == 11 || width < len(digits)+1 {
		return nil, false
	}
	out := append([]byte(nil), line...)
	copy(out[i:], strings.Repeat(" ", width-len(digits))+digits)
	return out, true
}
