package storage

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The special-use attributes of RFC 6154 section 2: what a mailbox is
// for, so that clients find Sent, Drafts and Trash whatever they are
// called.
const (
	UseAll     = `\All`
	UseArchive = `\Archive`
	UseDrafts  = `\Drafts`
	UseFlagged = `\Flagged`
	UseJunk    = `\Junk`
	UseSent    = `\Sent`
	UseTrash   = `\Trash`
)

var specialUses = []string{UseAll, UseArchive, UseDrafts, UseFlagged, UseJunk, UseSent, UseTrash}

// ErrBadSpecialUse means a special-use attribute is not one of RFC 6154's.
var ErrBadSpecialUse = errors.New("unknown special-use attribute")

// CanonicalSpecialUse returns the special-use attribute s names, in any
// case and with or without its backslash ("sent", `\SENT`), as RFC 6154
// spells it, and false when s names none.
func CanonicalSpecialUse(s string) (string, bool) {
	s = strings.TrimPrefix(s, `\`)
	for _, u := range specialUses {
		if strings.EqualFold(s, u[1:]) {
			return u, true
		}
	}
	return "", false
}

// SpecialUseFolder is a mailbox that configuration gives a special use
// to, for every user ([[mailbox.special-use]]).
type SpecialUseFolder struct {
	// Name is the mailbox name as clients see it (modified UTF-7).
	Name string
	// Use is one of the Use constants.
	Use string
	// Create makes the mailbox when it does not exist, at every login
	// (CreateDefaultFolders), as Dovecot's auto = create does.
	Create bool
}

// specialUseFile is where the special uses that clients set (CREATE
// ... (USE (...)), RFC 6154 section 3) are kept: one "USE NAME" a line.
// It lives in the home beside the subscriptions, and follows a mailbox
// through RENAME and DELETE.
func (a *Account) specialUseFile() string {
	return filepath.Join(a.user.Home, ".mailgate-special-use")
}

// parseSpecialUse reads a special-use file: lines of a special-use
// attribute, a space and a mailbox name. Lines that are not of that form
// are skipped, so that a damaged file loses only what it lost.
func parseSpecialUse(data []byte) map[string][]string {
	uses := map[string][]string{}
	for _, line := range bytes.Split(data, []byte("\n")) {
		use, name, ok := strings.Cut(string(line), " ")
		if !ok || name == "" || strings.ContainsAny(name, "\x00\r") {
			continue
		}
		u, ok := CanonicalSpecialUse(use)
		if !ok || !strings.HasPrefix(use, `\`) {
			continue
		}
		uses[name] = addUse(uses[name], u)
	}
	return uses
}

// formatSpecialUse writes what parseSpecialUse reads, sorted.
func formatSpecialUse(uses map[string][]string) []byte {
	names := make([]string, 0, len(uses))
	for n := range uses {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, n := range names {
		for _, u := range uses[n] {
			b.WriteString(u)
			b.WriteByte(' ')
			b.WriteString(n)
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// addUse adds u to uses unless it is there, keeping them sorted.
func addUse(uses []string, u string) []string {
	i := sort.SearchStrings(uses, u)
	if i < len(uses) && uses[i] == u {
		return uses
	}
	return append(uses[:i:i], append([]string{u}, uses[i:]...)...)
}

// storedSpecialUses reads the special-use file; a missing file is none.
func (a *Account) storedSpecialUses() (map[string][]string, error) {
	data, err := os.ReadFile(a.specialUseFile())
	if errors.Is(err, fs.ErrNotExist) {
		return map[string][]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading special-use attributes: %w", err)
	}
	return parseSpecialUse(data), nil
}

// SpecialUses returns the special-use attributes of the account's
// mailboxes by name: those configuration gives, and those clients set.
// Names need not exist.
func (a *Account) SpecialUses() (map[string][]string, error) {
	uses, err := a.storedSpecialUses()
	if err != nil {
		return nil, err
	}
	for _, f := range a.layout.SpecialUse {
		uses[f.Name] = addUse(uses[f.Name], f.Use)
	}
	return uses, nil
}

// updateSpecialUses changes the stored special uses under the store's
// lock for them, and writes the file (atomically) when change says so.
func (a *Account) updateSpecialUses(change func(map[string][]string) bool) error {
	a.store.specialUseMu.Lock()
	defer a.store.specialUseMu.Unlock()
	uses, err := a.storedSpecialUses()
	if err != nil {
		return err
	}
	if !change(uses) {
		return nil
	}
	if len(uses) == 0 {
		if err := os.Remove(a.specialUseFile()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("writing special-use attributes: %w", err)
		}
		return nil
	}
	if err := writeFileAtomic(a.specialUseFile(), formatSpecialUse(uses), 0o600); err != nil {
		return fmt.Errorf("writing special-use attributes: %w", err)
	}
	return nil
}

// CreateSpecialUse creates a mailbox with special-use attributes (RFC
// 6154 section 3, CREATE-SPECIAL-USE). An attribute that is not one of
// RFC 6154's fails with ErrBadSpecialUse before anything is created.
func (a *Account) CreateSpecialUse(name string, uses []string) error {
	canon := make([]string, 0, len(uses))
	for _, u := range uses {
		c, ok := CanonicalSpecialUse(u)
		if !ok || !strings.HasPrefix(u, `\`) {
			return fmt.Errorf("%w: %q", ErrBadSpecialUse, u)
		}
		canon = addUse(canon, c)
	}
	if len(canon) > 0 {
		if loc, trailing, err := a.resolve(name); err != nil {
			return err
		} else if trailing || loc.inbox {
			return fmt.Errorf("%w: a special use needs a mailbox that holds messages", ErrBadName)
		}
	}
	if err := a.Create(name); err != nil {
		return err
	}
	if len(canon) == 0 {
		return nil
	}
	return a.updateSpecialUses(func(m map[string][]string) bool {
		for _, u := range canon {
			m[name] = addUse(m[name], u)
		}
		return true
	})
}

// forgetSpecialUse drops the stored special uses of name after a
// DELETE; those of its children, which stay, are kept.
func (a *Account) forgetSpecialUse(name string) {
	err := a.updateSpecialUses(func(m map[string][]string) bool {
		_, ok := m[name]
		delete(m, name)
		return ok
	})
	if err != nil {
		a.store.log.Warn("storage: special-use attributes of a deleted mailbox", "user", a.user.Name, "mailbox", name, "err", err)
	}
}

// renameSpecialUse moves the stored special uses of from and of the
// names below it to to, after a RENAME.
func (a *Account) renameSpecialUse(from, to, delim string) {
	err := a.updateSpecialUses(func(m map[string][]string) bool {
		return renameKeys(m, from, to, delim)
	})
	if err != nil {
		a.store.log.Warn("storage: special-use attributes of a renamed mailbox", "user", a.user.Name, "mailbox", from, "err", err)
	}
}

// CreateDefaultFolders creates the configured special-use mailboxes
// marked Create that do not exist (Dovecot's auto = create). The gateway
// calls it at every login; a mailbox the user deleted comes back at the
// next one. It tries every folder and returns the first error.
func (a *Account) CreateDefaultFolders() error {
	var first error
	for _, f := range a.layout.SpecialUse {
		if !f.Create || a.Exists(f.Name) {
			continue
		}
		if err := a.Create(f.Name); err != nil && !errors.Is(err, ErrExists) && first == nil {
			first = fmt.Errorf("creating %s (%s): %w", f.Name, f.Use, err)
		}
	}
	return first
}
