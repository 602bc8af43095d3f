package storage

import (
	"bytes"
	"io"
	"slices"
)

// maxHeader bounds the header StoredHeader and the indexer's headerTee
// read: a message whose header runs on has its first MiB taken.
const maxHeader = 1 << 20

// firstHeaderRead bounds the first read of a header (readStoredHeader):
// most headers end within it, and a read copies all it asks for of a file
// that is longer, as most messages are. With the 8 KiB a reader's buffer
// holds, a first FETCH ENVELOPE of 100,000 messages spent a tenth of its
// CPU copying bodies it did not look at. A longer header takes more
// reads, as large as the buffer.
const firstHeaderRead = 4096

// StoredHeader reads message uid as stored (Folder.Open: LF or CRLF line
// ends, as the file holds it) up to and including the empty line that
// ends its header, at most 1 MiB, appending to buf: the first few
// kilobytes of the file, never all of a large one.
func (v *View) StoredHeader(uid uint32, buf []byte) ([]byte, error) {
	rc, err := v.openStored(uid, true)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return readStoredHeader(rc, buf)
}

// readStoredHeader reads r up to and including the empty line that ends
// the header it begins with, at most maxHeader bytes, appending to buf.
func readStoredHeader(r io.Reader, buf []byte) ([]byte, error) {
	start := len(buf)
	from := 0 // where headerEnd looks on, relative to start
	for len(buf)-start < maxHeader {
		if cap(buf)-len(buf) < 2048 {
			buf = slices.Grow(buf, max(4096, cap(buf)))
		}
		limit := min(cap(buf), start+maxHeader)
		if len(buf) == start {
			limit = min(limit, start+firstHeaderRead)
		}
		n, err := r.Read(buf[len(buf):limit])
		buf = buf[:len(buf)+n]
		if end := headerEnd(buf[start:], from); end >= 0 {
			return buf[:start+end], nil
		}
		from = max(0, len(buf)-start-2)
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// headerTee passes a message through and keeps its header, up to and
// including the empty line that ends it, for FullText.Derive; done says
// the header was read whole.
type headerTee struct {
	r      io.Reader
	header []byte
	done   bool
	long   bool // gave up: longer than maxHeader
}

func (t *headerTee) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if !t.done && !t.long && n > 0 {
		from := max(0, len(t.header)-2)
		t.header = append(t.header, p[:n]...)
		end := headerEnd(t.header, from)
		switch {
		case end > maxHeader || (end < 0 && len(t.header) > maxHeader):
			t.header, t.long = nil, true
		case end >= 0:
			t.header, t.done = t.header[:end], true
		}
	}
	if err == io.EOF && !t.long {
		t.done = true // a message without a body is all header
	}
	return n, err
}

// headerEnd returns the length of the header at the start of b, the
// empty line that ends it included, with LF or CRLF line ends; -1 when b
// does not hold the empty line. Line ends are looked for from from on
// (one before it was followed by more than an empty line).
func headerEnd(b []byte, from int) int {
	if from == 0 {
		switch {
		case len(b) >= 1 && b[0] == '\n':
			return 1
		case len(b) >= 2 && b[0] == '\r' && b[1] == '\n':
			return 2
		}
	}
	for i := from; i < len(b); {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		j += i
		switch {
		case j+1 < len(b) && b[j+1] == '\n':
			return j + 2
		case j+2 < len(b) && b[j+1] == '\r' && b[j+2] == '\n':
			return j + 3
		}
		i = j + 1
	}
	return -1
}
