// Package maildir stores mailboxes in maildir format, compatible with GNU
// imap4d 3.15, Dovecot and mutt.
//
// # On disk
//
// A mailbox is a directory holding cur/, new/ and tmp/. A message is one
// file, named
//
//	<secs>.M<micros>P<pid>Q<n>.<host>,S=<disk size>,W=<CRLF size>,u=<uid>:2,<flags>
//
// when mailgate writes it. The UID lives in the "u=" field, as imap4d
// writes it; the other fields are kept when a file is renamed. Flags are
// the standard info letters (D, F, P, R, S, T) and keyword letters a..z,
// named by Dovecot's dovecot-keywords file. UIDNEXT and UIDVALIDITY are
// in imap4d's .mu-prop. A dovecot-uidlist is read, never written, to give
// its UIDs to files that have no "u=" yet. INTERNALDATE is the file's
// modification time, which Append sets to the message's date.
//
// .mailgate-index caches the result of the last scan that could be
// trusted, so that a new process opens a large maildir with two stats and
// one read (see index.go and indexfile.go). It is used only when new/ and
// cur/ are in exactly the state it records and .mu-prop holds the same
// UID counters; otherwise the maildir is read as if it were missing.
//
// # Invariants
//
//   - A UID is used in a file name only after a .mu-prop whose uidnext
//     lies above it has been written and synced, so a crash never lets a
//     UID be given twice.
//   - UIDs and keyword letters are allocated, and appended messages
//     renamed into new/, under an exclusive flock(2) on the maildir
//     directory, with .mu-prop and dovecot-keywords read again inside the
//     lock; scans read new/ and cur/ under a shared one. So mailgate
//     processes sharing a maildir agree, and no scan sees a message
//     without every message that was given a lower UID before it.
//   - Files are never rewritten: a message is written in tmp/, synced and
//     renamed into new/. The write (Stage) takes no lock and reads no
//     state of the Folder, so it runs beside any other call and a slow
//     client holds up nobody; only the rename (Commit) takes the locks.
//     A tmp/ file is named as mailgate's with its pid and host
//     (fsutil.CreateTemp), and the first scan of a Folder removes those
//     of dead processes, and other programs' after 36 hours.
//   - A message file is never read through a symbolic link, nor opened
//     when it is not a regular file (fsutil.OpenRegular): such a file is
//     not a message, and a FIFO cannot hang a scan or a FETCH. Flag changes and moves from new/ to cur/ are
//     renames that keep the base name (the part before ':'); giving a UID
//     to another program's file adds "u=" (and "W=") to its base once.
//   - A Folder takes its own mutex before the maildir lock, never the
//     other way round. Folders on one maildir in one process share an
//     immutable map of file metadata (date, size) that each scan replaces.
//   - Scan reads new/ before cur/, so a message that another program moves
//     from new/ to cur/ meanwhile is seen at least once; one seen twice is
//     counted once.
//   - Another program may rename or remove files at any time. A Folder
//     looks a message up by UID in memory, and when the file has moved it
//     reads the directories again to find it by its base name.
//   - A file's content never changes under its base name, so what a scan
//     learnt of a file (date, size) is kept by base name, in memory and in
//     the index file, and a file is read or stated only the first time.
//     A scan takes the size from W= and the type from the directory
//     listing, so it stats no file that has W=; the date (one lstat) is
//     learnt when a command first asks for it (storage.Dater) and then
//     kept as the rest is.
//   - The index file is a cache, written whole through a rename and
//     checked by a trailer: losing it, a stale one or a damaged one costs
//     a scan, never a message or a UID. Every change to new/ or cur/, by
//     mailgate or another program, changes their times and so makes it
//     stale without anyone removing it.
package maildir

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// Options tune a Driver. The zero value is ready to use.
type Options struct {
	// UIDValidity gives the UIDVALIDITY of each mailbox the driver
	// creates, or finds without one and numbers first (the gateway passes
	// storage.UIDValidities.Next). Nil means the current time in seconds,
	// kept increasing within the process.
	UIDValidity func() uint32
	// Hostname goes into the names of new message files. Empty means the
	// system's host name.
	Hostname string
	// Now is the clock for new file names, default UIDVALIDITY values and
	// the age of other programs' files in tmp/. Nil means time.Now.
	Now func() time.Time
	// Logger receives debug notes, such as why an index file was not
	// used; nil means slog.Default().
	Logger *slog.Logger
}

// Driver is the maildir storage.Driver. Its zero value is ready to use;
// it must not be copied after first use.
type Driver struct {
	Options Options

	caches fsutil.Registry[fileMeta] // by maildir path, while a Folder is open
}

// New returns a maildir driver with default options.
func New() storage.Driver {
	return &Driver{}
}

var _ storage.Driver = (*Driver)(nil)

// The maildir's own subdirectories.
const (
	dirCur = "cur"
	dirNew = "new"
	dirTmp = "tmp"
)

// foreignFiles are other programs' metadata files that Delete removes.
var foreignFiles = []string{
	keywordsFile, uidListFile, "dovecot-uidlist.lock", "dovecot-keywords.lock",
	"dovecot.index", "dovecot.index.cache", "dovecot.index.log",
	"dovecot.index.log.2", "maildirfolder",
}

// Name returns "maildir".
func (d *Driver) Name() string { return "maildir" }

