// Package message knows what the IMAP FETCH and SEARCH commands need to
// know about one RFC 5322 / MIME message, and writes IMAP wire syntax
// (RFC 3501 sections 7.4.2 and 9) directly.
//
// Parse builds a tree of Parts holding byte offsets into the message, so
// that sections are sub-slices of the original bytes and nothing is
// copied or decoded until asked for. ParseLF does the same for a message
// still in its stored form, with bare LF line ends, and counts sizes as
// they are with CRLF. ParseReader and Searcher read a message front to
// back instead, never holding it whole, for BODYSTRUCTURE and SEARCH
// BODY/TEXT of messages of any size. AppendBodyStructure writes BODY and
// BODYSTRUCTURE, AppendEnvelope writes ENVELOPE, Section extracts a
// BODY[section], and SearchText, Searcher, DecodeHeader, HeaderValues
// and ParseDate serve SEARCH.
//
// Design notes:
//
//   - Input is a whole message, normally with CRLF line endings; bare LF,
//     a missing empty line after the header, a missing closing boundary
//     and plain garbage are tolerated. Nothing here panics on any input,
//     every loop consumes input, nesting is cut at 100 levels and a
//     message yields at most 10,000 parts, so work and memory stay
//     proportional to the input.
//   - ParseReader and Searcher find what Parse and SearchText find in
//     the same bytes (fuzz tests hold them to it), within the bounds of
//     stream.go: a read buffer, one part's header and one line at most.
//   - Values are sent as the message writes them: the case of media types
//     and parameters is kept, encoded words are not decoded, and a value
//     that cannot be a quoted string (8-bit, CR, LF, long) is a literal.
//   - A Part and its message bytes are read-only after Parse and safe to
//     share between goroutines.
//   - Speed: bodies are crossed by one bytes.Index per multipart level,
//     which for base64 is a memchr for a '-' it never finds; headers are
//     read line by line, and nothing is allocated per line. Parsing a
//     message costs less than reading it, so how the caller reads it
//     (into a reused buffer, without a CRLF copy: see ParseLF) decides
//     first-touch FETCH and SEARCH times.
package message

import (
	"bytes"
	"strings"
)

const (
	// maxDepth is how deep multiparts and embedded messages nest before
	// the parser stops descending.
	maxDepth = 100
	// maxParts caps the parts of one message; boundaries past it are
	// ignored.
	maxParts = 10000
)

// Part is one MIME entity: a whole message, a body part of a multipart,
// or a message embedded in a message/rfc822 part. Offsets index the
// message given to Parse. Strings are as written in the message; empty
// means the field is absent.
type Part struct {
	// HeaderStart is where the part's header starts, BodyStart where its
	// body starts (past the empty line ending the header, when there is
	// one) and End where the body ends. For a body part of a multipart the
	// line ending before the next boundary belongs to the boundary, not to
	// the part (RFC 2046 section 5.1.1).
	HeaderStart, BodyStart, End int

	// Type and Subtype are the media type as written, or TEXT/PLAIN (and
	// MESSAGE/RFC822 in a multipart/digest) when Content-Type is missing
	// or unreadable.
	Type, Subtype string
	// Params are the Content-Type parameters in order.
	Params []Param

	ID          string // Content-ID
	Description string // Content-Description, not decoded
	Encoding    string // Content-Transfer-Encoding
	Disposition string // Content-Disposition type
	// DispositionParams are the Content-Disposition parameters in order.
	DispositionParams []Param
	Language          []string // Content-Language tags
	Location          string   // Content-Location
	MD5               string   // Content-MD5

	// Children are the body parts of a multipart, in order.
	Children []*Part
	// Message is the embedded message of a message/rfc822 or
	// message/global part, a root Part of its own whose offsets still
	// index the outer message.
	Message *Part

	src       []byte // the message given to Parse; nil from ParseReader
	fieldsEnd int    // end of the last header field
	bareLFs   int    // ParseLF: the bare LFs in the body, sent as CRLF

	// ParseReader keeps no message bytes, so it counts the lines as it
	// reads and keeps an embedded message's header fields for ENVELOPE.
	lines  int
	fields []byte
}

// Parse reads msg into a tree of parts. It never fails: whatever msg
// holds, the result is a usable root Part. The Part keeps a reference to
// msg, which must not change afterwards.
func Parse(msg []byte) *Part {
	p := parser{src: msg}
	root := new(Part)
	p.part(root, 0, len(msg), 0, false)
	return root
}

