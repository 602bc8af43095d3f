package storage

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/internal/bufpool"
)

// chunkReader returns its chunks one a Read.
type chunkReader struct{ chunks [][]byte }

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	c.chunks[0] = c.chunks[0][n:]
	if len(c.chunks[0]) == 0 {
		c.chunks = c.chunks[1:]
	}
	return n, nil
}

// TestCopyLFFullReadAfterCR: a read that ends in a bare CR leaves it
// pending; when the next read is a full buffer with no CR or LF in it (a
// long base64 line, a BINARY APPEND, a hostile client), that read's
// output and the CR must all be written: the out buffer was one byte
// short, and the last byte was dropped silently, the size CopyLF returns
// (the message's RFC822.SIZE) short by one with it.
func TestCopyLFFullReadAfterCR(t *testing.T) {
	first := strings.Repeat("x", bufpool.Size-1) + "\r"
	second := strings.Repeat("y", bufpool.Size)
	want := first + second // no CRLF anywhere: CopyLF copies it unchanged
	var out bytes.Buffer
	r := &chunkReader{chunks: [][]byte{[]byte(first), []byte(second)}}
	if _, _, err := CopyLF(&out, r); err != nil {
		t.Fatalf("CopyLF: %v", err)
	}
	if out.String() != want {
		t.Errorf("CopyLF wrote %d bytes, want %d", out.Len(), len(want))
	}
}
