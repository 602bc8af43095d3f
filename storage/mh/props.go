package mh

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// propsFile is where GNU imap4d keeps a folder's UID counters.
const propsFile = ".mu-prop"

// recentKey is mailgate's own .mu-prop key: messages numbered at or above
// it are New. imap4d keeps keys it does not know as they are.
const recentKey = "recent-from"

// defaultVersion is what .mu-prop says when mailgate writes it first; it
// is the imap4d version whose format mailgate writes.
const defaultVersion = "3.15"

// tmpPrefix starts the names of mailgate's temporary files in a folder;
// the leading dot hides them from MH programs.
const tmpPrefix = ".mailgate-tmp"

// props is the content of .mu-prop. Zero numbers mean "not set".
type props struct {
	uidNext     uint32
	uidValidity uint32
	recentFrom  uint32
	version     string
	extra       []string // lines of other keys, kept as they were
}

// readProps reads .mu-prop from the folder at dir. A missing file gives
// zero props; unreadable numbers count as unset.
func readProps(dir string) (props, error) {
	var p props
	data, err := os.ReadFile(filepath.Join(dir, propsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return p, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		key, val, ok := strings.Cut(line, ":")
		val = strings.TrimSpace(val)
		switch {
		case line == "":
		case ok && key == "uidnext":
			p.uidNext = parseUint32(val)
		case ok && key == "uid-validity":
			p.uidValidity = parseUint32(val)
		case ok && key == recentKey:
			p.recentFrom = parseUint32(val)
		case ok && key == "version":
			p.version = val
		default:
			p.extra = append(p.extra, line)
		}
	}
	return p, nil
}

// parseUint32 returns the decimal number in s, or 0.
func parseUint32(s string) uint32 {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}

// encode formats props the way imap4d writes them, with recent-from
// after imap4d's keys.
func (p props) encode() []byte {
	var b bytes.Buffer
	b.WriteString("uidnext: " + strconv.FormatUint(uint64(p.uidNext), 10) + "\n")
	b.WriteString("uid-validity: " + strconv.FormatUint(uint64(p.uidValidity), 10) + "\n")
	v := p.version
	if v == "" {
		v = defaultVersion
	}
	b.WriteString("version: " + v + "\n")
	if p.recentFrom != 0 {
		b.WriteString(recentKey + ": " + strconv.FormatUint(uint64(p.recentFrom), 10) + "\n")
	}
	for _, l := range p.extra {
		b.WriteString(l + "\n")
	}
	return b.Bytes()
}

// writeAtomic replaces dir/name with data through a temporary file;
// callers hold the directory's exclusive lock, so one fixed temporary
// name is enough.
func writeAtomic(dir, name string, data []byte, perm os.FileMode) error {
	return fsutil.WriteAtomic(dir, tmpPrefix+name, name, data, perm)
}
