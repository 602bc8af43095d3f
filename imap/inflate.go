package imap

import (
	"errors"
	"io"
)

// inflater decodes a raw deflate stream (RFC 1951) as a client of
// COMPRESS=DEFLATE sends it. Unlike compress/flate's reader, it reads no
// bit before it needs it and hands on what it has decoded as soon as its
// input runs dry: a client may end a command with Z_PARTIAL_FLUSH
// (mbsync does), after which the last few bits of the stream stay with
// the client until its next command, and compress/flate, which looks ten
// bits ahead and hands on data only at a sync flush, would hold the
// command back until then. Symbols are decoded a bit at a time (as
// zlib's puff does): client-to-server traffic is commands and the odd
// APPEND, so simplicity beats speed here.
type inflater struct {
	src  *byteReader
	bits uint32 // bits read and not used yet, the next one lowest
	nb   uint   // how many

	window []byte // the last 32 KiB of output, a ring (on the heap: on the
	// goroutine's stack it would take 64 KiB)
	total int64  // bytes output so far
	out   []byte // decoded, not read yet
	buf   []byte // out's storage

	inBlock  bool
	final    bool
	stored   int // bytes left in a stored block; -1 in a Huffman block
	lit, dst huffman
	err      error
}

// inflateOut is how much the inflater decodes before it hands on.
const inflateOut = 4096

var errCorrupt = errors.New("corrupt deflate stream")

func newInflater(src *byteReader) *inflater {
	return &inflater{src: src, window: make([]byte, 1<<15), buf: make([]byte, 0, inflateOut+258)}
}

// Read returns decoded bytes; it waits for input only when it has none
// to give.
func (f *inflater) Read(p []byte) (int, error) {
	for len(f.out) == 0 {
		if f.err != nil {
			return 0, f.err
		}
		f.buf = f.buf[:0]
		f.err = f.decode()
		f.out = f.buf
	}
	n := copy(p, f.out)
	f.out = f.out[n:]
	return n, nil
}

// decode appends to f.buf until it holds inflateOut bytes, the input has
// nothing more buffered after some output, or the stream ends.
func (f *inflater) decode() error {
	for len(f.buf) < inflateOut {
		if len(f.buf) > 0 && f.src.buffered() == 0 {
			return nil // hand on what there is before waiting
		}
		if !f.inBlock {
			if f.final {
				return io.ErrUnexpectedEOF // nothing may follow the last block
			}
			if err := f.header(); err != nil {
				return err
			}
			continue
		}
		if f.stored >= 0 {
			if f.stored == 0 {
				f.inBlock = false
				continue
			}
			c, err := f.src.ReadByte()
			if err != nil {
				return err
			}
			f.emit(c)
			f.stored--
			continue
		}
		if err := f.symbol(); err != nil {
			return err
		}
	}
	return nil
}

// need reads bytes until n bits are there.
func (f *inflater) need(n uint) error {
	for f.nb < n {
		c, err := f.src.ReadByte()
		if err != nil {
			return err
		}
		f.bits |= uint32(c) << f.nb
		f.nb += 8
	}
	return nil
}

// take returns the next n bits (n <= 16), the first lowest.
func (f *inflater) take(n uint) (int, error) {
	if err := f.need(n); err != nil {
		return 0, err
	}
	v := int(f.bits & (1<<n - 1))
	f.bits >>= n
	f.nb -= n
	return v, nil
}

// header reads a block header (RFC 1951 section 3.2.3).
func (f *inflater) header() error {
	h, err := f.take(3)
	if err != nil {
		return err
	}
	f.final = h&1 == 1
	switch h >> 1 {
	case 0: // stored (section 3.2.4): from the next byte boundary
		f.bits, f.nb = 0, 0
		n, err := f.take(16)
		if err != nil {
			return err
		}
		nn, err := f.take(16)
		if err != nil {
			return err
		}
		if n != ^nn&0xffff {
			return errCorrupt
		}
		f.stored = n
	case 1: // fixed Huffman codes (section 3.2.6)
		f.lit, f.dst = fixedLit, fixedDist
		f.stored = -1
	case 2:
		if err := f.dynamic(); err != nil {
			return err
		}
		f.stored = -1
	default:
		return errCorrupt
	}
	f.inBlock = true
	return nil
}

