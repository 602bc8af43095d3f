package wire

import (
	"encoding/base64"
	"errors"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrBadUTF7 means a mailbox name is not valid modified UTF-7.
var ErrBadUTF7 = errors.New("mailbox name is not valid modified UTF-7")

var utf7Enc = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").WithPadding(base64.NoPadding)

// DecodeUTF7 decodes a mailbox name from modified UTF-7 (RFC 3501 section
// 5.1.3) into UTF-8.
func DecodeUTF7(s string) (string, error) {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			return "", ErrBadUTF7
		}
		if c != '&' {
			sb.WriteByte(c)
			continue
		}
		j := strings.IndexByte(s[i+1:], '-')
		if j < 0 {
			return "", ErrBadUTF7
		}
		enc := s[i+1 : i+1+j]
		i += j + 1
		if enc == "" {
			sb.WriteByte('&')
			continue
		}
		raw, err := utf7Enc.DecodeString(enc)
		if err != nil || len(raw)%2 != 0 {
			return "", ErrBadUTF7
		}
		units := make([]uint16, len(raw)/2)
		for k := range units {
			units[k] = uint16(raw[2*k])<<8 | uint16(raw[2*k+1])
		}
		runes := utf16.Decode(units)
		for _, r := range runes {
			if r == utf8.RuneError || (r >= 0x20 && r <= 0x7e) {
				// Printable ASCII must not be encoded (RFC 3501).
				return "", ErrBadUTF7
			}
			sb.WriteRune(r)
		}
		// Two encoded runs next to each other are not canonical.
		if i+1 < len(s) && s[i+1] == '&' && i+2 < len(s) && s[i+2] != '-' {
			return "", ErrBadUTF7
		}
	}
	return sb.String(), nil
}

// EncodeUTF7 encodes a UTF-8 mailbox name into modified UTF-7.
func EncodeUTF7(s string) string {
	var sb strings.Builder
	var run []rune
	flush := func() {
		if len(run) == 0 {
			return
		}
		units := utf16.Encode(run)
		raw := make([]byte, 2*len(units))
		for k, u := range units {
			raw[2*k], raw[2*k+1] = byte(u>>8), byte(u)
		}
		sb.WriteByte('&')
		sb.WriteString(utf7Enc.EncodeToString(raw))
		sb.WriteByte('-')
		run = run[:0]
	}
	for _, r := range s {
		if r >= 0x20 && r <= 0x7e {
			flush()
			if r == '&' {
				sb.WriteString("&-")
			} else {
				sb.WriteRune(r)
			}
			continue
		}
		run = append(run, r)
	}
	flush()
	return sb.String()
}
