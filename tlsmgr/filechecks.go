package tlsmgr

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Checks is a set of file safety checks, as GNU Mailutils' imap4d applies
// them to its TLS files ([tls-file-checks]). Each check refuses a file
// whose mode or location lets someone other than its owner read or
// replace it.
type Checks uint8

// The checks, in the order imap4d runs them; the first that fails is the
// one reported.
const (
	GroupReadable      Checks = 1 << iota // grdfil: group-readable file
	WorldReadable                         // ardfil: world-readable file
	GroupWritable                         // gwrfil: group-writable file
	WorldWritable                         // awrfil: world-writable file
	LinkInWritableDir                     // linkwrdir: link in a group- or world-writable directory
	InGroupWritableDir                    // gwrdir: file in a group-writable directory
	InWorldWritableDir                    // awrdir: file in a world-writable directory

	// AllChecks is every check ("all").
	AllChecks = GroupReadable | WorldReadable | GroupWritable | WorldWritable |
		LinkInWritableDir | InGroupWritableDir | InWorldWritableDir
	// DefaultKeyChecks are imap4d's checks for a private key: all of them.
	DefaultKeyChecks = AllChecks
	// DefaultCertificateChecks are imap4d's checks for a certificate, which
	// may be readable by anyone.
	DefaultCertificateChecks = GroupWritable | WorldWritable | LinkInWritableDir |
		InGroupWritableDir | InWorldWritableDir
	// DefaultCAChecks are imap4d's checks for a CA file, as for a certificate.
	DefaultCAChecks = DefaultCertificateChecks
)

// checkInfo names a check as the configuration does and describes its
// failure with imap4d's words.
type checkInfo struct {
	check  Checks
	name   string
	reason string
}

// checkTable lists the checks in imap4d's order.
var checkTable = [...]checkInfo{
	{GroupReadable, "grdfil", "Group readable file"},
	{WorldReadable, "ardfil", "World readable file"},
	{GroupWritable, "gwrfil", "Group writable file"},
	{WorldWritable, "awrfil", "World writable file"},
	{LinkInWritableDir, "linkwrdir", "Linked file in a writable directory"},
	{InGroupWritableDir, "gwrdir", "File in group writable directory"},
	{InWorldWritableDir, "awrdir", "File in world writable directory"},
}

// Names returns the names of the checks in c, in imap4d's order.
func (c Checks) Names() []string {
	var names []string
	for _, ci := range checkTable {
		if c&ci.check != 0 {
			names = append(names, ci.name)
		}
	}
	return names
}

// String returns the checks as a configuration list would name them, or
// "none".
func (c Checks) String() string {
	if c&AllChecks == 0 {
		return "none"
	}
	return strings.Join(c.Names(), ",")
}

// ParseChecks applies a [tls-file-checks] list to def, the file's default
// checks, as imap4d does: items apply left to right to the default;
// "name" or "+name" adds a check, "-name" removes it, "default" (or
// "-default") adds (removes) the default checks, "none" and "all" set the
// whole list ("-none" is all, "-all" none). So ["-grdfil"] is the default
// without grdfil, and ["none", "gwrfil"] is gwrfil alone. Names are
// case-sensitive, as in imap4d. An unknown name is an error.
func ParseChecks(list []string, def Checks) (Checks, error) {
	c := def
	for _, item := range list {
		name, negate := item, false
		if rest, ok := strings.CutPrefix(name, "-"); ok {
			name, negate = rest, true
		} else if rest, ok := strings.CutPrefix(name, "+"); ok {
			name = rest
		}
		var val Checks
		switch name {
		case "none":
			c = 0
			if negate {
				c = AllChecks
			}
			continue
		case "all":
			c = AllChecks
			if negate {
				c = 0
			}
			continue
		case "default":
			val = def
		default:
			ci, ok := lookupCheck(name)
			if !ok {
				return 0, fmt.Errorf("unknown check %q; want \"none\", \"all\", \"default\" or one of %s, each optionally after + or -",
					item, strings.Join(AllChecks.Names(), ", "))
			}
			val = ci.check
		}
		if negate {
			c &^= val
		} else {
			c |= val
		}
	}
	return c, nil
}

