package imap

import (
	"bytes"
	"io"
	"sync/atomic"

	"github.com/mailgate/mailgate/imap/internal/message"
	"github.com/mailgate/mailgate/internal/bufpool"
	"github.com/mailgate/mailgate/storage"
)

// streamSectionsAbove is the message size above which FETCH answers
// BODY[section], BINARY[section] and BINARY.SIZE[section] from the message
// file, a range at a time, rather than from the whole message loaded
// into memory: a 50 MB attachment fetched by section then costs a read
// buffer, not 50 MB. Smaller messages are loaded (into a buffer the
// FETCH reuses), which spares a second read of the file. The whole
// message, BODY[] (and RFC822), is always sent from the file, however
// often and with whatever else it is asked: it needs no parse. Tests
// lower the size (export_test.go) to hold both ways to the same answers.
var streamSectionsAbove atomic.Int64

func init() { streamSectionsAbove.Store(1 << 20) }

// maxOpenStreams bounds the items of one message's FETCH response that
// are streamed, each from a file of its own held open until it is
// written; the others are answered from the message loaded into memory
// once. Without it one FETCH naming BODY.PEEK[] thousands of times
// would take as many file descriptors from the whole process.
const maxOpenStreams = 4

// streamed is an answer read from the message file: size bytes from r.
type streamed struct {
	r        io.Reader
	c        io.Closer // the file, or nil
	size     int64
	literal8 bool // BINARY's content has a NUL (RFC 3516 section 4.1)
}

func (st *streamed) close() {
	if st != nil && st.c != nil {
		st.c.Close()
	}
}

// streams reports whether item it of message m is answered by streaming.
func (f *fetcher) streams(m *storage.Message, it *fetchItem) bool {
	switch it.kind {
	case fetchSection:
		return it.section == "" || m.Size > streamSectionsAbove.Load()
	case fetchBinary, fetchBinarySize:
		return m.Size > streamSectionsAbove.Load()
	}
	return false
}

// tree returns the parse tree of m, read once from the message as it is
// sent (CRLF), so that its offsets are those of View.Open's bytes.
func (f *fetcher) tree(m *storage.Message, c *content) (*message.Part, error) {
	if c.tree != nil {
		return c.tree, nil
	}
	rc, _, err := f.s.view.Open(m.UID)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if c.tree, err = message.ParseReader(rc); err != nil {
		return nil, err
	}
	return c.tree, nil
}

// openRange opens m at byte start (of View.Open's bytes).
func (f *fetcher) openRange(m *storage.Message, start int) (io.ReadCloser, error) {
	rc, _, err := f.s.view.Open(m.UID)
	if err != nil {
		return nil, err
	}
	if err := skipBytes(rc, int64(start)); err != nil {
		rc.Close()
		return nil, err
	}
	return rc, nil
}

// skipBytes reads and drops up to n bytes of r (fewer if it ends
// first). It reads through a pooled 64 KB buffer: a message's reader
// turns LF into CRLF in whatever buffer it is handed, and io.Discard's
// 8 KB would cost eight reads of the file for one.
func skipBytes(r io.Reader, n int64) error {
	buf := bufpool.Get()
	defer bufpool.Put(buf)
	for idle := 0; n > 0; {
		k, err := r.Read(buf[:min(n, int64(len(buf)))])
		n -= int64(k)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if k > 0 {
			idle = 0
		} else if idle++; idle >= 100 {
			return io.ErrNoProgress // as io.Copy's readers say
		}
	}
	return nil
}

