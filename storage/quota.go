package storage

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
)

// ErrOverQuota means that storing the message(s) would take the user
// over their quota (IMAP's NO [OVERQUOTA], LMTP's 452 4.2.2).
var ErrOverQuota = errors.New("over quota")

// QuotaLimits are a user's quota limits (RFC 9208's STORAGE and MESSAGE
// resources) over every mailbox of their personal namespace, INBOX
// included; 0 means no limit.
type QuotaLimits struct {
	Storage  int64 // bytes
	Messages int64
}

// Any reports whether some resource is limited.
func (l QuotaLimits) Any() bool { return l.Storage > 0 || l.Messages > 0 }

// QuotaUsage is what a user's personal mailboxes hold.
type QuotaUsage struct {
	Storage  int64 // bytes: the sum of the messages' RFC822.SIZE
	Messages int64
}

// usage tracks the mail of one user's personal namespace, by mailbox
// path, so that a quota check costs no scan: it is read once (every
// personal mailbox opened and counted), then each open mailbox reports
// its new totals whenever messages come or go (mailbox.totalsChangedLocked),
// whoever made the change, a session, a delivery or another program. A
// mailbox nobody has open is counted as it was when last open; another
// program's changes to it count from when it is next opened.
//
// Lock order: mailbox.mu, then Store.usageMu, then usage.mu. load holds
// usage.loading only, never mu, while it opens mailboxes.
type usage struct {
	roots []string // the personal prefixes' directories
	inbox string   // INBOX's path, which may lie elsewhere (a spool)

	loading sync.Mutex // one load at a time

	mu     sync.Mutex
	active bool                // being loaded or loaded: totals are recorded
	loaded bool                // every personal mailbox has been counted
	boxes  map[string][2]int64 // mailbox path: messages, bytes
}

// covers reports whether the mailbox at path is in this usage's namespace.
func (u *usage) covers(path string) bool {
	if path == u.inbox {
		return true
	}
	for _, r := range u.roots {
		if path == r || isBelow(path, r) {
			return true
		}
	}
	return false
}

// totals sums the boxes; u.mu is held.
func (u *usage) totalsLocked() QuotaUsage {
	var t QuotaUsage
	for _, b := range u.boxes {
		t.Messages += b[0]
		t.Storage += b[1]
	}
	return t
}

// usageOf returns the store's usage of the account's owner, made on first
// use.
func (a *Account) usageOf() *usage {
	s := a.store
	key := a.user.Name + "\x00" + a.user.Home
	s.usageMu.Lock()
	defer s.usageMu.Unlock()
	if u, ok := s.usages[key]; ok {
		return u
	}
	u := &usage{boxes: map[string][2]int64{}}
	for _, p := range a.NamespacePrefixes(Personal) {
		u.roots = append(u.roots, filepath.Clean(expand(p.Directory, a.user.Name, a.user.Home)))
	}
	if loc, err := a.inbox(); err == nil {
		u.inbox = loc.path
	}
	s.usages[key] = u
	return u
}

// noteTotals records the totals of the mailbox at path in every usage
// that covers it; the mailbox's lock is held.
func (s *Store) noteTotals(path string, msgs, bytes int64) {
	s.usageMu.Lock()
	defer s.usageMu.Unlock()
	for _, u := range s.usages {
		if !u.covers(path) {
			continue
		}
		u.mu.Lock()
		if u.active {
			u.boxes[path] = [2]int64{msgs, bytes}
		}
		u.mu.Unlock()
	}
}

// dropTotals follows a DELETE: the mailbox at path holds nothing any
// more (its children, which stay, keep theirs).
func (s *Store) dropTotals(path string) {
	s.usageMu.Lock()
	defer s.usageMu.Unlock()
	for _, u := range s.usages {
		u.mu.Lock()
		delete(u.boxes, path)
		u.mu.Unlock()
	}
}

// moveTotals follows a RENAME: the totals of the mailboxes at from and
// below it move to to.
func (s *Store) moveTotals(from, to string) {
	s.usageMu.Lock()
	defer s.usageMu.Unlock()
	for _, u := range s.usages {
		u.mu.Lock()
		for p, b := range u.boxes {
			if p != from && !isBelow(p, from) {
				continue
			}
			delete(u.boxes, p)
			if rel, err := filepath.Rel(from, p); err == nil {
				u.boxes[filepath.Join(to, rel)] = b
			}
		}
		u.mu.Unlock()
	}
}

