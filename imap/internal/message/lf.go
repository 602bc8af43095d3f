package message

import (
	"bytes"
	"slices"
)

// ParseLF is Parse for a message as mail files store it, with lines that
// end in LF (or CRLF, or a mix), for a caller that has not turned it into
// CRLF first. The parts are those Parse finds in msg with every bare LF
// (one not preceded by CR) turned into CRLF, as IMAP sends the message
// (its lines end in CRLF, RFC 5322 section 2.1, and sizes count those
// octets), without making that copy:
//
//   - Size, and so the body-fld-octets of BODY and BODYSTRUCTURE, counts
//     each bare LF as two octets; Lines is the same either way;
//   - the offsets, Header, Body and Section index msg as given, bare LFs
//     included, so what they return must be converted before it is sent;
//   - ENVELOPE is the same, since header values are unfolded.
//
// SearchText works on such a tree too; its text then has the line ends of
// msg, which no search for words can tell apart.
//
// The cost over Parse is a memchr-speed count of LFs and CRs, over
// chunks of the message while they are in the CPU cache; CRLF line ends
// are counted one by one.
func ParseLF(msg []byte) *Part {
	root := Parse(msg)
	if bytes.IndexByte(msg, '\n') < 0 {
		return root
	}
	var parts []*Part
	var walk func(p *Part)
	walk = func(p *Part) {
		parts = append(parts, p)
		for _, c := range p.Children {
			walk(c)
		}
		if p.Message != nil {
			walk(p.Message)
		}
	}
	walk(root)
	// The bare LFs before every offset where a body starts or ends, in
	// one pass over the message.
	offsets := make([]int, 0, 2*len(parts))
	for _, p := range parts {
		offsets = append(offsets, p.BodyStart, p.End)
	}
	slices.Sort(offsets)
	offsets = slices.Compact(offsets)
	before := make([]int, len(offsets))
	n, pos := 0, 0
	for k, o := range offsets {
		n += bareLFs(msg, pos, o)
		before[k] = n
		pos = o
	}
	at := func(o int) int {
		k, _ := slices.BinarySearch(offsets, o)
		return before[k]
	}
	for _, p := range parts {
		p.bareLFs = at(p.End) - at(p.BodyStart)
	}
	return root
}

// bareLFs counts the LFs in msg[start:end] that no CR precedes. It goes
// through the bytes in chunks that stay in the CPU cache between its two
// memchr-speed passes, counting LFs and CRLFs; CRLFs are counted one by
// one.
func bareLFs(msg []byte, start, end int) int {
	const chunk = 32 << 10
	n := 0
	for i := start; i < end; {
		j := min(end, i+chunk)
		b := msg[i:j]
		if lfs := bytes.Count(b, []byte{'\n'}); lfs > 0 {
			lfs -= bytes.Count(b, []byte("\r\n"))
			if i > 0 && msg[i-1] == '\r' && b[0] == '\n' {
				lfs-- // a CRLF across the start of the chunk
			}
			n += lfs
		}
		i = j
	}
	return n
}
