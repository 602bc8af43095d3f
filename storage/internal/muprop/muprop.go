// Package muprop reads and writes .mu-prop, the file in which GNU
// Mailutils (imap4d) keeps a maildir's or MH folder's UIDNEXT and
// UIDVALIDITY, in imap4d's own format, so that a switch in either
// direction keeps both.
package muprop

import (
	"bytes"
	"errors"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// File is the file's name inside the mailbox directory.
const File = ".mu-prop"

// DefaultVersion is what "version" says when mailgate writes the file
// first: the imap4d version whose format it writes.
const DefaultVersion = "3.15"

// recentKey is mailgate's own key: messages numbered at or above it are
// new (\Recent) in an MH folder. imap4d keeps keys it does not know.
const recentKey = "recent-from"

// Props is the content of .mu-prop. Zero numbers mean "not set".
type Props struct {
	UIDNext     uint32
	UIDValidity uint32
	RecentFrom  uint32 // mailgate's "recent-from"; written only when set
	Version     string
	Extra       []string // lines of other keys, kept as they were
	// Partial says that the file's last line lacked its newline: the
	// file was read while another program wrote it, and that line was
	// left out (see Parse).
	Partial bool
}

// partialWait is how long Read waits before it reads a partial file
// once more: GNU imap4d writes the few lines in one go.
const partialWait = 5 * time.Millisecond

// Read reads .mu-prop from the mailbox directory dir. A missing file gives
// zero Props; numbers that do not parse count as unset. A file read while
// another program writes it (Partial) is read once more after a short
// pause; if it is still partial, its last line counts as unset.
func Read(dir string) (Props, error) {
	p, err := read(dir)
	if err == nil && p.Partial {
		time.Sleep(partialWait)
		p, err = read(dir)
	}
	return p, err
}

func read(dir string) (Props, error) {
	data, err := fsutil.ReadSmall(filepath.Join(dir, File))
	if errors.Is(err, fs.ErrNotExist) {
		return Props{}, nil
	}
	if err != nil {
		return Props{}, err
	}
	return Parse(data), nil
}

// ValidityOr returns the UIDVALIDITY that p gives, or else known: the one
// the process already holds for the mailbox (zero when none). A .mu-prop
// removed (a clean-up of dot files, a restore without it), or read empty
// or cut short (Partial) while another program writes it anew in place,
// does not make the mailbox anew, which would throw every client out and
// have it fetch everything again: the caller keeps known and writes it
// back.
func (p Props) ValidityOr(known uint32) uint32 {
	if p.UIDValidity != 0 {
		return p.UIDValidity
	}
	return known
}

// Parse reads the content of a .mu-prop file. Every line that GNU
// Mailutils writes ends with a newline (it writes the file as header
// fields, "key: value\n"), and so does Encode: a last line without one
// was cut short by a read while another program wrote the file anew in
// place, and may hold a number cut short ("uid-validity: 1796" of
// 1796655321). Parse leaves that line out and sets Partial, so that
// the value is taken as unset (ValidityOr) and never written back.
func Parse(data []byte) Props {
	var p Props
	text := string(data)
	if i := strings.LastIndexByte(text, '\n'); i+1 < len(text) {
		text, p.Partial = text[:i+1], true
	}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		key, val, ok := strings.Cut(line, ":")
		val = strings.TrimSpace(val)
		switch {
		case line == "":
		case ok && key == "uidnext":
			p.UIDNext = parseUint32(val)
		case ok && key == "uid-validity":
			p.UIDValidity = parseUint32(val)
		case ok && key == recentKey:
			p.RecentFrom = parseUint32(val)
		case ok && key == "version":
			p.Version = val
		default:
			p.Extra = append(p.Extra, line)
		}
	}
	return p
}

// parseUint32 returns the plain decimal number in s, or 0.
func parseUint32(s string) uint32 {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}

// Encode formats p the way imap4d writes it, mailgate's own key after
// imap4d's and other keys last.
func (p Props) Encode() []byte {
	var b bytes.Buffer
	b.WriteString("uidnext: " + strconv.FormatUint(uint64(p.UIDNext), 10) + "\n")
	b.WriteString("uid-validity: " + strconv.FormatUint(uint64(p.UIDValidity), 10) + "\n")
	v := p.Version
	if v == "" {
		v = DefaultVersion
	}
	b.WriteString("version: " + v + "\n")
	if p.RecentFrom != 0 {
		b.WriteString(recentKey + ": " + strconv.FormatUint(uint64(p.RecentFrom), 10) + "\n")
	}
	for _, l := range p.Extra {
		b.WriteString(l + "\n")
	}
	return b.Bytes()
}