// Is reports whether path is a directory with cur and new in it. Two
// stats tell: a path under which a directory is found is a directory
// (else the stat fails with ENOTDIR), so it needs none of its own, and a
// cold SELECT, which asks twice, makes two calls fewer.
func (d *Driver) Is(path string) bool {
	for _, p := range []string{filepath.Join(path, dirCur), filepath.Join(path, dirNew)} {
		fi, err := os.Stat(p)
		if err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// Internal reports whether name is maildir's own: cur, new, tmp, any name
// starting with '.', and Dovecot's metadata files.
func (d *Driver) Internal(name string) bool {
	switch name {
	case dirCur, dirNew, dirTmp:
		return true
	}
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "dovecot.index") {
		return true
	}
	for _, f := range foreignFiles {
		if name == f {
			return true
		}
	}
	return false
}

// Create makes an empty maildir at path, with a .mu-prop that fixes its
// UIDVALIDITY. A directory that is there but holds no mailbox (a parent of
// child mailboxes) becomes a mailbox; anything else there gives
// storage.ErrExists. Missing parent directories are created.
func (d *Driver) Create(path string, perm os.FileMode) error {
	dperm := fsutil.DirPerm(perm)
	if err := os.MkdirAll(filepath.Dir(path), dperm); err != nil {
		return fmt.Errorf("maildir %s: create: %w", path, err)
	}
	if err := os.Mkdir(path, dperm); err == nil {
		if err := os.Chmod(path, dperm); err != nil {
			return fmt.Errorf("maildir %s: create: %w", path, err)
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("maildir %s: create: %w", path, err)
	} else if fi, err := os.Lstat(path); err != nil || !fi.IsDir() || d.Is(path) {
		return fmt.Errorf("maildir %s: create: %w", path, storage.ErrExists)
	}
	// A directory that is not a mailbox yet is completed, under its
	// lock: one left by a crash part way, one made as a parent of
	// another, or one that another session is making at this moment
	// (two sessions' first look at INBOX), which must not be told that
	// INBOX does not exist.
	for _, sub := range []string{dirTmp, dirNew, dirCur} {
		p := filepath.Join(path, sub)
		if err := os.Mkdir(p, dperm); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("maildir %s: create: %w", path, err)
		}
		if err := os.Chmod(p, dperm); err != nil {
			return fmt.Errorf("maildir %s: create: %w", path, err)
		}
	}
	unlock, err := fsutil.LockDir(path, false)
	if err != nil {
		return fmt.Errorf("maildir %s: create: lock: %w", path, err)
	}
	defer unlock()
	p, err := readProps(path)
	if err != nil {
		return fmt.Errorf("maildir %s: create: %s: %w", path, propsFile, err)
	}
	if p.UIDValidity != 0 {
		return nil
	}
	p.UIDValidity = d.newValidity()
	if p.UIDNext == 0 {
		p.UIDNext = 1
	}
	if err := writeAtomic(path, propsFile, p.Encode(), perm); err != nil {
		return fmt.Errorf("maildir %s: create: %s: %w", path, propsFile, err)
	}
	return nil
}

// Open returns a Folder on the maildir at path. Files it creates later get
// mode perm. It returns storage.ErrNoMailbox when path holds no maildir.
func (d *Driver) Open(path string, perm os.FileMode) (storage.Folder, error) {
	if !d.Is(path) {
		return nil, fmt.Errorf("maildir %s: open: %w", path, storage.ErrNoMailbox)
	}
	host := d.Options.Hostname
	if host == "" {
		host = fsutil.Hostname()
	}
	meta, release := d.caches.Acquire(path)
	return &Folder{
		path:    path,
		newDir:  filepath.Join(path, dirNew),
		curDir:  filepath.Join(path, dirCur),
		perm:    perm & fs.ModePerm,
		host:    host,
		now:     d.now,
		log:     d.logger(),
		meta:    meta,
		release: release,

		newValidity: d.newValidity,
	}, nil
}

// Delete removes the maildir at path: its cur, new and tmp with every
// message, and its own and Dovecot's metadata files. The directory itself
// goes only when nothing else (such as a child mailbox) is left in it.
func (d *Driver) Delete(path string) error {
	if !d.Is(path) {
		return fmt.Errorf("maildir %s: delete: %w", path, storage.ErrNoMailbox)
	}
	for _, sub := range []string{dirCur, dirNew, dirTmp} {
		if err := os.RemoveAll(filepath.Join(path, sub)); err != nil {
			return fmt.Errorf("maildir %s: delete: %w", path, err)
		}
	}
	names := append([]string{propsFile, cacheFile, modseqFile, indexFile}, foreignFiles...)
	// Temporary files, and index files that a crash left half written.
	all, _ := readNames(path)
	for _, n := range all {
		if strings.HasPrefix(n, indexFile+".tmp") || strings.HasPrefix(n, fsutil.TempPrefix) {
			names = append(names, n)
		}
	}
	for _, name := range names {
		err := os.Remove(filepath.Join(path, name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("maildir %s: delete: %w", path, err)
		}
	}
	err := os.Remove(path)
	if err != nil && !errors.Is(err, syscall.ENOTEMPTY) && !errors.Is(err, syscall.EEXIST) {
		return fmt.Errorf("maildir %s: delete: %w", path, err)
	}
	return nil
}

func (d *Driver) logger() *slog.Logger {
	if d.Options.Logger != nil {
		return d.Options.Logger
	}
	return slog.Default()
}

// newValidity returns the UIDVALIDITY for a maildir that gets one now.
func (d *Driver) newValidity() uint32 {
	if d.Options.UIDValidity != nil {
		return d.Options.UIDValidity()
	}
	return fsutil.UIDValidity(d.now())
}

func (d *Driver) now() time.Time {
	if d.Options.Now != nil {
		return d.Options.Now()
	}
	return time.Now()
}
