package message

import (
	"bytes"
	"encoding/base64"
	"strings"
)

// BinaryPart returns what FETCH BINARY[path] returns (RFC 3516 section
// 4.1): with no path the whole message as it is; else the body of the
// part path names with its Content-Transfer-Encoding undone (base64,
// quoted-printable; 7bit, 8bit and binary as they are). found is false
// when the message has no such part, known false when its encoding is
// one BINARY cannot undo (the UNKNOWN-CTE response code). The result
// may share msg's bytes.
func BinaryPart(msg []byte, root *Part, path []int) (data []byte, found, known bool) {
	if root == nil {
		return nil, false, true
	}
	if len(path) == 0 {
		return clip(msg, root.HeaderStart, root.End), true, true
	}
	p := resolve(root, path)
	if p == nil {
		return nil, false, true
	}
	body := clip(msg, p.BodyStart, p.End)
	if p.IsMultipart() || p.Message != nil {
		return body, true, true
	}
	return DecodeBinary(body, p.Encoding)
}

// DecodeBinary undoes the Content-Transfer-Encoding enc of body; known
// is false for an encoding it does not know (found is always true).
func DecodeBinary(body []byte, enc string) (data []byte, found, known bool) {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "", "7bit", "8bit", "binary":
		return body, true, true
	case "base64":
		return appendBase64(nil, body), true, true
	case "quoted-printable":
		return appendQP(nil, trimLineEnds(body), false), true, true
	}
	return nil, true, false
}

// trimLineEnds removes the white space at the end of every line, which
// a quoted-printable decoder must delete (RFC 2045 section 6.7, rule 3).
func trimLineEnds(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		line, rest, found := bytes.Cut(b, []byte("\n"))
		eol := ""
		if found {
			eol = "\n"
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line, eol = line[:n-1], "\r\n"
			}
		}
		out = append(append(out, bytes.TrimRight(line, " \t")...), eol...)
		b = rest
	}
	return out
}

// EncodeBinaryParts returns msg with every part that an IMAP message
// cannot carry as it is (Content-Transfer-Encoding binary, or a NUL
// octet in its body) encoded in base64, its Content-Transfer-Encoding
// field saying so, so that the message can be stored and sent as text
// while BINARY still returns the part's exact octets (RFC 3516 section
// 4.2: APPEND of a literal8). changed is false, and msg returned, when
// no part needed it.
func EncodeBinaryParts(msg []byte) (out []byte, changed bool) {
	root := Parse(msg)
	var parts []*Part
	var walk func(p *Part, depth int)
	walk = func(p *Part, depth int) {
		switch {
		case depth > maxDepth:
		case p.Message != nil:
			walk(p.Message, depth+1)
		case p.IsMultipart():
			for _, c := range p.Children {
				walk(c, depth+1)
			}
		case strings.EqualFold(strings.TrimSpace(p.Encoding), "binary") ||
			bytes.IndexByte(clip(msg, p.BodyStart, p.End), 0) >= 0:
			parts = append(parts, p)
		}
	}
	walk(root, 0)
	if len(parts) == 0 {
		return msg, false
	}
	out = make([]byte, 0, len(msg)+len(msg)/3+64)
	at := 0
	for _, p := range parts {
		if p.HeaderStart < at {
			continue
		}
		out = append(out, msg[at:p.HeaderStart]...)
		out = appendCTEBase64(out, clip(msg, p.HeaderStart, p.BodyStart))
		body := clip(msg, p.BodyStart, p.End)
		for len(body) > 0 {
			n := min(len(body), 57) // 76 characters a line
			out = base64.StdEncoding.AppendEncode(out, body[:n])
			body = body[n:]
			if len(body) > 0 || p == root {
				out = append(out, "\r\n"...)
			}
		}
		at = p.End
	}
	return append(out, msg[at:]...), true
}

// appendCTEBase64 appends the header hdr (its fields and the empty line
// that ends it, if any) with its Content-Transfer-Encoding fields
// replaced by one saying base64.
func appendCTEBase64(dst, hdr []byte) []byte {
	const field = "Content-Transfer-Encoding: base64\r\n"
	skipping := false
	for len(hdr) > 0 {
		line, rest, found := bytes.Cut(hdr, []byte("\n"))
		if found {
			line = hdr[:len(line)+1]
		}
		hdr = rest
		switch {
		case isBlankLine(line):
			dst = append(append(dst, field...), line...)
			return append(dst, hdr...)
		case len(line) > 0 && (line[0] == ' ' || line[0] == '\t'):
			if skipping {
				continue
			}
		default:
			name, _, _ := bytes.Cut(line, []byte(":"))
			skipping = equalFoldASCII(bytes.TrimSpace(name), "Content-Transfer-Encoding")
			if skipping {
				continue
			}
		}
		dst = append(dst, line...)
	}
	// A header without its empty line: the message ends with it.
	if n := len(dst); n > 0 && dst[n-1] != '\n' {
		dst = append(dst, "\r\n"...)
	}
	return append(dst, field+"\r\n"...)
}
