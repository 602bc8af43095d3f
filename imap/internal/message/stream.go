package message

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// Bounds on what ParseReader and Searcher hold of a message at a time.
// Within them they find exactly what Parse finds in the same bytes;
// beyond them (a header of more than a megabyte, a line of more than a
// megabyte that begins like a delimiter or a header field) the rest of
// the header is not looked at and the line is taken as neither.
const (
	// maxHeaderBytes is how much of a part's header is kept.
	maxHeaderBytes = 1 << 20
	// maxLineBytes is how much of one line is held to classify it.
	maxLineBytes = 1 << 20
	// readSize is how much is asked of the reader at a time.
	readSize = 32 << 10
)

// walkers holds walkers, with their read buffers and frames, between
// messages.
var walkers = sync.Pool{New: func() any { return &walker{buf: make([]byte, 2*readSize)} }}

// ParseReader is ParseLF for a message read from r, front to back, once,
// holding no more of it than a read buffer and the header of each part
// being read (see maxHeaderBytes): FETCH BODYSTRUCTURE of a message of
// hundreds of megabytes needs no more memory than of a small one. Sizes
// count a bare LF as CRLF, as ParseLF does.
//
// The parts carry no message bytes: their descriptions, Size, Lines and
// AppendBodyStructure are those of ParseLF(the bytes of r), while
// Header, Body and Section are empty. The error is r's, other than
// io.EOF; the tree then describes what was read.
func ParseReader(r io.Reader) (*Part, error) {
	return parseReader(r, readSize)
}

// parseReader is ParseReader asking r for chunk bytes at a time; tests
// use small chunks to cross every boundary.
func parseReader(r io.Reader, chunk int) (*Part, error) {
	w := newWalker(r, chunk, nil)
	defer w.close()
	w.sizes = true
	root := w.run()
	return root, w.err
}

// sink receives, while a walker reads, what SEARCH looks in, in the
// order SearchText puts it.
type sink interface {
	// header: the header fields of the message (root) or of a message
	// embedded in it.
	header(fields []byte, root bool)
	// leafStart: the content of a part that is neither a multipart nor
	// an embedded message follows, through content, until leafEnd.
	leafStart(p *Part)
	content(b []byte)
	leafEnd()
	// done reports that nothing more is needed.
	done() bool
}

// walker reads a message front to back and finds its parts as Parse
// finds them in the same bytes. Parse describes a part only once it
// knows the part's region, and splits a multipart before it looks into
// its body parts. Read front to back, a region ends at the delimiter
// line of an enclosing multipart, and the line break before that line
// belongs to the delimiter (RFC 2046 section 5.1.1), so the walker
// holds that line break back from the content it hands on until it has
// seen the next line (see hold), and it corrects counts when a region
// turns out to have ended a line early (see endFrames).
type walker struct {
	ps    parser // describe's scratch space and the count of parts
	r     io.Reader
	err   error // r's error, other than io.EOF
	eof   bool  // r has nothing more
	chunk int   // bytes asked of r at a time
	buf   []byte
	off   int // buf[off:end] is read and not consumed yet
	end   int

	// pos is the offset of buf[off] in the message, and last holds the
	// bytes before it, last[0] first. With sizes, lfs and bare count the
	// LFs and the bare LFs in buf[:counted] and before it, a window at a
	// time (see count).
	pos         int
	last        [3]byte
	sizes       bool
	lfs, bare   int
	counted     int
	countedPrev byte // the byte before buf[counted]
	// lineStart: pos starts a line not yet checked for a delimiter.
	lineStart bool
	// held is content consumed but not handed on yet: the line break
	// before a line that may be a delimiter (see hold).
	held  [3]byte
	nheld int

	frames []*frame
	free   []*frame // frames to reuse
	active int      // frames whose delimiter lines are looked for
	sink   sink
	// header holds the header of the top frame while it is read: only
	// the innermost part can be in its header.
	header []byte
}

// frame is one part being read: the innermost is last in walker.frames.
type frame struct {
	part   *Part // nil for a body part past maxParts: read, not described
	depth  int
	digest bool // a body part of a multipart/digest
	kind   bodyKind
	inBody bool // the header has ended
	// embedded: the part is a message embedded in a message/rfc822
	// part, whose header is body text for SEARCH.
	embedded bool

	start, fieldsEnd int
	seen             bool // a header field has been seen (as in scanHeader)
	skipLine         bool // the rest of an over-long header line is being skipped
	// crcr is where a "\r\r\n" line that ended the header starts, or -1:
	// if the region ends right after it, Parse takes its CR for a blank
	// line ending the header.
	crcr int

	bodyStart, bodyLFs, bodyBare int

	delim     []byte // "--boundary" of a multipart; nil when it has none
	state     partState
	regions   int // body part regions ended
	partStart int // where the current body part's region starts
}

