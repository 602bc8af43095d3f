package maildir

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// propsFile is where GNU imap4d keeps a maildir's UID counters.
const propsFile = ".mu-prop"

// uidListFile is Dovecot's UID list, read once to migrate a maildir.
const uidListFile = "dovecot-uidlist"

// defaultVersion is what .mu-prop says when mailgate writes it first; it
// is the imap4d version whose format mailgate writes.
const defaultVersion = "3.15"

// props is the content of .mu-prop. Zero numbers mean "not set".
type props struct {
	uidNext     uint32
	uidValidity uint32
	version     string
	extra       []string // lines of other keys, kept as they were
}

// readProps reads .mu-prop from the maildir at dir. A missing file gives
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
			if n, ok := parseDecimal(val, 32); ok {
				p.uidNext = uint32(n)
			}
		case ok && key == "uid-validity":
			if n, ok := parseDecimal(val, 32); ok {
				p.uidValidity = uint32(n)
			}
		case ok && key == "version":
			p.version = val
		default:
			p.extra = append(p.extra, line)
		}
	}
	return p, nil
}

// encode formats props the way imap4d writes them.
func (p props) encode() []byte {
	var b bytes.Buffer
	b.WriteString("uidnext: " + strconv.FormatUint(uint64(p.uidNext), 10) + "\n")
	b.WriteString("uid-validity: " + strconv.FormatUint(uint64(p.uidValidity), 10) + "\n")
	v := p.version
	if v == "" {
		v = defaultVersion
	}
	b.WriteString("version: " + v + "\n")
	for _, l := range p.extra {
		b.WriteString(l + "\n")
	}
	return b.Bytes()
}

// writeAtomic replaces dir/name with data through a temporary file;
// callers hold the directory's exclusive lock, so one fixed temporary
// name is enough.
func writeAtomic(dir, name string, data []byte, perm os.FileMode) error {
	return fsutil.WriteAtomic(dir, ".mailgate-tmp"+name, name, data, perm)
}

// uidList is what mailgate takes from a dovecot-uidlist.
type uidList struct {
	validity uint32
	next     uint32
	uids     map[string]uint32 // file name base -> UID
}

// readUIDList reads dovecot-uidlist from the maildir at dir. It returns
// nil when there is none or its header cannot be read.
func readUIDList(dir string) (*uidList, error) {
	f, err := os.Open(filepath.Join(dir, uidListFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	if !sc.Scan() {
		return nil, sc.Err()
	}
	l := &uidList{uids: make(map[string]uint32)}
	hdr := strings.Fields(sc.Text())
	switch {
	case len(hdr) == 3 && hdr[0] == "1":
		// Version 1: "1 <uidvalidity> <nextuid>".
		v, _ := parseDecimal(hdr[1], 32)
		n, _ := parseDecimal(hdr[2], 32)
		l.validity, l.next = uint32(v), uint32(n)
	case len(hdr) > 0 && (hdr[0] == "2" || hdr[0] == "3"):
		for _, h := range hdr[1:] {
			if h == "" {
				continue
			}
			n, ok := parseDecimal(h[1:], 32)
			switch {
			case !ok:
			case h[0] == 'V':
				l.validity = uint32(n)
			case h[0] == 'N':
				l.next = uint32(n)
			}
		}
	default:
		return nil, nil
	}
	if l.validity == 0 {
		return nil, nil
	}
	for sc.Scan() {
		uid, rest, ok := strings.Cut(sc.Text(), " ")
		n, okUID := parseDecimal(uid, 32)
		if !ok || !okUID || n == 0 {
			continue
		}
		// Version 3 puts the name after " :"; version 1 has it right
		// after the UID.
		name := rest
		if i := strings.Index(rest, " :"); i >= 0 {
			name = rest[i+2:]
		} else if strings.HasPrefix(rest, ":") {
			name = rest[1:]
		}
		base := parseName(name).base
		if base != "" {
			l.uids[base] = uint32(n)
		}
	}
	return l, sc.Err()
}
