package maildir

import (
	"errors"
	"math"
	"slices"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// This file holds what mailgate allocates under the maildir lock: UIDs in
// .mu-prop and keyword letters in dovecot-keywords.

// allocate reserves n UIDs under the maildir lock and returns the first.
// When then is not nil it runs inside the lock after .mu-prop is synced.
func (f *Folder) allocate(n int, then func(first uint32) error) (uint32, error) {
	unlock, err := fsutil.LockDir(f.path, false)
	if err != nil {
		return 0, f.errorf("lock: %w", err)
	}
	defer unlock()
	first, err := f.allocateLocked(n, 0, 0)
	if err == nil && then != nil {
		err = then(first)
	}
	return first, err
}

// allocateLocked reserves n UIDs and returns the first; the caller holds
// the exclusive maildir lock. It reads .mu-prop, never lets uidnext go
// back, and raises it to at least minNext. validity, when not zero, is the
// UIDVALIDITY the caller assumed: it is stored when .mu-prop has none, and
// allocateLocked fails with errValidityChanged when .mu-prop has another.
func (f *Folder) allocateLocked(n int, minNext, validity uint32) (uint32, error) {
	p, err := readProps(f.path)
	if err != nil {
		return 0, f.errorf("%s: %w", propsFile, err)
	}
	old := p
	switch {
	case p.UIDValidity != 0 && validity != 0 && p.UIDValidity != validity:
		return 0, errValidityChanged
	case p.UIDValidity == 0 && validity != 0:
		p.UIDValidity = validity
	case p.UIDValidity == 0 && f.validity != 0:
		p.UIDValidity = f.validity
	case p.UIDValidity == 0:
		if p.UIDValidity, minNext, err = f.defaultValidity(minNext); err != nil {
			return 0, err
		}
	}
	first := max(p.UIDNext, minNext, f.uidNext, 1)
	if uint64(first)+uint64(n) > math.MaxUint32 {
		return 0, f.errorf("no UIDs left under this UIDVALIDITY; recreate the mailbox")
	}
	p.UIDNext = first + uint32(n)
	if p.UIDNext != old.UIDNext || p.UIDValidity != old.UIDValidity {
		if err := writeAtomic(f.path, propsFile, p.Encode(), f.perm); err != nil {
			return 0, f.errorf("%s: %w", propsFile, err)
		}
	}
	f.validity, f.uidNext = p.UIDValidity, p.UIDNext
	return first, nil
}

// errValidityChanged means that .mu-prop's UIDVALIDITY is not the one a
// scan decided on.
var errValidityChanged = errors.New("UIDVALIDITY changed meanwhile")

// defaultValidity is the UIDVALIDITY of a maildir without one in
// .mu-prop that the Folder does not know either (allocateLocked keeps
// the one it knows, as scan does): its index file's, its
// dovecot-uidlist's, or a new one. It returns minNext raised to the
// index file's UIDNEXT when it took the index file's. The caller holds
// the exclusive maildir lock and stores it.
func (f *Folder) defaultValidity(minNext uint32) (uint32, uint32, error) {
	if v, next := f.indexCounters(); v != 0 {
		return v, max(minNext, next), nil
	}
	l, err := f.loadUIDList()
	if err != nil {
		return 0, minNext, err
	}
	if l != nil {
		return l.validity, minNext, nil
	}
	return f.newValidity(), minNext, nil
}

func (f *Folder) loadUIDList() (*uidList, error) {
	if !f.uidListLoaded {
		l, err := readUIDList(f.path)
		if err != nil {
			return nil, f.errorf("%s: %w", uidListFile, err)
		}
		f.uidList, f.uidListLoaded = l, true
	}
	return f.uidList, nil
}

// letters turns flags into info letters, adding missing keywords to
// dovecot-keywords under the maildir lock. old are the file's current
// letters, whose unknown letters are kept.
func (f *Folder) letters(flags []string, old string) (string, error) {
	if !f.kwRead {
		// old's keyword letters must be known to be dropped or kept.
		kw, err := readKeywords(f.path)
		if err != nil {
			return "", f.errorf("%s: %w", keywordsFile, err)
		}
		f.kw, f.kwRead = kw, true
	}
	letters, missing, err := encodeFlags(flags, &f.kw, old)
	if err != nil {
		return "", f.errorf("%w", err)
	}
	if len(missing) == 0 {
		return letters, nil
	}
	unlock, err := fsutil.LockDir(f.path, false)
	if err != nil {
		return "", f.errorf("lock: %w", err)
	}
	defer unlock()
	kw, err := readKeywords(f.path)
	if err != nil {
		return "", f.errorf("%s: %w", keywordsFile, err)
	}
	changed := false
	for _, m := range missing {
		if _, ok := kw.index(m); ok {
			continue
		}
		if !kw.add(m) {
			f.kw, f.kwRead = kw, true
			return "", f.errorf("keyword %q: %w", m, storage.ErrTooManyKeywords)
		}
		changed = true
	}
	if changed {
		if err := writeAtomic(f.path, keywordsFile, kw.encode(), f.perm); err != nil {
			return "", f.errorf("%s: %w", keywordsFile, err)
		}
	}
	f.kw, f.kwRead = kw, true
	letters, _, err = encodeFlags(flags, &f.kw, old)
	return letters, err
}

// lettersMemo remembers, within one batch of flag changes, the letters
// that flags of the system (and old letters of the system, upper case)
// come to, which do not depend on the keywords' letters: a STORE of
// 10,000 messages has only a few sets of flags and of old letters.
type lettersMemo struct {
	seen []lettersEntry
}

type lettersEntry struct {
	flags        []string
	old, letters string
}

// lettersMemoMax bounds what a lettersMemo remembers.
const lettersMemoMax = 32

// memoLetters is letters, with the results for system flags remembered
// in m when m is not nil.
func (f *Folder) memoLetters(m *lettersMemo, flags []string, old string) (string, error) {
	if m == nil || !systemOnly(flags, old) {
		return f.letters(flags, old)
	}
	for _, e := range m.seen {
		if e.old == old && slices.Equal(e.flags, flags) {
			return e.letters, nil
		}
	}
	letters, err := f.letters(flags, old)
	if err == nil && len(m.seen) < lettersMemoMax {
		m.seen = append(m.seen, lettersEntry{flags: flags, old: old, letters: letters})
	}
	return letters, err
}

// systemOnly reports whether flags are all system flags (a backslash
// first) and old letters all upper case, so that the letters they make
// do not depend on the keywords' table.
func systemOnly(flags []string, old string) bool {
	for _, f := range flags {
		if f == "" || f[0] != '\\' {
			return false
		}
	}
	for i := range len(old) {
		if old[i] >= 'a' && old[i] <= 'z' {
			return false
		}
	}
	return true
}