// lookupCheck finds a check by its configuration name.
func lookupCheck(name string) (checkInfo, bool) {
	for _, ci := range checkTable {
		if ci.name == name {
			return ci, true
		}
	}
	return checkInfo{}, false
}

// FileCheckError is a file refused by a safety check. Its message starts
// as imap4d's does ("/etc/ssl/private/mail.pem: Group readable file") and
// names the check that refused it, so that the administrator knows which
// one to fix or disable.
type FileCheckError struct {
	Path   string // the file as configured
	Check  string // the check's name, such as "grdfil"
	Reason string // imap4d's words, such as "Group readable file"
}

// Error implements error.
func (e *FileCheckError) Error() string {
	return fmt.Sprintf("%s: %s (tls-file-checks %s)", e.Path, e.Reason, e.Check)
}

// CheckFile runs the checks c on the file at path, in imap4d's order, and
// returns a *FileCheckError for the first that fails, or the error of
// reading the file's status.
//
// The checks read the mode of the file itself; for a symbolic link that
// is the mode of its target. (imap4d reads the link's own mode, which is
// always 0777 on Linux, so it refuses every symbolic link under the
// default checks; certbot's live/ directory is made of them.) The
// directory checks look at the directory that holds the name as given
// and, for a symbolic link, also at the one that holds its target.
// linkwrdir refuses a symbolic link, or a file with more than one hard
// link, whose directory is group- or world-writable.
func CheckFile(path string, c Checks) error {
	lst, err := os.Lstat(path)
	if err != nil {
		return err
	}
	st := lst
	isLink := lst.Mode()&os.ModeSymlink != 0
	if isLink {
		if st, err = os.Stat(path); err != nil {
			return err
		}
	}
	dirs := []string{filepath.Dir(path)}
	if isLink {
		target, err := filepath.EvalSymlinks(path)
		if err != nil {
			return err
		}
		if d := filepath.Dir(target); d != dirs[0] {
			dirs = append(dirs, d)
		}
	}
	var dirModes []os.FileMode // filled when a directory check first needs it
	dirWritable := func(bits os.FileMode) (bool, error) {
		if dirModes == nil {
			for _, d := range dirs {
				dst, err := os.Stat(d)
				if err != nil {
					return false, err
				}
				dirModes = append(dirModes, dst.Mode().Perm())
			}
		}
		for _, m := range dirModes {
			if m&bits != 0 {
				return true, nil
			}
		}
		return false, nil
	}
	perm := st.Mode().Perm()
	for _, ci := range checkTable {
		if c&ci.check == 0 {
			continue
		}
		var failed bool
		switch ci.check {
		case GroupReadable:
			failed = perm&0o040 != 0
		case WorldReadable:
			failed = perm&0o004 != 0
		case GroupWritable:
			failed = perm&0o020 != 0
		case WorldWritable:
			failed = perm&0o002 != 0
		case LinkInWritableDir:
			if isLink || hardLinks(lst) > 1 {
				// Only the directory that holds the link: that is where
				// someone could swap it.
				dst, err := os.Stat(dirs[0])
				if err != nil {
					return err
				}
				failed = dst.Mode().Perm()&0o022 != 0
			}
		case InGroupWritableDir:
			if failed, err = dirWritable(0o020); err != nil {
				return err
			}
		case InWorldWritableDir:
			if failed, err = dirWritable(0o002); err != nil {
				return err
			}
		}
		if failed {
			return &FileCheckError{Path: path, Check: ci.name, Reason: ci.reason}
		}
	}
	return nil
}

// hardLinks returns the link count of a file, or 1 where the system does
// not say.
func hardLinks(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}
