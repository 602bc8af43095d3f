package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Reindexer is an optional interface of a Folder that keeps what it
// learnt of the mailbox (in memory, in an index file) to answer Scan
// without reading everything again. Reindex forgets it, so that the next
// Scan reads the mailbox itself; it removes only files that are caches.
// What is the truth (UIDs, UIDVALIDITY, UIDs not yet written into the
// messages, what vanished) stays.
type Reindexer interface {
	Reindex() error
}

// MailboxReport is what an administrator sees of one mailbox ("mailgate
// mailbox status"): its STATUS figures, its format and where it is.
type MailboxReport struct {
	Status
	Format string // the driver's name: "maildir", "mbox", "mh"
	Path   string
}

// Report returns a mailbox's figures, format and path.
func (a *Account) Report(name string) (MailboxReport, error) {
	mb, _, err := a.open(name)
	if err != nil {
		return MailboxReport{}, err
	}
	defer a.store.release(mb)
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return MailboxReport{Status: mb.countsLocked(), Format: mb.driver.Name(), Path: mb.path}, nil
}

// Resync drops what this process and the files beside the mailbox cache
// of it, and reads it again ("mailgate mailbox resync"): the values
// frontends derived from its messages (in memory and the cache file), and
// the folder's own index (Reindexer). UIDVALIDITY, UIDs and modification
// sequences are not caches and stay: a client that synchronised before
// needs no full resynchronisation after. Sessions see what the new read
// finds changed, as after any change by another program. Sessions in
// other processes keep what they hold in memory until they open the
// mailbox again.
func (a *Account) Resync(name string) (MailboxReport, error) {
	mb, _, err := a.open(name)
	if err != nil {
		return MailboxReport{}, err
	}
	defer a.store.release(mb)
	// No save of the old values may land after the file is removed.
	mb.cacheSaving.Lock()
	defer mb.cacheSaving.Unlock()
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.dropCacheLocked()
	mb.cacheDirty = false
	if cf, ok := mb.folder.(CacheFiler); ok && cf.CacheFile() != "" {
		if err := os.Remove(cf.CacheFile()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return MailboxReport{}, fmt.Errorf("resync %s: removing the cache file: %w", name, err)
		}
	}
	if ri, ok := mb.folder.(Reindexer); ok {
		if err := ri.Reindex(); err != nil {
			return MailboxReport{}, fmt.Errorf("resync %s: %w", name, err)
		}
	}
	if err := mb.refreshLocked(); err != nil {
		return MailboxReport{}, fmt.Errorf("resync %s: reading the mailbox: %w", name, err)
	}
	return MailboxReport{Status: mb.countsLocked(), Format: mb.driver.Name(), Path: mb.path}, nil
}