// QuotaUsage returns what the user's personal mailboxes hold, counting
// them the first time.
func (a *Account) QuotaUsage() (QuotaUsage, error) {
	u := a.usageOf()
	if err := a.loadUsage(u); err != nil {
		return QuotaUsage{}, err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.totalsLocked(), nil
}

// loadUsage counts every personal mailbox once.
func (a *Account) loadUsage(u *usage) error {
	u.loading.Lock()
	defer u.loading.Unlock()
	u.mu.Lock()
	loaded := u.loaded
	u.active = true
	u.mu.Unlock()
	if loaded {
		return nil
	}
	var names []string
	inbox, err := a.inbox()
	if err != nil {
		return err
	}
	a.ensureInbox(inbox)
	names = append(names, InboxName)
	roots := map[string]bool{}
	for _, r := range u.roots {
		roots[r] = true
	}
	prefixes := a.NamespacePrefixes(Personal)
	for i := range prefixes {
		p := &prefixes[i]
		root := filepath.Clean(expand(p.Directory, a.user.Name, a.user.Home))
		w := a.newWalker(p, root, func(string) bool { return true }, func(mi MailboxInfo) {
			if !mi.NoSelect {
				names = append(names, mi.Name)
			}
		})
		w.inbox, w.roots = inbox.path, roots
		w.start(root, p.Prefix, 0)
	}
	for _, name := range names {
		mb, _, err := a.open(name)
		if errors.Is(err, ErrNoMailbox) {
			continue // gone meanwhile
		}
		if err != nil {
			return fmt.Errorf("counting quota usage of %s: %w", name, err)
		}
		mb.mu.Lock()
		a.store.noteTotals(mb.path, int64(mb.countLocked()), mb.bytes)
		mb.mu.Unlock()
		a.store.release(mb)
	}
	u.mu.Lock()
	u.loaded = true
	u.mu.Unlock()
	return nil
}

// quotaApplies reports whether the user has limits and the mailbox name
// is under them (their personal namespace).
func (a *Account) quotaApplies(name string) bool {
	if !a.user.Quota.Any() {
		return false
	}
	loc, _, err := a.resolve(name)
	return err == nil && loc.kind == Personal
}

// QuotaRoot returns the quota root of the mailbox name: "", the one root
// of a user with limits, which holds their personal namespace. ok is
// false when no quota applies to the mailbox (RFC 9208 section 4.3).
func (a *Account) QuotaRoot(name string) (root string, ok bool) {
	return "", a.quotaApplies(name)
}

// Quota returns the user's limits and what their personal mailboxes hold.
func (a *Account) Quota() (QuotaLimits, QuotaUsage, error) {
	if !a.user.Quota.Any() {
		return a.user.Quota, QuotaUsage{}, nil
	}
	use, err := a.QuotaUsage()
	return a.user.Quota, use, err
}

// CheckQuota tells whether msgs more messages of bytes octets in all can
// be stored in the mailbox name without going over the user's quota:
// ErrOverQuota (wrapped, naming the resource) when they cannot. It is
// the one place where quota is checked: APPEND, COPY, MOVE and LMTP
// delivery call it through the account, and a MULTIAPPEND checks its
// whole set with one call before committing. Concurrent stores are not
// serialised against it, so two of them may together pass a limit by a
// message each.
func (a *Account) CheckQuota(name string, bytes, msgs int64) error {
	if !a.quotaApplies(name) {
		return nil
	}
	use, err := a.QuotaUsage()
	if err != nil {
		return err
	}
	lim := a.user.Quota
	if lim.Messages > 0 && use.Messages+msgs > lim.Messages {
		return fmt.Errorf("%w: %d of %d messages", ErrOverQuota, use.Messages, lim.Messages)
	}
	if lim.Storage > 0 && use.Storage+bytes > lim.Storage {
		return fmt.Errorf("%w: %d of %d bytes", ErrOverQuota, use.Storage, lim.Storage)
	}
	return nil
}
