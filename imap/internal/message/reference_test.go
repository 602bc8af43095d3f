package message

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/transform"
)

// This file keeps simple byte-at-a-time versions of the decoders that
// search.go and header.go speed up, and fuzzes the fast ones against
// them: their results must be identical.

// refUnfold is unfold as first written.
func refUnfold(v []byte) []byte {
	v = bytes.Trim(v, " \t\r\n")
	if bytes.IndexByte(v, '\n') < 0 && bytes.IndexByte(v, '\r') < 0 {
		return v
	}
	out := make([]byte, 0, len(v))
	for _, c := range v {
		if c != '\r' && c != '\n' {
			out = append(out, c)
		}
	}
	return out
}

// refDecodeBase64 skips what is not in the alphabet and stops at "=".
func refDecodeBase64(b []byte) []byte {
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

// refDecodeQP decodes quoted-printable one byte at a time.
func refDecodeQP(b []byte, underscore bool) []byte {
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

// refDecodeHeader holds white space back until it knows whether it lies
// between two encoded words.
func refDecodeHeader(value []byte) string {
	var out, space []byte
	afterWord := false
	for i := 0; i < len(value); {
		if value[i] == '=' && i+1 < len(value) && value[i+1] == '?' {
			if text, n, ok := refDecodeWord(value[i:]); ok {
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

// refDecodeWord splits the whole token at "=?" into its parts.
func refDecodeWord(b []byte) (text []byte, n int, ok bool) {
	end := 2
	for end < len(b) && b[end] > ' ' && b[end] < 0x7f {
		end++
	}
	word := b[2:end] // charset?enc?text?=...
	parts := bytes.SplitN(word, []byte{'?'}, 4)
	if len(parts) != 4 || len(parts[1]) != 1 || !bytes.HasPrefix(parts[3], []byte{'='}) {
		return nil, 0, false
	}
	charset, _, _ := strings.Cut(string(parts[0]), "*")
	n = 2 + len(parts[0]) + 1 + len(parts[1]) + 1 + len(parts[2]) + 2
	switch parts[1][0] {
	case 'B', 'b':
		text = refDecodeBase64(parts[2])
	case 'Q', 'q':
		text = refDecodeQP(parts[2], true)
	default:
		return nil, 0, false
	}
	if !strings.EqualFold(charset, "utf-8") && !strings.EqualFold(charset, "us-ascii") && lookupCharset(charset) == nil {
		return nil, 0, false
	}
	return decodeCharset(text, charset), n, true
}

// refSearchText builds SearchText from the reference decoders, a piece
// at a time.
func refSearchText(msg []byte, root *Part, includeHeaders bool) []byte {
	var out []byte
	header := func(hdr []byte) {
		forEachField(hdr, func(name, value, _ []byte) bool {
			out = append(out, name...)
			out = append(out, ": "...)
			out = append(out, refDecodeHeader(refUnfold(value))...)
			out = append(out, '\n')
			return true
		})
	}
	var body func(p *Part)
	body = func(p *Part) {
		switch {
		case p.Message != nil:
			header(clip(msg, p.Message.HeaderStart, p.Message.fieldsEnd))
			body(p.Message)
			return
		case p.IsMultipart():
			for _, c := range p.Children {
				body(c)
			}
			return
		case !p.isText() && strings.EqualFold(p.Encoding, "base64"):
			return
		}
		text := clip(msg, p.BodyStart, p.End)
		switch {
		case strings.EqualFold(p.Encoding, "base64"):
			text = refDecodeBase64(text)
		case strings.EqualFold(p.Encoding, "quoted-printable"):
			text = refDecodeQP(text, false)
		}
		if p.isText() {
			charset, _ := paramValue(p.Params, "charset")
			charset = strings.TrimSpace(charset)
			if charset != "" && !strings.EqualFold(charset, "utf-8") && !strings.EqualFold(charset, "us-ascii") {
				if e := lookupCharset(charset); e != nil {
					if t, _, err := transform.Bytes(e.NewDecoder(), text); err == nil {
						text = t
					}
				}
			}
		} else if !utf8.Valid(text) {
			return
		}
		out = append(out, text...)
		out = append(out, '\n')
	}
	if includeHeaders {
		header(clip(msg, root.HeaderStart, root.fieldsEnd))
	}
	body(root)
	return out
}

func TestReferenceDecoders(t *testing.T) {
	for _, in := range []string{
		"", "=", "==", "=4", "=41", "=4g", "a=\r\nb", "a= \t\r\nb", "a=\nb", "a= x", "a=  ", "_=5F_",
		"QUJD\r\nREVG\r\n", "QUJD REVG", "QUJDR", "QUJDRA==", "QU=JD", "-QUJD-", "\r\n\r\n",
	} {
		b := []byte(in)
		for _, u := range []bool{false, true} {
			if got, want := decodeQP(b, u), refDecodeQP(b, u); !bytes.Equal(got, want) {
				t.Errorf("decodeQP(%q, %v) = %q, want %q", in, u, got, want)
			}
		}
		if got, want := decodeBase64(b), refDecodeBase64(b); !bytes.Equal(got, want) {
			t.Errorf("decodeBase64(%q) = %q, want %q", in, got, want)
		}
	}
	for _, in := range []string{
		"=?a?q?=?", "=?utf-8?q??=", "=?utf-8??x?=", "=?utf-8?qq?x?=", "=? a?q?x?=", "=?utf-8?q?a b?=",
		"=?utf-8?q?a?b?=", "=?utf-8?q?a?", "=?utf-8?q?a?=?utf-8?b?Yg==?=", "x =?utf-8?q?a?=\t=?iso-8859-1?q?=E9?= y",
		"=?=?=?=?utf-8?q?z?=", "=?utf-8*de?q?a?=", "=?UTF-8?B?w6k?=",
	} {
		if got, want := DecodeHeader([]byte(in)), refDecodeHeader([]byte(in)); got != want {
			t.Errorf("DecodeHeader(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzDecoders compares the decoders with their reference versions, and
// SearchText with one built from them.
func FuzzDecoders(f *testing.F) {
	for _, s := range []string{
		"=?UTF-8?B?SGVsbG8=?= world", "=?iso-8859-1?q?caf=E9?=", "a =?utf-8?q?x?= \t =?utf-8?q?y?= b ",
		"=?", "=?a?b?c?=", "a=\r\nb=3D=3d=\n=", "QUJD\r\nREVG\r\n==", " x\r\n\ty \r\n", "=?utf-8?q?a_b?=_",
		"=?a?q?=?", "=?utf-8?q??=", "=?utf-8?qq?x?=", "=?=?=?=?utf-8?q?z?=", "=?utf-8?q?a?b?=",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, u := range []bool{false, true} {
			if got, want := decodeQP(b, u), refDecodeQP(b, u); !bytes.Equal(got, want) {
				t.Fatalf("decodeQP(%q, %v) = %q, want %q", b, u, got, want)
			}
		}
		if got, want := decodeBase64(b), refDecodeBase64(b); !bytes.Equal(got, want) {
			t.Fatalf("decodeBase64(%q) = %q, want %q", b, got, want)
		}
		if got, want := unfold(b), refUnfold(b); !bytes.Equal(got, want) || (got == nil) != (want == nil) {
			t.Fatalf("unfold(%q) = %q, want %q", b, got, want)
		}
		if got, want := string(appendUnfolded([]byte("x"), b)), "x"+string(refUnfold(b)); got != want {
			t.Fatalf("appendUnfolded(%q) = %q, want %q", b, got, want)
		}
		if got, want := DecodeHeader(b), refDecodeHeader(b); got != want {
			t.Fatalf("DecodeHeader(%q) = %q, want %q", b, got, want)
		}
		for _, enc := range []string{"base64", "quoted-printable", "8bit"} {
			for _, ctype := range []string{"text/plain; charset=utf-8", "text/html; charset=iso-8859-1",
				"text/plain; charset=gb2312", "application/json"} {
				msg := []byte("Subject: " + string(b) + "\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" +
					"Content-Type: " + ctype + "\r\nContent-Transfer-Encoding: " + enc + "\r\n\r\n" +
					string(b) + "\r\n--b--\r\n")
				root := Parse(msg)
				for _, h := range []bool{false, true} {
					if got, want := SearchText(msg, root, h), refSearchText(msg, root, h); !bytes.Equal(got, want) {
						t.Fatalf("SearchText(%q, %v) =\n%q, want\n%q", msg, h, got, want)
					}
				}
			}
		}
	})
}