// streamSection prepares BODY[section] of m (RFC 3501 section 6.4.5).
func (f *fetcher) streamSection(m *storage.Message, c *content, it *fetchItem) (*streamed, error) {
	if it.section == "" {
		return f.streamWhole(m, it)
	}
	root, err := f.tree(m, c)
	if err != nil {
		return nil, err
	}
	spec, err := message.ParseSectionSpec(it.section)
	if err != nil {
		return &streamed{r: bytes.NewReader(nil)}, nil
	}
	start, end, filter, ok := spec.Range(root)
	if !ok {
		return &streamed{r: bytes.NewReader(nil)}, nil // an empty string, as Section gives
	}
	rc, err := f.openRange(m, start)
	if err != nil {
		return nil, err
	}
	if filter {
		// HEADER.FIELDS[.NOT]: a header, small; picked in memory.
		hdr, err := io.ReadAll(io.LimitReader(rc, int64(end-start)))
		rc.Close()
		if err != nil {
			return nil, err
		}
		data := spec.ExtractHeader(hdr)
		if it.partial {
			off, n := clip(int64(len(data)), it.offset, it.count)
			data = data[off : off+n]
		}
		return &streamed{r: bytes.NewReader(data), size: int64(len(data))}, nil
	}
	size, err := skipToPartial(it, rc, rc, int64(end-start))
	if err != nil {
		return nil, err
	}
	return &streamed{r: io.LimitReader(rc, size), c: rc, size: size}, nil
}

// streamWhole prepares BODY[] of m: the file, as View.Open sends it.
func (f *fetcher) streamWhole(m *storage.Message, it *fetchItem) (*streamed, error) {
	rc, size, err := f.s.view.Open(m.UID)
	if err != nil {
		return nil, err
	}
	if size, err = skipToPartial(it, rc, rc, size); err != nil {
		return nil, err
	}
	return &streamed{r: io.LimitReader(rc, size), c: rc, size: size}, nil
}

// skipToPartial applies the partial range of it, if any, to r, which
// holds size bytes: it reads up to the range's start and returns the
// range's length. On an error it closes c.
func skipToPartial(it *fetchItem, r io.Reader, c io.Closer, size int64) (int64, error) {
	if !it.partial {
		return size, nil
	}
	off, n := clip(size, it.offset, it.count)
	if err := skipBytes(r, off); err != nil {
		c.Close()
		return 0, err
	}
	return n, nil
}

// streamBinary prepares BINARY[part] or BINARY.SIZE[part] of m (RFC 3516
// section 4): a first pass decodes the part to learn its size and
// whether it holds a NUL, a second is what is sent.
func (f *fetcher) streamBinary(seq uint32, m *storage.Message, c *content, it *fetchItem) (*streamed, error) {
	root, err := f.tree(m, c)
	if err != nil {
		return nil, err
	}
	start, end, enc, found, known := message.BinaryRange(root, it.path)
	if !known {
		// RFC 3516 section 4.3.
		return nil, no("UNKNOWN-CTE", "Cannot decode the encoding of part %s of message %d", it.section, seq)
	}
	if !found {
		return &streamed{r: bytes.NewReader(nil)}, nil
	}
	open := func() (io.ReadCloser, io.Reader, error) {
		rc, err := f.openRange(m, start)
		if err != nil {
			return nil, nil, err
		}
		return rc, message.NewBinaryReader(io.LimitReader(rc, int64(end-start)), enc), nil
	}
	// The first pass: the size, and a NUL within what is sent.
	rc, r, err := open()
	if err != nil {
		return nil, err
	}
	from, to := int64(0), int64(-1)
	if it.partial {
		from, to = it.offset, it.offset+it.count
	}
	var size int64
	nul := false
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if !nul && it.kind == fetchBinary {
			// The part of this piece within [from, to).
			lo, hi := max(from-size, 0), int64(n)
			if to >= 0 {
				hi = min(hi, to-size)
			}
			nul = lo < hi && bytes.IndexByte(buf[lo:hi], 0) >= 0
		}
		size += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			rc.Close()
			return nil, err
		}
	}
	rc.Close()
	if it.kind == fetchBinarySize {
		return &streamed{size: size}, nil
	}
	rc, r, err = open()
	if err != nil {
		return nil, err
	}
	if size, err = skipToPartial(it, r, rc, size); err != nil {
		return nil, err
	}
	return &streamed{r: io.LimitReader(r, size), c: rc, size: size, literal8: nul}, nil
}
