// Package mh stores mailboxes as MH folders, compatible with GNU imap4d
// 3.15 and nmh.
//
// # On disk
//
// A folder is a directory of message files named by their numbers ("1",
// "2", ...); child folders are subdirectories. A message's UID is its
// number. imap4d's .mu-prop holds UIDNEXT and UIDVALIDITY, plus
// mailgate's own "recent-from" key (see New messages below), which imap4d
// ignores. Flags are nmh's public sequences in .mh_sequences: the unseen
// sequence (the profile's Unseen-Sequence when it names one sequence,
// else "unseen") holds the messages without \Seen, and "flagged",
// "replied", "deleted" and "draft" hold \Flagged, \Answered, \Deleted and
// \Draft; every other sequence but nmh's "cur" is a keyword. A message
// file that GNU imap4d wrote may hold its flags in a Status: header field
// (R, A, F, D, d as in mbox; O for "seen by a mail reader"): those count
// for every flag whose sequence .mh_sequences does not define, and the
// field is never shown to clients. Otherwise a message is as nmh sees it,
// \Seen and nothing else, except in a folder without .mh_sequences (as
// imap4d leaves one), where it is unseen. When mailgate first writes
// .mh_sequences in a folder with Status: fields, it writes every flag
// sequence, an empty one as "name:", so that from then on the file alone
// holds the flags. Message files are never rewritten; INTERNALDATE is a
// file's modification time, which Append sets.
//
// Expunged messages are renamed to ",N", as nmh's rmm does, and leave
// every sequence. Those backups stay for Options.KeepExpunged (a day by
// default; none kept removes the file at expunge instead), counted from
// the rename, which sets the file's ctime: see backups.go.
//
// .mailgate-numbers (numbersFile) records, for the processes to come,
// the inode number of the file each message number stood for when
// mailgate bound it to its UID; the core's .mailgate-cache and
// .mailgate-modseq live beside it.
//
// # New messages
//
// A message is New (so \Recent for the first session that selects the
// folder) when its number is at or above recent-from and its Status:
// field, if any, has no O. Seen raises recent-from above the messages it
// is given. A folder without recent-from gets it at its first scan: the
// lowest number that is unseen and has no O, or UIDNEXT when none is.
//
// # Invariants
//
//   - A number is used for a message file only after a .mu-prop whose
//     uidnext lies above it has been written and synced, so a crash never
//     lets a UID be given twice.
//   - Numbers are given, and .mu-prop and .mh_sequences rewritten, under
//     an exclusive flock(2) on the folder directory; scans read the
//     directory, .mu-prop and .mh_sequences under a shared one. nmh does
//     not take that lock, but it does take an fcntl(2) lock on
//     .mh_sequences (its default "datalocking: fcntl"), which mailgate
//     takes too, after the flock, to read and to rewrite the file.
//   - Files are created under a dot name, synced, and linked to their
//     number, so that a number another program took meanwhile is never
//     overwritten; .mu-prop and .mh_sequences are replaced by rename.
//     The dot file is written (Stage) without any lock and without
//     reading the Folder's state, so it runs beside any other call and a
//     slow client holds up nobody. It is named as mailgate's with its pid
//     and host (fsutil.CreateTemp), and the first scan of a Folder removes
//     those of dead processes, mailgate's fixed-name temporary files
//     (which only a holder of the exclusive lock has), and the temporary
//     files of whole-file writes (.mu-prop, .mh_sequences, the numbers
//     file, the cache) older than fsutil.WriteMaxAge, whatever process
//     and host their names say.
//   - A new message's flags are in .mh_sequences before its file is
//     linked to its number: a crash in between leaves a number without a
//     file, never a message with flags nobody set (nmh reads a message
//     missing from the unseen sequence as \Seen). nmh drops from the
//     sequences the numbers it did not see when it listed the folder, so
//     .mh_sequences is read again after the link and the new number's
//     memberships put back if an nmh program took them out meanwhile. (An
//     nmh program that listed the folder before the link and rewrites the
//     sequences after that check, such as one that slept a second waiting
//     for the file's lock, still drops them: nmh's own race, which the
//     order of mailgate's writes cannot close.) A scan drops the numbers
//     above the last message from every sequence but cur, as nmh does
//     when it writes the file, so that a message another program files
//     under such a number later does not inherit them.
//   - A message file is never read through a symbolic link, nor opened
//     when it is not a regular file (fsutil.OpenRegular): such a file is
//     not a message, and a FIFO cannot hang a scan or a FETCH.
//   - MH programs reuse the number of a removed last message, and
//     renumber a folder's files (sortm, folder -pack). A file that
//     appears under a number below the UIDNEXT of the Folder's last scan,
//     where that scan saw no file or another file (another inode), is
//     another message: Scan renames it to a fresh number and moves its
//     sequence memberships with it; the message the number stood for is
//     expunged, and appears under a fresh number too where it went. (A
//     file changed in place, as nmh's anno annotates, keeps its inode and
//     its number; one removed and written again between two scans,
//     which the file system may give the old inode number, has another
//     inode generation, where the file system keeps one: see
//     sameMessage.) Until that Scan, every open of a message's file
//     (Open, OpenQuick, StageLink) checks that the file is the one the
//     Folder saw, by its inode, size and time (fstat(2) on the open
//     file), and every change by number (SetFlags, SetFlagsBatch,
//     Expunge) the same by lstat(2) under the folder's lock: another file
//     under the number is never read, copied, flagged or removed as the
//     message. In a folder this user may not write (another user's, or
//     shared read-only), or one of another user's in a folder shared with
//     the sticky bit, such a file cannot be renamed: it keeps its number,
//     and no UID may be made up for it in memory, where the folder's
//     owner gives the same UIDs to other messages. The folder is then
//     shown under a UIDVALIDITY of the view, above the folder's and
//     derived from it and from the stuck files (every process derives
//     the same), with each UID its number, until the owner renumbers the
//     files (see Folder.viewValidity); the scan never fails for it.
//   - A process that opens the folder after another program renumbered
//     it tells the same as the process that had it open would: a Scan
//     looks a number its Folder has not seen up in .mailgate-numbers
//     (the inode number and generation of each number's file, which a
//     scan reads of every file it reads anyway), and every scan, append,
//     batch and expunge that binds or frees a number writes that file
//     under the exclusive lock before anything is cached of the message.
//     A Folder whose first Scan finds no such file that holds (none yet,
//     damaged, another version, or another directory's: a copy of the
//     folder) takes the files as it finds them and removes the core's
//     cache file, whose values by UID nothing vouches for.
//   - A Folder takes its own mutex before the folder's flock, and the
//     flock before the .mh_sequences lock, never the other way round.
package mh

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
	// UnseenSequence names the sequence of messages without \Seen. Empty
	// means the Unseen-Sequence of the .mh_profile found in a directory
	// above the folder, when it names exactly one sequence, and "unseen"
	// otherwise.
	UnseenSequence string
	// Now is the clock for default UIDVALIDITY values, for messages
	// appended without a date and for the age of expunged messages'
	// backups. Nil means time.Now.
	Now func() time.Time
	// KeepExpunged is how long the ",N" backup of an expunged message
	// (as nmh's rmm leaves one) is kept, from the rename that made it;
	// zero means DefaultKeepExpunged, and a negative value keeps none:
	// Expunge removes the file instead of renaming it. See backups.go.
	KeepExpunged time.Duration
	// Logger hears of odd files in a folder (a symbolic link named like a
	// message) and of crashed writers' files removed; nil means
	// slog.Default().
	Logger *slog.Logger
}