// Header returns the part's header, including the empty line that ends
// it when there is one.
func (p *Part) Header() []byte { return clip(p.src, p.HeaderStart, p.BodyStart) }

// Body returns the part's body, still in its transfer encoding.
func (p *Part) Body() []byte { return clip(p.src, p.BodyStart, p.End) }

// Size returns the size of the body in octets (body-fld-octets). For a
// part from ParseLF it counts each bare LF as CRLF.
func (p *Part) Size() int { return p.End - p.BodyStart + p.bareLFs }

// Lines returns the number of lines in the body (body-fld-lines): line
// feeds, plus one for a last line that has none.
func (p *Part) Lines() int {
	if p.src == nil {
		return p.lines
	}
	return countLines(p.Body())
}

// headerFields returns the part's header up to the end of its last field.
func (p *Part) headerFields() []byte {
	if p.src == nil {
		return p.fields
	}
	return clip(p.src, p.HeaderStart, p.fieldsEnd)
}

// IsMultipart reports whether the part is a multipart/*.
func (p *Part) IsMultipart() bool { return strings.EqualFold(p.Type, "multipart") }

// isText reports whether the part is a text/*.
func (p *Part) isText() bool { return strings.EqualFold(p.Type, "text") }

// countLines counts the lines of b.
func countLines(b []byte) int {
	n := bytes.Count(b, []byte{'\n'})
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n
}

// parser holds what one Parse call shares between parts.
type parser struct {
	src   []byte
	parts int
	// regions is a stack of the body part regions of the multiparts
	// being parsed; each level appends its own and truncates them away.
	regions [][2]int
	// unfolded and delim are scratch space for a header value and a
	// delimiter line.
	unfolded, delim []byte
}

// part fills p with the entity in src[start:end]. digest says the
// entity is a body part of a multipart/digest, where the default type is
// message/rfc822 (RFC 2046 section 5.1.5).
func (ps *parser) part(p *Part, start, end, depth int, digest bool) {
	ps.parts++
	p.src, p.HeaderStart, p.End = ps.src, start, end
	fields, body := scanHeader(ps.src[start:end])
	p.fieldsEnd, p.BodyStart = start+fields, start+body
	kind, boundary := ps.describe(p, ps.src[start:p.fieldsEnd], depth, digest)
	switch kind {
	case bodyMessage:
		p.Message = new(Part)
		ps.part(p.Message, p.BodyStart, end, depth+1, false)
	case bodyMultipart:
		if boundary == "" {
			break
		}
		digest := strings.EqualFold(p.Subtype, "digest")
		ps.delim = append(append(ps.delim[:0], "--"...), boundary...)
		base := len(ps.regions)
		ps.regions = splitMultipart(ps.regions, ps.src, p.BodyStart, end, ps.delim)
		n := len(ps.regions) - base
		// Each child counts at least one part, so no more than m of them
		// are made: one allocation for them all. Nested multiparts push
		// their regions above base+n and pop them before returning.
		if m := min(n, maxParts-ps.parts); m > 0 {
			children := make([]Part, m)
			p.Children = make([]*Part, 0, m)
			for k := 0; k < n && ps.parts < maxParts; k++ {
				r := ps.regions[base+k]
				ps.part(&children[k], r[0], r[1], depth+1, digest)
				p.Children = append(p.Children, &children[k])
			}
		}
		ps.regions = ps.regions[:base]
	}
}

// bodyKind says what a part's body holds, and so how it is read.
type bodyKind uint8

const (
	// bodyLeaf: content (text, an attachment), or a container nested
	// too deep to descend into.
	bodyLeaf bodyKind = iota
	// bodyMessage: an embedded message (message/rfc822 or
	// message/global).
	bodyMessage
	// bodyMultipart: body parts between delimiter lines.
	bodyMultipart
)