// codeOrder is the order of the code length code lengths (section 3.2.7).
var codeOrder = [19]int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// dynamic reads the code tables of a block with dynamic Huffman codes
// (section 3.2.7).
func (f *inflater) dynamic() error {
	var hdr [3]int
	for i, n := range []uint{5, 5, 4} {
		v, err := f.take(n)
		if err != nil {
			return err
		}
		hdr[i] = v
	}
	nlen, ndist, ncode := hdr[0]+257, hdr[1]+1, hdr[2]+4
	if nlen > 286 || ndist > 30 {
		return errCorrupt
	}
	var lengths [320]uint8
	for i := 0; i < ncode; i++ {
		v, err := f.take(3)
		if err != nil {
			return err
		}
		lengths[codeOrder[i]] = uint8(v)
	}
	var lencode huffman
	if !lencode.build(lengths[:19]) {
		return errCorrupt
	}
	clear(lengths[:19])
	for i := 0; i < nlen+ndist; {
		sym, err := f.decodeSym(&lencode)
		if err != nil {
			return err
		}
		if sym < 16 {
			lengths[i] = uint8(sym)
			i++
			continue
		}
		var value uint8
		var rep int
		switch sym {
		case 16:
			if i == 0 {
				return errCorrupt
			}
			value = lengths[i-1]
			rep, err = f.take(2)
			rep += 3
		case 17:
			rep, err = f.take(3)
			rep += 3
		default:
			rep, err = f.take(7)
			rep += 11
		}
		if err != nil {
			return err
		}
		if i+rep > nlen+ndist {
			return errCorrupt
		}
		for ; rep > 0; rep-- {
			lengths[i] = value
			i++
		}
	}
	if lengths[256] == 0 { // no end-of-block code
		return errCorrupt
	}
	if !f.lit.build(lengths[:nlen]) || !f.dst.build(lengths[nlen:nlen+ndist]) {
		return errCorrupt
	}
	return nil
}

// Lengths and distances (section 3.2.5).
var (
	lengthBase  = [29]int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

// symbol decodes one literal, end of block, or length and distance.
func (f *inflater) symbol() error {
	sym, err := f.decodeSym(&f.lit)
	if err != nil {
		return err
	}
	switch {
	case sym < 256:
		f.emit(byte(sym))
		return nil
	case sym == 256:
		f.inBlock = false
		return nil
	case sym > 285:
		return errCorrupt
	}
	sym -= 257
	extra, err := f.take(lengthExtra[sym])
	if err != nil {
		return err
	}
	length := lengthBase[sym] + extra
	dsym, err := f.decodeSym(&f.dst)
	if err != nil {
		return err
	}
	if dsym >= 30 {
		return errCorrupt
	}
	extra, err = f.take(distExtra[dsym])
	if err != nil {
		return err
	}
	dist := distBase[dsym] + extra
	if int64(dist) > f.total {
		return errCorrupt
	}
	for ; length > 0; length-- {
		f.emit(f.window[(f.total-int64(dist))&(1<<15-1)])
	}
	return nil
}

// emit outputs c.
func (f *inflater) emit(c byte) {
	f.window[f.total&(1<<15-1)] = c
	f.total++
	f.buf = append(f.buf, c)
}

// decodeSym reads one code of h a bit at a time (canonical codes,
// section 3.2.2).
func (f *inflater) decodeSym(h *huffman) (int, error) {
	code, first, index := 0, 0, 0
	for n := 1; n < 16; n++ {
		if err := f.need(1); err != nil {
			return 0, err
		}
		code |= int(f.bits & 1)
		f.bits >>= 1
		f.nb--
		count := int(h.count[n])
		if code-first < count {
			return int(h.symbol[index+code-first]), nil
		}
		index += count
		first = (first + count) << 1
		code <<= 1
	}
	return 0, errCorrupt
}

// huffman is a canonical Huffman code: how many codes of each length,
// and the symbols in code order.
type huffman struct {
	count  [16]uint16
	symbol [288]uint16
}

// build makes h from the code length of each symbol (0: unused); it
// reports false for lengths that over-subscribe the code.
func (h *huffman) build(lengths []uint8) bool {
	h.count = [16]uint16{}
	for _, l := range lengths {
		h.count[l]++
	}
	left := 1
	for n := 1; n < 16; n++ {
		left <<= 1
		left -= int(h.count[n])
		if left < 0 {
			return false
		}
	}
	var offs [16]int
	for n := 1; n < 15; n++ {
		offs[n+1] = offs[n] + int(h.count[n])
	}
	for sym, l := range lengths {
		if l != 0 {
			h.symbol[offs[l]] = uint16(sym)
			offs[l]++
		}
	}
	return true
}

// The fixed codes (section 3.2.6).
var fixedLit, fixedDist = func() (huffman, huffman) {
	var lit, dist huffman
	var l [288]uint8
	for i := range l {
		switch {
		case i < 144:
			l[i] = 8
		case i < 256:
			l[i] = 9
		case i < 280:
			l[i] = 7
		default:
			l[i] = 8
		}
	}
	lit.build(l[:])
	var d [30]uint8
	for i := range d {
		d[i] = 5
	}
	dist.build(d[:])
	return lit, dist
}()
