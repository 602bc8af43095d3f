package mbox

import (
	"bufio"
	"bytes"
	"hash/crc32"
	"io"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// This file splits an mbox file into messages. It reads lines with
// bufio.Reader.ReadSlice, so a line costs no allocation; a line longer
// than the buffer arrives in pieces, classified by its first. Bodies,
// where most bytes are, go through skim (skim.go) many lines at a time.
//
// Rules, as mutt reads mbox files:
//   - A message starts at a "From " line that is the first line of the
//     parse or follows an empty line, and whose date parseFromLine reads.
//   - The empty line before the next From_ line (or before the end of the
//     file) separates messages and is not part of either.
//   - Content-Length is ignored: it is often wrong.
//   - Header fields are read only in the header block, which ends at the
//     first empty line.

// readBuffer is the size of the parser's read buffer: large enough that
// read(2) calls cost little next to the copying, small enough that what
// was just read is still in the CPU's cache when skim looks at it.
const readBuffer = 256 << 10

// rawMsg is one message as the parser finds it. Offsets are in the file.
type rawMsg struct {
	off   int64  // the From_ line
	start int64  // the first byte after the From_ line
	end   int64  // the end of the content (the separator line excluded)
	date  int64  // from the From_ line, Unix seconds
	size  int64  // what Folder.Open returns, with CRLF line endings
	hash  uint64 // identity of the From_ line and the visible header fields
	xuid  uint32 // X-UID, or 0
	bits  uint8  // from Status and X-Status
	kw    []byte // X-Keywords values, space-separated; valid during emit

	baseOff      int64 // the X-IMAPbase line, or -1
	baseLen      int
	baseValidity uint32
	baseNext     uint32

	uwData     bool // has X-IMAP: UW's folder data pseudo-message
	uwValidity uint32
	uwNext     uint32
}

// lineKind says how a line that arrives in pieces continues.
type lineKind uint8

const (
	kindSkip   lineKind = iota // preamble before the first message
	kindFrom                   // the From_ line
	kindHidden                 // a hidden header field
	kindHeader                 // a visible header field
	kindBody                   // after the header block
)

// parser holds the state of one pass over a file.
type parser struct {
	br      *bufio.Reader
	from    int64 // where the pass started
	pos     int64 // file offset of the next line
	defDate int64 // INTERNALDATE when a From_ line has no readable date
	emit    func(*rawMsg) error

	cur       rawMsg
	in        bool // inside a message
	inHeader  bool
	prevBlank bool // the last whole line was empty
	blankLen  int
	kind      lineKind // of the current line, for its later pieces
	hidden    field    // the hidden field being read, for continuations
	lastByte  byte     // the last byte of the previous piece
	crc       uint32
	hashed    int64
	kwBuf     []byte
}

// parse reads messages from r, which yields the file from offset from on,
// and calls emit for each. A From_ line is expected at from. buf, when
// not nil, is the read buffer to use.
func parse(r io.Reader, from, defDate int64, buf *bufio.Reader, emit func(*rawMsg) error) error {
	return parseWith(r, from, defDate, buf, emit, true)
}

// parseWith is parse, with the fast path through bodies (skim) or
// without it, line by line (to test one against the other).
func parseWith(r io.Reader, from, defDate int64, buf *bufio.Reader, emit func(*rawMsg) error, fast bool) error {
	if buf == nil {
		buf = bufio.NewReaderSize(r, readBuffer)
	} else {
		buf.Reset(r)
	}
	p := parser{br: buf, from: from, pos: from, defDate: defDate, emit: emit}
	atStart := true
	for {
		if fast && atStart && p.in && !p.inHeader {
			p.skimBuffered()
		}
		piece, err := p.br.ReadSlice('\n')
		if len(piece) > 0 {
			var eerr error
			if atStart {
				eerr = p.line(piece)
			} else {
				p.more(piece)
			}
			if eerr != nil {
				return eerr
			}
			atStart = piece[len(piece)-1] == '\n'
			p.lastByte = piece[len(piece)-1]
			p.pos += int64(len(piece))
		}
		switch err {
		case nil, bufio.ErrBufferFull:
			continue
		case io.EOF:
			return p.finish()
		default:
			return err
		}
	}
}

// line handles a piece that starts a line.
func (p *parser) line(line []byte) error {
	if (p.pos == p.from || p.prevBlank) && len(line) >= 5 && string(line[:5]) == "From " {
		date, ok := parseFromLine(line)
		if ok || p.pos == p.from {
			if p.in {
				if err := p.close(p.pos); err != nil {
					return err
				}
			}
			if !ok {
				date = p.defDate
			}
			p.cur = rawMsg{off: p.pos, start: p.pos + int64(len(line)), date: date, baseOff: -1}
			p.in, p.inHeader, p.prevBlank, p.kind = true, true, false, kindFrom
			p.kwBuf = p.kwBuf[:0]
			p.crc = crc32.Update(0, fsutil.Castagnoli(), line)
			p.hashed = int64(len(line))
			return nil
		}
	}
	blank := isBlank(line)
	p.prevBlank, p.blankLen = blank, len(line)
	if !p.in {
		p.kind = kindSkip
		return nil
	}
	if p.inHeader {
		switch {
		case blank:
			p.inHeader = false
			p.kind = kindBody
		case line[0] == ' ' || line[0] == '\t':
			if p.kind == kindHidden {
				if p.hidden == fieldKeywords {
					p.kwBuf = append(append(p.kwBuf, ' '), bytes.TrimSpace(line)...)
				}
				return nil
			}
			if p.kind == kindFrom {
				p.kind = kindHeader
			}
		default:
			if f := hiddenField(line); f != fieldNone {
				p.kind, p.hidden = kindHidden, f
				p.field(f, line)
				return nil
			}
			p.kind = kindHeader
		}
	} else {
		p.kind = kindBody
	}
	p.count(line, true)
	return nil
}

// more handles a later piece of a long line.
func (p *parser) more(piece []byte) {
	switch p.kind {
	case kindFrom:
		p.cur.start += int64(len(piece))
		p.crc = crc32.Update(p.crc, fsutil.Castagnoli(), piece)
		p.hashed += int64(len(piece))
	case kindHeader, kindBody:
		p.count(piece, false)
	}
}

// count adds a visible piece to the message's size (and, in the header
// block, to its identity). A piece that starts a line and is quoted
// (">From ") loses one '>' when read; every LF that follows no CR becomes
// CRLF.
func (p *parser) count(piece []byte, atStart bool) {
	n := int64(len(piece))
	if atStart && piece[0] == '>' && quoted(piece) {
		n--
	}
	if last := len(piece) - 1; piece[last] == '\n' {
		prev := p.lastByte
		if last > 0 {
			prev = piece[last-1]
		} else if atStart {
			prev = '\n'
		}
		if prev != '\r' {
			n++
		}
	}
	p.cur.size += n
	if p.kind == kindHeader {
		p.crc = crc32.Update(p.crc, fsutil.Castagnoli(), piece)
		p.hashed += int64(len(piece))
	}
}

// field reads a hidden header field's value.
func (p *parser) field(f field, line []byte) {
	v := fieldValue(line)
	c := &p.cur
	switch f {
	case fieldStatus, fieldXStatus:
		c.bits |= statusBits(v)
	case fieldKeywords:
		if len(p.kwBuf) > 0 {
			p.kwBuf = append(p.kwBuf, ' ')
		}
		p.kwBuf = append(p.kwBuf, v...)
	case fieldUID:
		if c.xuid == 0 {
			c.xuid, _ = parseUint32(v)
		}
	case fieldBase:
		if c.baseOff < 0 {
			if a, b, ok := twoNumbers(v); ok {
				c.baseOff, c.baseLen = p.pos, len(line)
				c.baseValidity, c.baseNext = a, b
			}
		}
	case fieldUWData:
		if a, b, ok := twoNumbers(v); ok && !c.uwData {
			c.uwData, c.uwValidity, c.uwNext = true, a, b+1
		}
	}
}

// close ends the current message before the line at offset at.
func (p *parser) close(at int64) error {
	c := &p.cur
	c.end = at
	if p.prevBlank && at-int64(p.blankLen) >= c.start {
		// The empty line is the separator. It was counted as 2 bytes.
		c.end -= int64(p.blankLen)
		c.size -= 2
	}
	c.hash = uint64(p.crc)<<32 | uint64(uint32(p.hashed))
	c.kw = p.kwBuf
	p.in = false
	return p.emit(c)
}

func (p *parser) finish() error {
	if !p.in {
		return nil
	}
	return p.close(p.pos)
}