// Driver is the MH storage.Driver. Its zero value is ready to use; it
// must not be copied after first use.
type Driver struct {
	Options Options

	caches fsutil.Registry[fileMeta] // by folder path, while a Folder is open
}

// New returns an MH driver with default options.
func New() storage.Driver {
	return &Driver{}
}

var _ storage.Driver = (*Driver)(nil)

// Name returns "mh".
func (d *Driver) Name() string { return "mh" }

// Is reports whether path is an MH folder: a directory that is not a
// maildir (no cur and new in it) and holds .mh_sequences, .mu-prop or a
// file with an all-digit name. An empty directory is not a folder.
func (d *Driver) Is(path string) bool {
	fi, err := os.Stat(path)
	if err != nil || !fi.IsDir() || isMaildir(path) {
		return false
	}
	// Looked at again after the files: a maildir that another process is
	// making gets its cur/ and new/ before its .mu-prop, and one seen
	// without cur/ above and with a .mu-prop now is such a maildir, not
	// a folder (a session's first look at a new user's INBOX took one
	// for MH and then failed to open it).
	return hasFolderFiles(path) && !isMaildir(path)
}

// hasFolderFiles reports whether dir holds .mh_sequences, .mu-prop or a
// file with an all-digit name.
func hasFolderFiles(dir string) bool {
	for _, name := range []string{seqFile, propsFile} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	for {
		entries, err := f.ReadDir(256)
		for _, e := range entries {
			if _, ok := messageNumber(e.Name()); ok && !e.IsDir() {
				return true
			}
		}
		if err != nil {
			return false
		}
	}
}

