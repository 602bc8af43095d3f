package storage

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MailboxInfo describes one name that LIST shows.
type MailboxInfo struct {
	Name        string
	Delimiter   string
	NoSelect    bool // a hierarchy level that holds no messages
	HasChildren bool
	NoInferiors bool
	// SpecialUse holds the mailbox's special-use attributes (RFC 6154),
	// sorted; nil when it has none.
	SpecialUse []string
}

// DefaultMaxListEntries is Options.MaxListEntries when it is zero. A
// LIST "*" that reads 100,000 entries took 1.5 s on a tree of 121,000
// (empty files, each an mbox to the drivers), where the whole tree took
// 4 s.
const DefaultMaxListEntries = 100_000

// List calls fn for every mailbox in the personal and shared namespaces,
// INBOX first. descend tells whether names below a given name can matter
// to the caller (so that "%" need not walk the whole tree).
func (a *Account) List(descend func(name string) bool, fn func(MailboxInfo)) error {
	inbox, err := a.inbox()
	if err != nil {
		return err
	}
	a.ensureInbox(inbox)
	uses, err := a.SpecialUses()
	if err != nil {
		// Listing without them beats not listing at all.
		a.store.log.Warn("storage: LIST without special-use attributes", "user", a.user.Name, "err", err)
	}
	if len(uses) > 0 {
		inner := fn
		fn = func(mi MailboxInfo) {
			if !mi.NoSelect {
				mi.SpecialUse = uses[mi.Name]
			}
			inner(mi)
		}
	}
	fn(MailboxInfo{Name: InboxName, Delimiter: inbox.prefix.Delim(), HasChildren: a.hasChildren(inbox.prefix, inbox.path, nil)})
	// A prefix's directory may lie inside another's ($home/Mail for
	// "#MH:" inside $home for ""): list it under its own prefix only.
	roots := map[string]bool{}
	for _, k := range []NamespaceKind{Personal, Shared} {
		for _, p := range a.NamespacePrefixes(k) {
			roots[filepath.Clean(expand(p.Directory, a.user.Name, a.user.Home))] = true
		}
	}
	for _, k := range []NamespaceKind{Personal, Shared} {
		prefixes := a.NamespacePrefixes(k)
		for i := range prefixes {
			p := &prefixes[i]
			root := filepath.Clean(expand(p.Directory, a.user.Name, a.user.Home))
			w := a.newWalker(p, root, descend, fn)
			w.inbox, w.roots = inbox.path, roots
			w.start(root, p.Prefix, 0)
		}
	}
	return nil
}

// ListOther lists another user's mailboxes below "prefix+user+delim".
func (a *Account) ListOther(prefixName string, descend func(string) bool, fn func(MailboxInfo)) error {
	loc, _, err := a.resolve(prefixName)
	if err != nil {
		return err
	}
	if loc.kind != Other {
		return ErrNoMailbox
	}
	base := loc.prefix.Prefix + strings.TrimPrefix(prefixName, loc.prefix.Prefix)
	if !strings.HasSuffix(base, loc.prefix.Delim()) {
		base += loc.prefix.Delim()
	}
	a.newWalker(loc.prefix, loc.root, descend, fn).start(loc.path, base, len(loc.rel))
	return nil
}

// walker lists the mailboxes below one prefix's directory. It never
// leaves the directory through a symbolic link, never enters a directory
// it is already inside (a link to an ancestor), descends at most MaxDepth
// levels and reads at most Options.MaxListEntries entries.
type walker struct {
	a       *Account
	p       *Prefix
	root    string
	descend func(string) bool
	fn      func(MailboxInfo)
	inbox   string          // INBOX's path: listed as "INBOX", first
	roots   map[string]bool // other prefixes' directories, not listed here

	budget int             // directory entries left to read
	inside map[string]bool // the real paths of the directories being walked
}

func (a *Account) newWalker(p *Prefix, root string, descend func(string) bool, fn func(MailboxInfo)) *walker {
	return &walker{a: a, p: p, root: root, descend: descend, fn: fn, budget: a.store.maxListEntries, inside: map[string]bool{}}
}

