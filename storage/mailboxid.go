package storage

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// Mailbox identifiers (RFC 8474 section 4, OBJECTID's MAILBOXID): a name
// for a mailbox that stays when the mailbox is renamed and is never given
// to another one. They are kept per user in one file, rather than in each
// driver's files: a line "ID UIDVALIDITY NAME" for every mailbox that was asked
// for its identifier (in the personal namespace's directory). RENAME and DELETE update the file; a mailbox whose
// UIDVALIDITY is not the one recorded (deleted and made again by another
// program, or its UIDs reset) is a new mailbox and gets a new identifier,
// as RFC 8474 section 4.1 allows only for the same name and UIDVALIDITY.

// mailboxIDFile is where a user's mailbox identifiers are kept: in the
// directory of the personal namespace's first prefix ($home/Mail by
// default), not in the home itself, which a session must leave as it
// found it but for the mail directory (a preauth session of a system
// user whose home holds everything else of theirs).
func (a *Account) mailboxIDFile() string {
	dir := "$home"
	if ps := a.NamespacePrefixes(Personal); len(ps) > 0 {
		dir = ps[0].Directory
	}
	return filepath.Join(filepath.Clean(expand(dir, a.user.Name, a.user.Home)), mailboxIDName)
}

// mailboxIDName is the identifier file's name.
const mailboxIDName = ".mailgate-mailbox-ids"

// legacyMailboxIDFile is where the identifiers were kept before they
// moved to the mail directory: the home itself. A user who has no file
// in the mail directory yet has theirs read from there, and written to
// the mail directory at the next change (updateMailboxIDs), so that the
// identifiers clients cached stay the same. The old file is left where
// it is: the home is not the session's to tidy. "" when there is none
// to read (no home, or the home is the mail directory).
func (a *Account) legacyMailboxIDFile() string {
	if a.user.Home == "" {
		return ""
	}
	p := filepath.Join(filepath.Clean(a.user.Home), mailboxIDName)
	if p == a.mailboxIDFile() {
		return ""
	}
	return p
}

// readLegacyMailboxIDs returns the content of the legacy identifier
// file, nil when there is none.
func (a *Account) readLegacyMailboxIDs() []byte {
	p := a.legacyMailboxIDFile()
	if p == "" {
		return nil
	}
	data, err := os.ReadFile(p)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			a.store.log.Warn("storage: the mailbox identifiers in the home cannot be read", "user", a.user.Name, "err", err)
		}
		return nil
	}
	return data
}

// mailboxID is one line of the identifier file: the identifier is its
// value.
type mailboxID = mailboxLine

// parseMailboxIDs reads an identifier file (parseMailboxLines).
func parseMailboxIDs(data []byte) map[string]mailboxID {
	return parseMailboxLines(data, validObjectID)
}

// formatMailboxIDs writes what parseMailboxIDs reads, sorted by name.
func formatMailboxIDs(ids map[string]mailboxID) []byte { return formatMailboxLines(ids) }