// isMaildir reports whether dir has the cur and new of a maildir.
func isMaildir(dir string) bool {
	for _, sub := range []string{"cur", "new"} {
		fi, err := os.Stat(filepath.Join(dir, sub))
		if err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// messageNumber returns the number that a message file's name stands for.
// Only canonical decimals from 1 to 2^32-2 are messages: "007" is not.
func messageNumber(name string) (uint32, bool) {
	if name == "" || name[0] == '0' {
		return 0, false
	}
	return parseNumber([]byte(name))
}

// Internal reports whether name is MH's own rather than a child folder:
// all-digit names (messages), names starting with ',' (expunged
// messages) or '.' (.mh_sequences, .mu-prop, .xmhcache and the like).
func (d *Driver) Internal(name string) bool {
	if name == "" || name[0] == ',' || name[0] == '.' {
		return true
	}
	return strings.Trim(name, "0123456789") == ""
}

// Create makes an empty folder at path: the directory, an empty
// .mh_sequences (which makes it a folder for Is) and a .mu-prop that fixes
// its UIDVALIDITY. A directory that is there but holds no folder (a
// parent of child folders) becomes a folder; anything else there gives
// storage.ErrExists. Missing parent directories are created.
func (d *Driver) Create(path string, perm os.FileMode) error {
	perm &= fs.ModePerm
	dperm := fsutil.DirPerm(perm)
	if err := os.MkdirAll(filepath.Dir(path), dperm); err != nil {
		return fmt.Errorf("mh %s: create: %w", path, err)
	}
	if err := os.Mkdir(path, dperm); err == nil {
		if err := os.Chmod(path, dperm); err != nil {
			return fmt.Errorf("mh %s: create: %w", path, err)
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("mh %s: create: %w", path, err)
	} else if fi, err := os.Lstat(path); err != nil || !fi.IsDir() || d.Is(path) || isMaildir(path) {
		return fmt.Errorf("mh %s: create: %w", path, storage.ErrExists)
	}
	// A directory that is not a mailbox yet is completed, under its
	// lock: one left by a crash part way, one made as a parent of
	// another, or one that another session is making at this moment
	// (two sessions' first look at INBOX), which must not be told that
	// INBOX does not exist.
	unlock, err := fsutil.LockDir(path, false)
	if err != nil {
		return fmt.Errorf("mh %s: create: lock: %w", path, err)
	}
	defer unlock()
	p, err := readProps(path)
	if err != nil {
		return fmt.Errorf("mh %s: create: %s: %w", path, propsFile, err)
	}
	if p.UIDValidity == 0 {
		p.UIDValidity = d.newValidity()
		p.UIDNext = max(p.UIDNext, 1)
		p.RecentFrom = max(p.RecentFrom, 1)
		if err := writeAtomic(path, propsFile, p.Encode(), perm); err != nil {
			return fmt.Errorf("mh %s: create: %s: %w", path, propsFile, err)
		}
	}
	seq, err := os.OpenFile(filepath.Join(path, seqFile), os.O_WRONLY|os.O_CREATE, perm)
	if err == nil {
		err = seq.Chmod(perm)
		if cerr := seq.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("mh %s: create: %w", path, err)
	}
	return nil
}

// Open returns a Folder on the MH folder at path. Files it creates later
// get mode perm. It returns storage.ErrNoMailbox when path holds no
// folder.
func (d *Driver) Open(path string, perm os.FileMode) (storage.Folder, error) {
	if !d.Is(path) {
		return nil, fmt.Errorf("mh %s: open: %w", path, storage.ErrNoMailbox)
	}
	unseen := d.Options.UnseenSequence
	if unseen == "" {
		unseen = profileUnseen(path)
	}
	meta, release := d.caches.Acquire(path)
	return &Folder{
		path:    path,
		perm:    perm & fs.ModePerm,
		now:     d.now,
		fm:      flagMap{unseen: unseen},
		known:   make(map[uint32]known),
		meta:    meta,
		release: release,
		log:     d.logger(),
		keep:    d.keepExpunged(),

		newValidity: d.newValidity,
	}, nil
}

// Delete removes the folder at path: its message files, the ",N" files
// of expunged ones, .mh_sequences, .mu-prop, mailgate's own files and its
// temporary files. The directory itself goes only when nothing else (such as a
// child folder) is left in it.
func (d *Driver) Delete(path string) error {
	if !d.Is(path) {
		return fmt.Errorf("mh %s: delete: %w", path, storage.ErrNoMailbox)
	}
	unlock, err := fsutil.LockDir(path, false)
	if err != nil {
		return fmt.Errorf("mh %s: delete: lock: %w", path, err)
	}
	names, err := readNames(path)
	for _, name := range names {
		_, isMsg := messageNumber(name)
		if !isMsg && !strings.HasPrefix(name, ",") && !strings.HasPrefix(name, tmpPrefix) &&
			name != seqFile && name != propsFile && name != ".xmhcache" && name != cacheFile && name != modseqFile &&
			name != numbersFile && name != tidyFile {
			continue
		}
		p := filepath.Join(path, name)
		if fi, serr := os.Lstat(p); serr == nil && fi.IsDir() {
			continue
		}
		if rerr := os.Remove(p); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
			err = rerr
		}
	}
	unlock()
	if err != nil {
		return fmt.Errorf("mh %s: delete: %w", path, err)
	}
	err = os.Remove(path)
	if err != nil && !errors.Is(err, syscall.ENOTEMPTY) && !errors.Is(err, syscall.EEXIST) {
		return fmt.Errorf("mh %s: delete: %w", path, err)
	}
	return nil
}

// cacheFile is where the storage core keeps what frontends derived from
// the messages (storage.CacheFiler).
const cacheFile = ".mailgate-cache"

// CacheFile implements storage.CacheFiler.
func (f *Folder) CacheFile() string { return filepath.Join(f.path, cacheFile) }

// modseqFile is where the storage core keeps the folder's modification
// sequences (storage.ModSeqFiler).
const modseqFile = ".mailgate-modseq"

// ModSeqFile implements storage.ModSeqFiler.
func (f *Folder) ModSeqFile() string { return filepath.Join(f.path, modseqFile) }

// newValidity returns the UIDVALIDITY for a folder that gets one now.
func (d *Driver) newValidity() uint32 {
	if d.Options.UIDValidity != nil {
		return d.Options.UIDValidity()
	}
	return fsutil.UIDValidity(d.now())
}

func (d *Driver) logger() *slog.Logger {
	if d.Options.Logger != nil {
		return d.Options.Logger
	}
	return slog.Default()
}

func (d *Driver) now() time.Time {
	if d.Options.Now != nil {
		return d.Options.Now()
	}
	return time.Now()
}

// readNames lists a directory without sorting it or statting its entries.
func readNames(dir string) ([]string, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}