// partState is where a multipart's body is.
type partState uint8

const (
	preamble partState = iota
	inPart
	epilogue
)

// mark is a position in the message with the counts before it, where a
// region ends.
type mark struct {
	pos, lfs, bare int
	prev           byte // the byte before pos
}

func newWalker(r io.Reader, chunk int, s sink) *walker {
	w := walkers.Get().(*walker)
	buf, free, frames, header := w.buf, w.free, w.frames[:0], w.header[:0]
	*w = walker{r: r, chunk: chunk, sink: s, buf: buf, free: free, frames: frames, header: header}
	return w
}

// close gives the walker back for another message.
func (w *walker) close() {
	w.r, w.sink = nil, nil
	for _, f := range w.frames {
		w.freeFrame(f)
	}
	w.frames = w.frames[:0]
	if cap(w.buf) <= 4*readSize && cap(w.header) <= 4*readSize {
		walkers.Put(w)
	}
}

// newFrame returns a frame for a part whose region starts at start.
func (w *walker) newFrame(p *Part, depth, start int) *frame {
	f := &frame{}
	if n := len(w.free); n > 0 {
		f, w.free = w.free[n-1], w.free[:n-1]
	}
	*f = frame{part: p, depth: depth, start: start, crcr: -1}
	return f
}

func (w *walker) freeFrame(f *frame) {
	*f = frame{}
	w.free = append(w.free, f)
}

// run reads the message and returns its root part.
func (w *walker) run() *Part {
	root := new(Part)
	w.ps.parts++
	w.frames = append(w.frames, w.newFrame(root, 0, 0))
	for w.sink == nil || !w.sink.done() {
		if w.off == w.end && !w.fill() {
			break
		}
		if !w.step() && !w.fill() {
			w.eof = true
		}
	}
	if w.sink == nil || !w.sink.done() {
		w.release()
		w.endFrames(0, w.here())
	}
	return root
}

// count brings lfs and bare up to pos.
func (w *walker) count() {
	if !w.sizes || w.counted == w.off {
		return
	}
	b := w.buf[w.counted:w.off]
	if lfs := bytes.Count(b, []byte{'\n'}); lfs > 0 {
		crlfs := bytes.Count(b, []byte("\r\n"))
		if b[0] == '\n' && w.countedPrev == '\r' {
			crlfs++ // a CRLF across the previous count
		}
		w.lfs += lfs
		w.bare += lfs - crlfs
	}
	w.countedPrev = b[len(b)-1]
	w.counted = w.off
}

// here returns the mark at pos.
func (w *walker) here() mark {
	w.count()
	return mark{w.pos, w.lfs, w.bare, w.last[0]}
}

