package maildir

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
	"github.com/mailgate/mailgate/storage/internal/muprop"
)

// propsFile is where GNU imap4d keeps a maildir's UID counters.
const propsFile = muprop.File

// uidListFile is Dovecot's UID list, read once to migrate a maildir.
const uidListFile = "dovecot-uidlist"

// props is the content of .mu-prop.
type props = muprop.Props

// readProps reads .mu-prop from the maildir at dir.
func readProps(dir string) (props, error) { return muprop.Read(dir) }

// writeAtomic replaces dir/name with data durably (see
// fsutil.WriteAtomic); callers hold the directory's exclusive lock.
func writeAtomic(dir, name string, data []byte, perm os.FileMode) error {
	return fsutil.WriteAtomic(dir, name, data, perm)
}

// uidList is what mailgate takes from a dovecot-uidlist.
type uidList struct {
	validity uint32
	next     uint32
	uids     map[string]uint32 // file name base -> UID
}

// readUIDList reads dovecot-uidlist from the maildir at dir. It returns
// nil when there is none, it is not a regular file, or its header cannot
// be read.
func readUIDList(dir string) (*uidList, error) {
	f, _, err := fsutil.OpenRegular(filepath.Join(dir, uidListFile))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fsutil.ErrNotRegular) {
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
