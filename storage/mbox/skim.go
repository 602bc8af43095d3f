package mbox

import "bytes"

// This file is the parser's fast path through message bodies, where
// nearly all the bytes of a large mailbox are. A body line matters only
// if it starts a message (a From_ line after an empty line) or is quoted
// (">From "): every other line adds its length, plus one for an LF
// without CR, to RFC822.SIZE. So skim takes whole buffered lines at once:
// it finds the lines that matter and counts line endings with the
// vectorised bytes.Count and bytes.IndexByte, rather than reading line by
// line. Both kinds of line hold "From ", and attachments (base64) hold no
// space at all: in a block with few spaces, skim looks at each space;
// otherwise (text) at each line start. It stops before a line that may
// start a message, which the line-by-line parser then reads.

// skim decides about a block of bytes at once: skimFirst bytes first,
// as many bodies are short, then twice as many each time, up to
// skimBlock.
const (
	skimFirst = 1 << 10
	skimBlock = 16 << 10
)

// skimSparse: a block with fewer than one space in this many bytes is
// searched by its spaces.
const skimSparse = 64

// skim takes the whole lines at the start of buf, body lines of the
// current message that start at a line start, up to a line that may
// start a message. It returns how many bytes it took and whether it
// stopped before such a line.
func (p *parser) skim(buf []byte) (int, bool) {
	end := bytes.LastIndexByte(buf, '\n') + 1
	done := 0
	for size := skimFirst; done < end; size = min(2*size, skimBlock) {
		blk := buf[done:end]
		if len(blk) > size {
			blk = blk[:size+bytes.IndexByte(blk[size:], '\n')+1]
		}
		var n int
		var stop bool
		if bytes.Count(blk, space)*skimSparse < len(blk) {
			n, stop = p.skimSpaces(blk)
		} else {
			n, stop = p.skimLines(blk)
		}
		done += n
		if stop {
			return done, true
		}
	}
	return done, false
}

var space = []byte{' '}

// skimSpaces takes the lines of blk, which ends at a line end, up to one
// that may start a message, looking at each "From " that follows a space
// in blk.
func (p *parser) skimSpaces(blk []byte) (int, bool) {
	quotedLines := 0
	stop := -1
	for i := 0; ; {
		k := bytes.IndexByte(blk[i:], ' ')
		if k < 0 {
			break
		}
		s := i + k
		i = s + 1
		if s < 4 || string(blk[s-4:s]) != "From" {
			continue
		}
		c := s - 4
		q := c
		for q > 0 && blk[q-1] == '>' {
			q--
		}
		if q > 0 && blk[q-1] != '\n' {
			continue // not at a line start
		}
		if q < c {
			quotedLines++
			continue
		}
		if blankBefore(blk, q, p.prevBlank) {
			stop = q
			break
		}
	}
	n := len(blk)
	if stop >= 0 {
		n = stop
	}
	p.took(blk[:n], quotedLines)
	return n, stop >= 0
}

// skimLines takes the lines of blk, which ends at a line end, up to one
// that may start a message, looking at each line start.
func (p *parser) skimLines(blk []byte) (int, bool) {
	size := p.cur.size
	prevBlank, blankLen := p.prevBlank, p.blankLen
	i := 0
	for i < len(blk) {
		n := bytes.IndexByte(blk[i:], '\n') + 1
		line := blk[i : i+n]
		switch line[0] {
		case 'F':
			if prevBlank && len(line) >= 5 && string(line[:5]) == "From " {
				p.cur.size, p.prevBlank, p.blankLen = size, prevBlank, blankLen
				return i, true
			}
		case '>':
			if quoted(line) {
				size--
			}
		}
		size += int64(n)
		if n < 2 || line[n-2] != '\r' {
			size++
		}
		prevBlank, blankLen = n == 1 || (n == 2 && line[0] == '\r'), n
		i += n
	}
	p.cur.size, p.prevBlank, p.blankLen = size, prevBlank, blankLen
	return i, false
}

// took adds whole lines b, quotedLines of them quoted, to the message.
func (p *parser) took(b []byte, quotedLines int) {
	if len(b) == 0 {
		return
	}
	lf := bytes.Count(b, []byte{'\n'})
	crlf := 0
	if bytes.IndexByte(b, '\r') >= 0 {
		crlf = bytes.Count(b, []byte("\r\n"))
	}
	p.cur.size += int64(len(b) + lf - crlf - quotedLines)
	last := bytes.LastIndexByte(b[:len(b)-1], '\n') + 1
	p.prevBlank, p.blankLen = isBlank(b[last:]), len(b)-last
}

// blankBefore reports whether the line before offset q of b, where a line
// starts, is empty; prevBlank says it of the line before b.
func blankBefore(b []byte, q int, prevBlank bool) bool {
	switch {
	case q == 0:
		return prevBlank
	case q == 1 || b[q-2] == '\n':
		return true
	case b[q-2] == '\r':
		return q == 2 || b[q-3] == '\n'
	}
	return false
}

// skimBuffered runs skim over what the reader holds, while it takes
// whole lines; it fills the reader when it is empty.
func (p *parser) skimBuffered() {
	for {
		n := p.br.Buffered()
		if n == 0 {
			if _, err := p.br.Peek(1); err != nil {
				return // the line-by-line parser meets the error
			}
			n = p.br.Buffered()
		}
		buf, _ := p.br.Peek(n)
		k, stop := p.skim(buf)
		if k > 0 {
			p.br.Discard(k)
			p.pos += int64(k)
			p.kind, p.lastByte = kindBody, '\n'
		}
		if stop || k < n {
			// Before a From_ line, or a line not wholly read yet.
			return
		}
	}
}
