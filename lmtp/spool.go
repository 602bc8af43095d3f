package lmtp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// spoolMemory is how much of a message a spool keeps in memory before it
// moves to a temporary file: most mail is smaller, and the file costs a
// few system calls per message.
const spoolMemory = 256 << 10

// errSpool marks the errors of the spool itself, apart from the
// client's.
var errSpool = errors.New("spooling the message")

// spool holds one message while it is delivered to each recipient: in
// memory up to spoolMemory bytes, beyond that in a temporary file that is
// unlinked as soon as it is created, so that a crash leaves nothing behind.
type spool struct {
	dir  string // where the temporary file goes; os.TempDir() when ""
	mem  bytes.Buffer
	file *os.File
	size int64
}

// ReadFrom reads r to its end into the spool. It returns r's error, or
// the spool's own (wrapped) when the temporary file cannot be written.
func (s *spool) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for s.file == nil {
		n, err := io.CopyN(&s.mem, r, spoolMemory+1-int64(s.mem.Len()))
		total += n
		s.size += n
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
		if err := s.toFile(); err != nil {
			return total, err
		}
	}
	n, err := io.Copy(spoolFile{s.file}, r)
	total += n
	s.size += n
	return total, err
}

// spoolFile tells the spool's write errors from the client's read errors.
type spoolFile struct{ f *os.File }

func (w spoolFile) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		err = fmt.Errorf("%w: %w", errSpool, err)
	}
	return n, err
}

// toFile moves what is in memory to a new unlinked temporary file.
func (s *spool) toFile() error {
	f, err := os.CreateTemp(s.dir, "mailgate-lmtp-*")
	if err != nil {
		return fmt.Errorf("%w: %w", errSpool, err)
	}
	os.Remove(f.Name())
	if _, err := f.Write(s.mem.Bytes()); err != nil {
		f.Close()
		return fmt.Errorf("%w: %w", errSpool, err)
	}
	s.mem = bytes.Buffer{}
	s.file = f
	return nil
}

// Size returns the number of bytes spooled.
func (s *spool) Size() int64 { return s.size }

// Reader returns a new reader of the whole message, from its start; the
// readers are independent of each other.
func (s *spool) Reader() io.Reader {
	if s.file != nil {
		return io.NewSectionReader(s.file, 0, s.size)
	}
	return bytes.NewReader(s.mem.Bytes())
}

// Close releases the temporary file.
func (s *spool) Close() error {
	if s.file != nil {
		return s.file.Close()
	}
	return nil
}