// start walks dir, which is depth levels below the prefix's directory.
func (w *walker) start(dir, namePrefix string, depth int) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return
	}
	w.walk(dir, real, namePrefix, depth)
}

// walk lists the entries of dir (whose path with links resolved is real),
// which is depth levels below the prefix's directory.
func (w *walker) walk(dir, real, namePrefix string, depth int) {
	if depth >= MaxDepth || w.inside[real] {
		return
	}
	entries, ok := w.read(dir)
	if !ok {
		return
	}
	w.inside[real] = true
	defer delete(w.inside, real)
	a, p := w.a, w.p
	hidden := a.hiddenIn(p, dir)
	for _, e := range entries {
		name := e.Name()
		if hidden(name) {
			continue
		}
		path := filepath.Join(dir, name)
		if w.roots[path] && path != w.root {
			continue
		}
		realPath := filepath.Join(real, name)
		if e.Type()&fs.ModeSymlink != 0 {
			if !within(w.root, path) {
				continue
			}
			r, err := filepath.EvalSymlinks(path)
			if err != nil {
				continue
			}
			realPath = r
		}
		fi, err := os.Stat(path)
		if err != nil {
			continue
		}
		_, isMailbox := a.store.detect(path, p.Type)
		if !isMailbox && (!fi.IsDir() || a.otherFormat(p, path)) {
			continue
		}
		full := namePrefix + name
		deeper := fi.IsDir() && depth+1 < MaxDepth
		if path == w.inbox {
			// INBOX is listed first, under its own name; its children
			// are listed below that name.
			full = InboxName
		} else {
			w.fn(MailboxInfo{Name: full, Delimiter: p.Delim(), NoSelect: !isMailbox,
				HasChildren: deeper && a.hasChildren(p, path, w)})
		}
		if deeper && w.descend(full+p.Delim()) {
			w.walk(path, realPath, full+p.Delim(), depth+1)
		}
		if w.budget <= 0 {
			return
		}
	}
}

// read returns the entries of dir, charging them to the budget. When the
// budget is spent it returns false and warns, once per account.
func (w *walker) read(dir string) ([]os.DirEntry, bool) {
	if w.budget <= 0 {
		return nil, false
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, false
	}
	w.budget -= len(entries)
	if w.budget <= 0 {
		w.a.listWarn.Do(func() {
			w.a.store.log.Warn("storage: LIST stopped early: too many entries below a namespace directory; "+
				"map its prefix to a directory that holds only mail",
				"user", w.a.user.Name, "directory", w.root, "limit", w.a.store.maxListEntries)
		})
	}
	return entries, true
}

// hiddenIn returns what tells, for an entry of directory dir under
// prefix p, that it is no mailbox name: a hidden file, or a file the
// format of a mailbox in dir keeps for itself (maildir's cur).
func (a *Account) hiddenIn(p *Prefix, dir string) func(name string) bool {
	parent, _ := a.store.detect(dir, p.Type)
	return func(name string) bool {
		return strings.HasPrefix(name, ".") || (parent != nil && parent.Internal(name))
	}
}

// otherFormat reports whether path holds a mailbox of a format that the
// prefix p does not allow: such a directory is not listed there at all,
// not even as a hierarchy level.
func (a *Account) otherFormat(p *Prefix, path string) bool {
	if p.Type == "" {
		return false
	}
	_, ok := a.store.detect(path, "")
	return ok
}

// hasChildren reports whether dir holds a mailbox or a hierarchy level;
// the entries it reads are charged to w's budget when w is not nil.
func (a *Account) hasChildren(p *Prefix, dir string, w *walker) bool {
	var entries []os.DirEntry
	if w != nil {
		var ok bool
		if entries, ok = w.read(dir); !ok {
			return false
		}
	} else {
		var err error
		if entries, err = os.ReadDir(dir); err != nil {
			return false
		}
	}
	hidden := a.hiddenIn(p, dir)
	for _, e := range entries {
		name := e.Name()
		if hidden(name) {
			continue
		}
		path := filepath.Join(dir, name)
		if _, ok := a.store.detect(path, p.Type); ok || (e.IsDir() && !a.otherFormat(p, path)) {
			return true
		}
	}
	return false
}