// fill reads more of the message, keeping what is not consumed; it
// reports false when nothing more came.
func (w *walker) fill() bool {
	if w.eof {
		return false
	}
	if w.off > 0 {
		w.count()
		w.end = copy(w.buf, w.buf[w.off:w.end])
		w.off, w.counted = 0, 0
	}
	if w.end == len(w.buf) {
		w.buf = append(w.buf[:w.end], make([]byte, len(w.buf))...)
	}
	for {
		n, err := w.r.Read(w.buf[w.end:min(len(w.buf), w.end+w.chunk)])
		w.end += n
		if err != nil {
			if err != io.EOF {
				w.err = err
			}
			w.eof = true
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// step consumes some of what has been read; it reports false when it
// needs more to go on (never at the end of the message).
func (w *walker) step() bool {
	if w.lineStart {
		if w.active > 0 && w.buf[w.off] == '-' {
			matched, ok := w.delimiter()
			if !ok {
				return false
			}
			if matched {
				return true
			}
		}
		w.release()
		w.lineStart = false
	}
	f := w.frames[len(w.frames)-1]
	if f.inBody {
		return w.body(f)
	}
	return w.headerLine(f)
}

// peekLine returns the line at pos through its LF: all of it, its first
// maxLineBytes (cut), or the rest of the message. ok is false when more
// must be read to tell.
func (w *walker) peekLine() (line []byte, cut, ok bool) {
	data := w.buf[w.off:w.end]
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return data[:i+1], false, true
	}
	if len(data) >= maxLineBytes {
		return data[:maxLineBytes], true, true
	}
	return data, false, w.eof
}

// consume moves past n bytes.
func (w *walker) consume(n int) {
	if n == 0 {
		return
	}
	b := w.buf[w.off : w.off+n]
	switch n {
	case 1:
		w.last = [3]byte{b[0], w.last[0], w.last[1]}
	case 2:
		w.last = [3]byte{b[1], b[0], w.last[0]}
	default:
		w.last = [3]byte{b[n-1], b[n-2], b[n-3]}
	}
	w.pos += n
	w.off += n
}

// content hands b, content of the top frame f, on to the sink.
func (w *walker) content(f *frame, b []byte) {
	if len(b) > 0 && w.sink != nil && f.part != nil && f.kind == bodyLeaf && f.inBody {
		w.sink.content(b)
	}
}

// hold keeps b, the end of what was just consumed, from the sink until
// the next line is known not to end the region.
func (w *walker) hold(b []byte) {
	w.nheld = copy(w.held[:], b)
}

// release hands held content on: the region goes on.
func (w *walker) release() {
	if w.nheld > 0 {
		w.content(w.frames[len(w.frames)-1], w.held[:w.nheld])
		w.nheld = 0
	}
}

// dashes begin every delimiter line.
var dashes = []byte("--")

// body consumes content of the top frame up to the next line that may
// be a delimiter line.
func (w *walker) body(f *frame) bool {
	data := w.buf[w.off:w.end]
	if w.active == 0 {
		w.content(f, data)
		w.consume(len(data))
		return true
	}
	// A "--" at data[0] is not at a line start, or was looked at.
	for from := 1; from < len(data); {
		j := bytes.Index(data[from:], dashes)
		if j < 0 {
			break
		}
		i := from + j - 1 // the LF before a line that may be a delimiter line
		if data[i] != '\n' {
			from += j + 1
			continue
		}
		// A CR before the LF is never left consumed on its own (see
		// below), so the line break is all in data.
		t := i
		if t > 0 && data[t-1] == '\r' {
			t--
		}
		w.content(f, data[:t])
		w.hold(data[t : i+1])
		w.consume(i + 1)
		w.lineStart = true
		return true
	}
	// Keep what may begin a "\r\n--" that the next read completes.
	n := len(data)
	if !w.eof {
		switch {
		case n >= 2 && data[n-2] == '\n' && data[n-1] == '-':
			n -= 2
		case data[n-1] == '\n':
			n--
		}
		if n > 0 && data[n-1] == '\r' {
			n--
		}
	}
	if n == 0 {
		return false
	}
	w.content(f, data[:n])
	w.consume(n)
	return true
}

// headerLine reads one line of the top frame's header, deciding as
// scanHeader does whether the header goes on.
func (w *walker) headerLine(f *frame) bool {
	if f.skipLine {
		data := w.buf[w.off:w.end]
		n := len(data)
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			n, f.skipLine = i+1, false
			w.lineStart = true
		}
		w.consume(n)
		return true
	}
	line, cut, ok := w.peekLine()
	if !ok {
		return false
	}
	switch {
	case isBlankLine(line):
		f.fieldsEnd = w.pos
		w.consume(len(line))
		w.lineStart = true
		w.endHeader(f, w.here())
		return true
	case isWSP(line[0]):
		if !f.seen {
			w.bodyAt(f, line)
			return true
		}
	case isFieldLine(line):
		f.seen = true
	case w.pos == f.start && bytes.HasPrefix(line, []byte("From ")):
		// An mbox separator left in front of the message.
	default:
		w.bodyAt(f, line)
		return true
	}
	if n := min(len(line), maxHeaderBytes-len(w.header)); n > 0 {
		w.header = append(w.header, line[:n]...)
	}
	w.consume(len(line))
	w.lineStart = line[len(line)-1] == '\n'
	f.skipLine = cut
	return true
}

// bodyAt ends f's header before line, a line that is not part of it.
func (w *walker) bodyAt(f *frame, line []byte) {
	if string(line) == "\r\r\n" {
		f.crcr = w.pos
	}
	f.fieldsEnd = w.pos
	w.endHeader(f, w.here())
	if f.crcr == w.pos && f.kind == bodyLeaf && w.active > 0 {
		// If the region ends after this line, the body is empty.
		w.hold(line)
		w.consume(len(line))
	}
	// Look at the line again: it may be the first delimiter line of the
	// multipart whose header it ended.
	w.lineStart = true
}

// endHeader describes f, whose header has ended, and starts its body at
// body.
func (w *walker) endHeader(f *frame, body mark) {
	f.inBody = true
	f.bodyStart, f.bodyLFs, f.bodyBare = body.pos, body.lfs, body.bare
	p := f.part
	if p == nil {
		return
	}
	header := w.header
	w.header = w.header[:0]
	kind, boundary := w.ps.describe(p, header, f.depth, f.digest)
	f.kind = kind
	if w.sink != nil && (f.embedded || len(w.frames) == 1) {
		w.sink.header(header, !f.embedded)
	}
	if f.embedded && w.sizes {
		p.fields = bytes.Clone(header)
	}
	switch {
	case kind == bodyMessage:
		p.Message = new(Part)
		w.ps.parts++
		child := w.newFrame(p.Message, f.depth+1, body.pos)
		child.embedded = true
		w.frames = append(w.frames, child)
	case kind == bodyMultipart && boundary != "":
		f.delim = append([]byte("--"), boundary...)
		w.active++
	case kind == bodyLeaf && w.sink != nil:
		w.sink.leafStart(p)
	}
}

// delimiter checks whether the line at pos is a delimiter line of an
// open multipart, the outermost first, and acts on it. ok is false when
// more of the line must be read to tell.
func (w *walker) delimiter() (matched, ok bool) {
	line, cut, ok := w.peekLine()
	if !ok {
		return false, false
	}
	for k, f := range w.frames {
		if f.delim == nil || f.state == epilogue || !bytes.HasPrefix(line, f.delim) {
			continue
		}
		closing, next, isDelim := delimiterLine(line, len(f.delim))
		if isDelim && (closing || !cut) {
			w.split(k, f, closing, next)
			return true, true
		}
	}
	return false, true
}

// split acts on a delimiter line of f, frames[k]: the current body part
// ends before it and, unless the line closes the multipart, the next one
// begins after it (see splitMultipart).
func (w *walker) split(k int, f *frame, closing bool, next int) {
	if f.state == inPart {
		w.nheld = 0 // the line break before the line is the delimiter's
		w.endFrames(k+1, w.regionEnd(f.partStart))
		if f.regions++; f.regions >= maxParts {
			f.state = epilogue
			w.active--
			w.lineStart = false
			return
		}
	}
	if closing {
		f.state = epilogue
		w.active--
		w.consume(len(f.delim) + 2)
		w.lineStart = false
		return
	}
	w.consume(next)
	w.lineStart = true
	f.state, f.partStart = inPart, w.pos
	child := w.newFrame(nil, f.depth+1, w.pos)
	if w.ps.parts < maxParts {
		child.part = new(Part)
		child.digest = strings.EqualFold(f.part.Subtype, "digest")
		f.part.Children = append(f.part.Children, child.part)
		w.ps.parts++
	} else {
		child.inBody = true
	}
	w.frames = append(w.frames, child)
}

// regionEnd returns where a body part whose region starts at partStart
// ends when a delimiter line starts at pos: before the line break
// ending the previous line, when the region holds it.
func (w *walker) regionEnd(partStart int) mark {
	m := w.here()
	if m.pos > partStart && w.last[0] == '\n' {
		m.pos, m.lfs, m.prev = m.pos-1, m.lfs-1, w.last[1]
		if w.last[1] != '\r' {
			m.bare--
		}
		if m.pos > partStart && w.last[1] == '\r' {
			m.pos, m.prev = m.pos-1, w.last[2]
		}
	}
	return m
}

// endFrames ends the frames above the first n, whose regions end at
// end, and describes what they held.
func (w *walker) endFrames(n int, end mark) {
	for len(w.frames) > n {
		f := w.frames[len(w.frames)-1]
		if !f.inBody {
			// The region ends within the header: it is all header.
			f.start = min(f.start, end.pos)
			f.fieldsEnd = end.pos
			w.header = w.header[:min(len(w.header), end.pos-f.start)]
			w.endHeader(f, end) // may open an embedded message, ended next
			continue
		}
		if f.bodyStart > end.pos || (f.crcr >= 0 && end.pos == f.crcr+1) {
			f.bodyStart, f.bodyLFs, f.bodyBare = end.pos, end.lfs, end.bare
		}
		if p := f.part; p != nil {
			p.HeaderStart, p.fieldsEnd = min(f.start, end.pos), min(f.fieldsEnd, end.pos)
			p.BodyStart, p.End = f.bodyStart, end.pos
			if w.sizes {
				p.bareLFs = end.bare - f.bodyBare
				p.lines = end.lfs - f.bodyLFs
				if end.pos > f.bodyStart && end.prev != '\n' {
					p.lines++
				}
			}
			if f.kind == bodyLeaf && w.sink != nil {
				w.sink.leafEnd()
			}
		}
		if f.delim != nil && f.state != epilogue {
			w.active--
		}
		w.frames = w.frames[:len(w.frames)-1]
		w.freeFrame(f)
	}
}
