package mh

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"

	"github.com/mailgate/mailgate/storage"
)

// maxHeader bounds how far into a message the header is read in search
// of Status: fields. A header longer than that is passed on unchanged
// from that point.
const maxHeader = 256 << 10

// headerInfo is what stripStatus learns from a message's header.
type headerInfo struct {
	status    string // the letters of imap4d's Status: field(s)
	hasStatus bool
}

// maxStatus bounds how many bytes of Status: letters are kept.
const maxStatus = 32

// addStatus adds the letters of a Status: field's text.
func (h *headerInfo) addStatus(text []byte) {
	text = bytes.TrimSpace(text)
	if n := maxStatus - len(h.status); n > 0 {
		h.status += string(text[:min(n, len(text))])
	}
}

// stripStatus returns r's content without the Status: header fields in
// which GNU imap4d keeps an MH message's flags, so that clients never see
// them, and the letters they held. A continuation line of such a field
// goes too. The header ends at the first line that is neither a field nor
// a continuation (normally the empty line before the body). Scan measures
// RFC822.SIZE on exactly this reader, and Folder.Open returns it.
func stripStatus(br *bufio.Reader) (io.Reader, headerInfo, error) {
	var kept bytes.Buffer
	var info headerInfo
	inStatus := false
	for consumed := 0; consumed < maxHeader; {
		line, err := readLine(br, maxHeader-consumed)
		consumed += len(line)
		switch {
		case len(line) == 0:
		case line[0] == ' ' || line[0] == '\t':
			if !inStatus {
				kept.Write(line)
			} else {
				info.addStatus(line)
			}
		case isStatusField(line):
			inStatus, info.hasStatus = true, true
			_, v, _ := bytes.Cut(line, []byte(":"))
			info.addStatus(v)
		default:
			inStatus = false
			kept.Write(line)
			if !isField(line) {
				consumed = maxHeader // the header ended
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, info, err
		}
	}
	return io.MultiReader(&kept, br), info, nil
}

// readerPool holds measure's read buffers: a cold scan of a large folder
// measures every file.
var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 16<<10) }}

// readLine returns the next line with its LF, or at most limit bytes of
// it, or what is left before EOF (with io.EOF).
func readLine(br *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) && len(line) < limit {
			continue
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			err = nil
		}
		return line, err
	}
}

// isField reports whether line starts a header field: a name of printable
// characters other than ':' followed, perhaps after blanks, by ':'.
func isField(line []byte) bool {
	name, _, ok := bytes.Cut(line, []byte(":"))
	name = bytes.TrimRight(name, " \t")
	if !ok || len(name) == 0 {
		return false
	}
	for _, c := range name {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// isStatusField reports whether line starts a Status: field.
func isStatusField(line []byte) bool {
	name, _, ok := bytes.Cut(line, []byte(":"))
	return ok && strings.EqualFold(string(bytes.TrimRight(name, " \t")), "Status")
}

// measure reads a message file and returns its header information and
// its RFC822.SIZE as the client will see it: without Status: fields,
// with CRLF line endings.
func measure(r io.Reader) (int64, headerInfo, error) {
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil)
		readerPool.Put(br)
	}()
	body, info, err := stripStatus(br)
	if err != nil {
		return 0, info, err
	}
	size, err := storage.CRLFSize(body)
	return size, info, err
}
