package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// Delete removes a mailbox. Its child mailboxes stay, and its name stays
// as a \Noselect level if it has any. What the core keeps about the
// mailbox (its cache file) goes with it, so that a mailbox created later
// under the same name starts clean.
func (a *Account) Delete(name string) error {
	if IsInbox(name) {
		return fmt.Errorf("%w: INBOX cannot be deleted", ErrPermission)
	}
	loc, _, err := a.resolve(name)
	if err != nil {
		return err
	}
	if err := a.writable(loc); err != nil {
		return err
	}
	if len(loc.rel) == 0 {
		return fmt.Errorf("%w: a namespace root cannot be deleted", ErrPermission)
	}
	d, ok := a.store.detect(loc.path, loc.typ)
	if !ok {
		fi, err := os.Lstat(loc.path)
		if err != nil || !fi.IsDir() {
			return ErrNoMailbox
		}
		// A \Noselect level: remove it only when nothing is below it.
		if err := os.Remove(loc.path); err != nil {
			return ErrHasChildren
		}
		return nil
	}
	cache := a.store.cacheFileOf(d, loc.path, a.perm(loc.kind))
	// Its children stay, and so do the sessions on them. Until the
	// driver has removed it, the mailbox may stay too (gone.go).
	fence := a.store.fence(loc.path, false)
	defer fence.lift()
	if err := d.Delete(loc.path); err != nil {
		return err
	}
	defer wakeGone(fence.forget(GoneDeleted))
	a.store.dropTotals(loc.path)
	a.forgetSpecialUse(name)
	a.forgetMailboxID(name)
	if cache != "" {
		if err := os.Remove(cache); err != nil && !errors.Is(err, fs.ErrNotExist) {
			a.store.log.Warn("storage: removing the cache file of a deleted mailbox", "path", cache, "err", err)
		}
	}
	return nil
}

// Rename renames a mailbox with its children. Renaming INBOX moves its
// messages into a new mailbox and leaves INBOX empty. A driver that keeps
// files beside a mailbox (Renamer) moves them; the core moves its own
// cache file.
func (a *Account) Rename(from, to string) error {
	src, _, err := a.resolve(from)
	if err != nil {
		return err
	}
	dst, _, err := a.resolve(to)
	if err != nil {
		return err
	}
	if err := a.writable(src); err != nil {
		return err
	}
	if err := a.writable(dst); err != nil {
		return err
	}
	if len(dst.rel) == 0 || dst.inbox {
		return ErrExists
	}
	if _, err := os.Lstat(dst.path); err == nil {
		return ErrExists
	}
	if src.inbox {
		return a.renameInbox(to)
	}
	if _, err := os.Lstat(src.path); err != nil {
		return ErrNoMailbox
	}
	if isBelow(dst.path, src.path) {
		return fmt.Errorf("%w: a mailbox cannot move below itself", ErrBadName)
	}
	perm := a.perm(dst.kind)
	if err := os.MkdirAll(filepath.Dir(dst.path), fsutil.DirPerm(perm)); err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	d, isMailbox := a.store.detect(src.path, src.typ)
	cache := ""
	if isMailbox {
		cache = a.store.cacheFileOf(d, src.path, perm)
	}
	fence := a.store.fence(src.path, true)
	defer fence.lift()
	if r, ok := d.(Renamer); ok && isMailbox {
		err = r.Rename(src.path, dst.path)
	} else {
		err = os.Rename(src.path, dst.path)
	}
	if err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	defer wakeGone(fence.forget(GoneRenamed))
	if cache != "" && !strings.HasPrefix(cache, src.path+string(filepath.Separator)) {
		// A cache file beside the mailbox (an mbox's) stayed behind,
		// unless the driver took it along.
		a.moveCacheFile(cache, a.store.cacheFileOf(d, dst.path, perm))
	}
	a.store.moveTotals(src.path, dst.path)
	a.renameSubscriptions(from, to, src.prefix.Delim())
	a.renameSpecialUse(from, to, src.prefix.Delim())
	a.renameMailboxIDs(from, to, src.prefix.Delim())
	return nil
}

// moveCacheFile moves a renamed mailbox's cache file from one place to
// the other, or removes it where its new place is unknown: a cache is
// only a cache.
func (a *Account) moveCacheFile(from, to string) {
	var err error
	if to == "" {
		err = os.Remove(from)
	} else {
		err = os.Rename(from, to)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		a.store.log.Warn("storage: moving the cache file of a renamed mailbox", "path", from, "err", err)
		os.Remove(from)
	}
}

func (a *Account) renameInbox(to string) error {
	if err := a.Create(to); err != nil {
		return err
	}
	v, err := a.Select(InboxName, false)
	if err != nil {
		return err
	}
	defer v.Close()
	uids := append([]uint32(nil), v.UIDs()...)
	// The messages move within the quota root: no quota check.
	if _, _, _, err := a.copyMessages(v, uids, to, false, true); err != nil {
		return err
	}
	return v.Expunge(uids, true)
}

// renameSubscriptions renames the subscriptions of from and of the names
// below it (delim being its hierarchy delimiter) to to.
func (a *Account) renameSubscriptions(from, to, delim string) {
	names, err := a.Subscriptions()
	if err != nil {
		return
	}
	changed := false
	for i, n := range names {
		if n == from || strings.HasPrefix(n, from+delim) {
			names[i] = to + n[len(from):]
			changed = true
		}
	}
	if changed {
		a.writeSubscriptions(names)
	}
}

// renameKeys moves the entries of m for the name from and the names
// below it (with delim) to the same names under to, after a RENAME, and
// reports whether it moved any.
func renameKeys[V any](m map[string]V, from, to, delim string) bool {
	var moved []string
	for n := range m {
		if n == from || strings.HasPrefix(n, from+delim) {
			moved = append(moved, n)
		}
	}
	vals := make([]V, len(moved))
	for i, n := range moved {
		vals[i] = m[n]
		delete(m, n)
	}
	for i, n := range moved {
		m[to+n[len(from):]] = vals[i]
	}
	return len(moved) > 0
}