// validObjectID reports whether s is an RFC 8474 objectid: 1 to 255
// letters, digits, "_" and "-".
func validObjectID(s string) bool {
	if len(s) == 0 || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// newMailboxID returns a fresh identifier: "M" and 96 random bits, so
// that no two mailboxes, of any user, ever share one.
func newMailboxID() string {
	var b [12]byte
	rand.Read(b[:])
	return "M" + hex.EncodeToString(b[:])
}

// updateMailboxIDs changes the identifier file under the store's lock
// for it and the file's own lock (other mailgate processes), writing it
// atomically when change says so.
func (a *Account) updateMailboxIDs(change func(map[string]mailboxID) bool) error {
	return a.updateUserFile(a.mailboxIDFile(), "mailbox identifiers", func(data []byte) ([]byte, bool) {
		migrating := false
		if data == nil {
			// No file in the mail directory yet: the home's, if any,
			// is carried over whatever change says.
			data = a.readLegacyMailboxIDs()
			migrating = data != nil
		}
		ids := parseMailboxIDs(data)
		if !change(ids) && !migrating {
			return nil, false
		}
		return formatMailboxIDs(ids), true
	})
}

// updateUserFile changes one of the user's small state files at path
// (mode 0600 in a 0700 directory) under the store's lock for them and the
// file's own lock (other mailgate processes): change gets the current
// content (nil when there is none) and returns the new one, written
// atomically, when it says so. what names the file in errors.
func (a *Account) updateUserFile(path, what string, change func([]byte) ([]byte, bool)) error {
	a.store.mailboxIDMu.Lock()
	defer a.store.mailboxIDMu.Unlock()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	unlock, err := lockPath(path + ".lock")
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer unlock()
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", what, err)
	}
	out, ok := change(data)
	if !ok {
		return nil
	}
	a.store.mailboxIDs.forget(path)
	if err := writeFileAtomic(path, out, 0o600); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// MailboxID returns the identifier of the mailbox name whose UIDVALIDITY
// is uidValidity (RFC 8474 section 4), giving it one the first time it is
// asked for. INBOX is spelled in any case.
func (a *Account) MailboxID(name string, uidValidity uint32) (string, error) {
	if IsInbox(name) {
		name = InboxName
	}
	// Most calls find the identifier there: read without writing.
	if ids, ok := a.store.mailboxIDs.read(a.mailboxIDFile()); ok {
		if m, ok := ids[name]; ok && m.uidValidity == uidValidity {
			return m.value, nil
		}
	}
	var id string
	err := a.updateMailboxIDs(func(ids map[string]mailboxID) bool {
		if m, ok := ids[name]; ok && m.uidValidity == uidValidity {
			id = m.value
			return false
		}
		id = newMailboxID()
		ids[name] = mailboxID{value: id, uidValidity: uidValidity}
		return true
	})
	return id, err
}

// hasMailboxIDs reports whether the user has an identifier file: an
// account that never asked for one has nothing to update, and gets no
// file for it.
func (a *Account) hasMailboxIDs() bool {
	if _, err := os.Lstat(a.mailboxIDFile()); err == nil {
		return true
	}
	if p := a.legacyMailboxIDFile(); p != "" {
		_, err := os.Lstat(p)
		return err == nil
	}
	return false
}

// forgetMailboxID drops the identifier of name after a DELETE: a mailbox
// created later under that name is another mailbox.
func (a *Account) forgetMailboxID(name string) {
	if !a.hasMailboxIDs() {
		return
	}
	err := a.updateMailboxIDs(func(ids map[string]mailboxID) bool {
		_, ok := ids[name]
		delete(ids, name)
		return ok
	})
	if err != nil {
		a.store.log.Warn("storage: identifier of a deleted mailbox", "user", a.user.Name, "mailbox", name, "err", err)
	}
}

// renameMailboxIDs moves the identifiers of from and of the names below
// it to to, after a RENAME (RFC 8474 section 4.1: the identifier stays).
func (a *Account) renameMailboxIDs(from, to, delim string) {
	if !a.hasMailboxIDs() {
		return
	}
	err := a.updateMailboxIDs(func(ids map[string]mailboxID) bool {
		return renameKeys(ids, from, to, delim)
	})
	if err != nil {
		a.store.log.Warn("storage: identifiers of a renamed mailbox", "user", a.user.Name, "mailbox", from, "err", err)
	}
}

// idFiles keeps the identifier files last read, parsed, so that SELECT,
// STATUS and LIST-STATUS look at a file with one stat rather than
// reading and parsing it each time (a cold SELECT's largest cost after
// the mailbox itself). A file is only ever replaced whole
// (writeFileAtomic), by this process or another, so that its inode,
// size and times tell whether what was read is still its content, with
// two provisos: the file system may give a new file the inode number of
// the one it replaces (ext4 does), and a coarse clock (ext4 before Linux
// 6.13, NFS) may give two replacements within one tick the same times.
// So a file is kept only once its times are idFileSettle old: any later
// replacement then has newer times. This process's own writes drop what
// it kept of the file (updateUserFile).
type idFiles struct {
	mu    sync.Mutex
	files map[string]idFile // by path
}

// idFile is one identifier file as read, with what identifies its
// content.
type idFile struct {
	dev, ino     uint64
	size         int64
	mtime, ctime int64                // nanoseconds
	ids          map[string]mailboxID // shared: never changed once stored
}

// maxIDFiles bounds how many users' files are kept: a daemon serving many
// users starts over past it.
const maxIDFiles = 1024

// read returns the parsed content of the identifier file at path, which
// the caller must not change; false when it cannot be read (missing
// included).
func (c *idFiles) read(path string) (map[string]mailboxID, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, false
	}
	c.mu.Lock()
	f, ok := c.files[path]
	c.mu.Unlock()
	if ok && f.same(fi) {
		return f.ids, true
	}
	// Read after the stat: when another process replaces the file in
	// between, what is kept is newer than the identity it is kept
	// under, so the next stat reads it again; never the other way.
	data, err := fsutil.ReadSmall(path)
	if err != nil {
		return nil, false
	}
	ids := parseMailboxIDs(data)
	f, ok = newIDFile(fi, ids)
	if !ok {
		return ids, true
	}
	c.mu.Lock()
	if c.files == nil || len(c.files) >= maxIDFiles {
		c.files = make(map[string]idFile)
	}
	c.files[path] = f
	c.mu.Unlock()
	return f.ids, true
}

// idFileSettle is how old a file's times must be for its content to be
// kept: more than a coarse clock's tick, on any file system. A variable
// for the tests of the cache, which cannot wait for it.
var idFileSettle = 2 * time.Second

// newIDFile returns what identifies the content ids was read from, the
// file fi; false when its times are too recent to tell a replacement
// within the same tick of the clock.
func newIDFile(fi os.FileInfo, ids map[string]mailboxID) (idFile, bool) {
	f := idFile{size: fi.Size(), mtime: fi.ModTime().UnixNano(), ids: ids}
	f.dev, f.ino, f.ctime = fsutil.FileIDs(fi)
	settled := time.Now().Add(-idFileSettle).UnixNano()
	return f, f.ino != 0 && f.mtime < settled && f.ctime < settled
}

// same reports whether fi is the file f was read from, unchanged.
func (f idFile) same(fi os.FileInfo) bool {
	dev, ino, ctime := fsutil.FileIDs(fi)
	return dev == f.dev && ino == f.ino && ctime == f.ctime &&
		fi.Size() == f.size && fi.ModTime().UnixNano() == f.mtime
}

// forget drops what is kept of the file at path: this process is about to
// replace it.
func (c *idFiles) forget(path string) {
	c.mu.Lock()
	delete(c.files, path)
	c.mu.Unlock()
}