// describe sets p's MIME fields from its header fields (the header up to
// the end of its last field) and says what its body holds; for a
// multipart, boundary is its boundary parameter, "" when it has none.
// Parse and ParseReader share it, so that they describe parts alike.
func (ps *parser) describe(p *Part, fields []byte, depth int, digest bool) (kind bodyKind, boundary string) {
	var ctype []byte
	haveType := false
	forEachField(fields, func(name, value, _ []byte) bool {
		if len(name) <= 8 || !equalFoldASCII(name[:8], "content-") {
			return true
		}
		switch n := name[8:]; {
		case equalFoldASCII(n, "type"):
			if !haveType {
				// Parsed below, once the scratch space is free.
				ctype, haveType = value, true
			}
		case equalFoldASCII(n, "id"):
			if p.ID == "" {
				p.ID = string(ps.unfold(value))
			}
		case equalFoldASCII(n, "description"):
			if p.Description == "" {
				p.Description = string(ps.unfold(value))
			}
		case equalFoldASCII(n, "transfer-encoding"):
			if p.Encoding == "" {
				p.Encoding = firstToken(ps.unfold(value))
			}
		case equalFoldASCII(n, "disposition"):
			if p.Disposition == "" {
				p.Disposition, p.DispositionParams = parseDisposition(ps.unfold(value))
			}
		case equalFoldASCII(n, "language"):
			if p.Language == nil {
				p.Language = parseLanguage(ps.unfold(value))
			}
		case equalFoldASCII(n, "location"):
			if p.Location == "" {
				p.Location = string(ps.unfold(value))
			}
		case equalFoldASCII(n, "md5"):
			if p.MD5 == "" {
				p.MD5 = string(ps.unfold(value))
			}
		}
		return true
	})

	var ok bool
	p.Type, p.Subtype, p.Params, ok = parseContentType(ps.unfold(ctype))
	switch {
	case ok:
	case digest && !haveType:
		p.Type, p.Subtype = "MESSAGE", "RFC822"
	default:
		p.Type, p.Subtype = "TEXT", "PLAIN"
		p.Params = []Param{{Name: "CHARSET", Value: "US-ASCII"}}
	}

	isMessage := strings.EqualFold(p.Type, "message") &&
		(strings.EqualFold(p.Subtype, "rfc822") || strings.EqualFold(p.Subtype, "global"))
	if (isMessage || p.IsMultipart()) && depth >= maxDepth {
		// Too deep to describe: hand the rest over as opaque data.
		p.Type, p.Subtype, p.Params = "APPLICATION", "OCTET-STREAM", nil
		return bodyLeaf, ""
	}
	switch {
	case isMessage:
		return bodyMessage, ""
	case p.IsMultipart():
		boundary, _ = paramValue(p.Params, "boundary")
		return bodyMultipart, boundary
	}
	return bodyLeaf, ""
}

// unfold unfolds a header value into the parser's scratch space, valid
// until the next call.
func (ps *parser) unfold(v []byte) []byte {
	ps.unfolded = appendUnfolded(ps.unfolded[:0], v)
	return ps.unfolded
}

// splitMultipart appends to regions the [start, end) regions of the
// body parts between the delimiter lines ("--boundary", given as delim)
// in src[start:end], at most maxParts of them. The preamble and epilogue
// are left out; a missing closing delimiter ends the last part at end.
func splitMultipart(regions [][2]int, src []byte, start, end int, delim []byte) [][2]int {
	base := len(regions)
	partStart := -1
	for i := start; i < end; {
		j := bytes.Index(src[i:end], delim)
		if j < 0 {
			break
		}
		at := i + j
		i = at + 1
		if at > start && src[at-1] != '\n' {
			continue
		}
		closing, next, ok := delimiterLine(src[:end], at+len(delim))
		if !ok {
			continue
		}
		if partStart >= 0 {
			e := at
			if e > partStart && src[e-1] == '\n' {
				e--
				if e > partStart && src[e-1] == '\r' {
					e--
				}
			}
			regions = append(regions, [2]int{partStart, e})
			if len(regions)-base >= maxParts {
				return regions
			}
		}
		if closing {
			return regions
		}
		partStart, i = next, next
	}
	if partStart >= 0 {
		regions = append(regions, [2]int{partStart, end})
	}
	return regions
}

// delimiterLine checks what follows "--boundary" at src[i:]: "--" makes
// it the closing delimiter; otherwise only white space may follow up to
// the end of the line. next is where the following line starts.
func delimiterLine(src []byte, i int) (closing bool, next int, ok bool) {
	if i+1 < len(src) && src[i] == '-' && src[i+1] == '-' {
		return true, lineEnd(src, i), true
	}
	for ; i < len(src); i++ {
		switch src[i] {
		case ' ', '\t', '\r':
		case '\n':
			return false, i + 1, true
		default:
			return false, 0, false
		}
	}
	return false, len(src), true
}
