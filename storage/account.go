package storage

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// InboxName is the one mailbox name that is case-insensitive.
const InboxName = "INBOX"

// Account is one user's view of storage: their namespaces, INBOX and
// subscriptions. Mailbox names are as the client sends them (modified
// UTF-7 in IMAP), the delimiter included.
type Account struct {
	store  *Store
	user   User
	layout *Layout

	listWarn sync.Once // a LIST stopped at Options.MaxListEntries: said once
}

// Account returns the storage view for an authenticated user.
func (s *Store) Account(u User, layout *Layout) *Account {
	return &Account{store: s, user: u, layout: layout}
}

// User returns the account's owner.
func (a *Account) User() User { return a.user }

// NamespacePrefixes returns the prefixes of a namespace, as the NAMESPACE
// command shows them.
func (a *Account) NamespacePrefixes(k NamespaceKind) []Prefix {
	switch k {
	case Personal:
		if len(a.layout.Personal.Prefixes) == 0 {
			return []Prefix{{Prefix: "", Delimiter: "/", Directory: "$home"}}
		}
		return a.layout.Personal.Prefixes
	case Other:
		return a.layout.Other.Prefixes
	default:
		return a.layout.Shared.Prefixes
	}
}

// IsInbox reports whether name means INBOX.
func IsInbox(name string) bool { return strings.EqualFold(name, InboxName) }

func (a *Account) namespace(k NamespaceKind) *Namespace {
	switch k {
	case Personal:
		return &a.layout.Personal
	case Other:
		return &a.layout.Other
	default:
		return &a.layout.Shared
	}
}

// inbox resolves INBOX.
func (a *Account) inbox() (*location, error) {
	spec := a.layout.Inbox
	if spec == "" {
		spec = "maildir:$home/INBOX"
	}
	typ := ""
	if i := strings.Index(spec, ":"); i > 0 && !strings.ContainsAny(spec[:i], "/$") {
		typ, spec = spec[:i], spec[i+1:]
		spec = strings.TrimPrefix(spec, "//")
	}
	path := filepath.Clean(expand(spec, a.user.Name, a.user.Home))
	return &location{kind: Personal, path: path, root: filepath.Dir(path), create: typ, inbox: true,
		prefix: &a.NamespacePrefixes(Personal)[0]}, nil
}

// resolve maps a mailbox name to its location.
func (a *Account) resolve(name string) (*location, bool, error) {
	if IsInbox(name) {
		loc, err := a.inbox()
		return loc, false, err
	}
	if strings.ContainsAny(name, "\x00\r\n") {
		return nil, false, fmt.Errorf("%w: control characters", ErrBadName)
	}
	var best *Prefix
	var kind NamespaceKind
	for _, k := range []NamespaceKind{Personal, Other, Shared} {
		prefixes := a.NamespacePrefixes(k)
		for i := range prefixes {
			p := &prefixes[i]
			if strings.HasPrefix(name, p.Prefix) && (best == nil || len(p.Prefix) > len(best.Prefix)) {
				best, kind = p, k
			}
		}
	}
	if best == nil {
		return nil, false, fmt.Errorf("%w: no namespace holds %q", ErrNoMailbox, name)
	}
	rest := name[len(best.Prefix):]
	user, home := a.user.Name, a.user.Home
	if kind == Other {
		delim := best.Delim()
		other := rest
		if i := strings.Index(rest, delim); i >= 0 {
			other, rest = rest[:i], rest[i+len(delim):]
		} else {
			rest = ""
		}
		if other == "" || strings.ContainsAny(other, "/\x00%*") || other == "." || other == ".." {
			return nil, false, fmt.Errorf("%w: no user named in %q", ErrNoMailbox, name)
		}
		h, ok := "", false
		if a.layout.LookupHome != nil {
			h, ok = a.layout.LookupHome(other)
		}
		if !ok {
			return nil, false, fmt.Errorf("%w: no user %q", ErrNoMailbox, other)
		}
		user, home = other, h
	}
	parts, trailing, err := splitName(rest, best.Delim())
	if err != nil {
		return nil, false, err
	}
	root := filepath.Clean(expand(best.Directory, user, home))
	path := filepath.Join(append([]string{root}, parts...)...)
	if err := checkLimits(parts, path); err != nil {
		return nil, false, err
	}
	if err := a.checkReserved(best, root, parts); err != nil {
		return nil, false, err
	}
	if !within(root, path) {
		return nil, false, fmt.Errorf("%w: %q leads outside its namespace", ErrBadName, name)
	}
	return &location{kind: kind, prefix: best, root: root, rel: parts, path: path, typ: best.Type}, trailing, nil
}

// checkReserved refuses a name level that the format of its parent
// mailbox keeps for itself (maildir's cur, MH's message numbers), judged
// by the format on disk or, for a parent yet to be made, the one it would
// be made in.
func (a *Account) checkReserved(p *Prefix, root string, parts []string) error {
	dir := root
	for _, part := range parts {
		d, ok := a.store.detect(dir, "")
		if !ok {
			d, _ = a.store.drivers[a.typeFor(p.Type)]
		}
		if d != nil && d.Internal(part) {
			return fmt.Errorf("%w: %q is reserved by the %s format", ErrBadName, part, d.Name())
		}
		dir = filepath.Join(dir, part)
	}
	return nil
}

// typeFor returns the format new mailboxes get under a prefix of type typ.
func (a *Account) typeFor(typ string) string {
	switch {
	case typ != "":
		return typ
	case a.layout.DefaultType != "":
		return a.layout.DefaultType
	}
	return "maildir"
}

// perm returns the file mode for new mailboxes in a namespace.
func (a *Account) perm(k NamespaceKind) os.FileMode {
	return 0o600 | a.namespace(k).Mode&0o066
}

// newType returns the format for a mailbox created at loc.
func (a *Account) newType(loc *location) (Driver, error) {
	typ := loc.create
	if typ == "" {
		typ = a.typeFor(loc.typ)
	}
	d, ok := a.store.drivers[typ]
	if !ok {
		return nil, fmt.Errorf("mailbox type %q is not supported", typ)
	}
	return d, nil
}

func (a *Account) writable(loc *location) error {
	if loc.kind == Other {
		return fmt.Errorf("%w: other users' mailboxes are read-only", ErrPermission)
	}
	return nil
}

// Create makes a mailbox. A name ending in the delimiter makes only the
// hierarchy level (a directory). Missing parents are made too.
func (a *Account) Create(name string) error {
	loc, trailing, err := a.resolve(name)
	if err != nil {
		return err
	}
	if err := a.writable(loc); err != nil {
		return err
	}
	if len(loc.rel) == 0 && !loc.inbox {
		return fmt.Errorf("%w: empty name", ErrBadName)
	}
	if _, err := os.Lstat(loc.path); err == nil && !(loc.inbox && !a.exists(loc)) {
		return ErrExists
	}
	perm := a.perm(loc.kind)
	if err := os.MkdirAll(filepath.Dir(loc.path), fsutil.DirPerm(perm)); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	if trailing {
		return os.Mkdir(loc.path, fsutil.DirPerm(perm))
	}
	d, err := a.newType(loc)
	if err != nil {
		return err
	}
	return d.Create(loc.path, perm)
}

func (a *Account) exists(loc *location) bool {
	_, ok := a.store.detect(loc.path, loc.typ)
	return ok
}

// ensureInbox creates INBOX when it does not exist yet.
func (a *Account) ensureInbox(loc *location) error {
	if !loc.inbox || a.exists(loc) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(loc.path), 0o700); err != nil {
		return fmt.Errorf("creating INBOX: %w", err)
	}
	d, err := a.newType(loc)
	if err != nil {
		return err
	}
	if err := d.Create(loc.path, a.perm(Personal)); err != nil && !errors.Is(err, ErrExists) {
		return fmt.Errorf("creating INBOX: %w", err)
	}
	return nil
}

// open resolves name and acquires its shared state, loaded.
func (a *Account) open(name string) (*mailbox, *location, error) {
	loc, _, err := a.resolve(name)
	if err != nil {
		return nil, nil, err
	}
	// One look at the directories both finds the format and tells
	// whether INBOX must be made.
	d, ok := a.store.detect(loc.path, loc.typ)
	if !ok && loc.inbox {
		if err := a.ensureInbox(loc); err != nil {
			return nil, nil, err
		}
		d, ok = a.store.detect(loc.path, loc.typ)
	}
	if !ok {
		return nil, nil, ErrNoMailbox
	}
	if loc.kind == Other {
		if err := a.user.mayRead(loc.path); err != nil {
			return nil, nil, err
		}
	}
	for tries := 0; ; tries++ {
		mb, err := a.store.acquire(d, loc.path, a.perm(loc.kind), loc.inbox)
		if err != nil {
			return nil, nil, err
		}
		if t, ok := mb.folder.(Tidier); ok && loc.kind != Other {
			t.MayTidy()
		}
		mb.mu.Lock()
		reused := mb.loaded
		err = mb.loadLocked()
		mb.mu.Unlock()
		if err != nil {
			a.store.release(mb)
			return nil, nil, err
		}
		if reused && tries == 0 && mb.checkAway() {
			// Removed, or moved away, by another program since it
			// was read (gone.go): what is at the path now is read
			// afresh (acquire leaves a gone mailbox).
			a.store.release(mb)
			continue
		}
		if reused {
			// Open in other sessions, or lingering: what it holds is
			// trusted when it is watched, or its folder vouches for it.
			mb.syncUnwatched()
		}
		return mb, loc, nil
	}
}

// SpoolDir returns the directory where messages on their way into a
// mailbox are kept (Options.SpoolDir): a frontend that assembles a
// message before adding it (IMAP CATENATE) keeps it there too.
func (a *Account) SpoolDir() string { return a.store.spoolDir }

// Select opens a view of a mailbox. Other users' mailboxes are always
// read-only.
func (a *Account) Select(name string, readOnly bool) (*View, error) {
	mb, loc, err := a.open(name)
	if err != nil {
		return nil, err
	}
	if loc.kind == Other {
		readOnly = true
	}
	mb.mu.Lock()
	v := newView(mb, readOnly)
	mb.mu.Unlock()
	return v, nil
}

// Status returns a mailbox's counts.
func (a *Account) Status(name string) (Status, error) {
	mb, _, err := a.open(name)
	if err != nil {
		return Status{}, err
	}
	defer a.store.release(mb)
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.countsLocked(), nil
}

// CheckAppend tells, before any data is sent, whether a message could be
// appended to name: ErrNoMailbox when it does not exist, ErrPermission
// when it is read-only for this user.
func (a *Account) CheckAppend(name string) error {
	loc, _, err := a.resolve(name)
	if err != nil {
		return err
	}
	if err := a.writable(loc); err != nil {
		return err
	}
	if !loc.inbox && !a.exists(loc) {
		return ErrNoMailbox
	}
	return nil
}

// Exists reports whether name is a selectable mailbox.
func (a *Account) Exists(name string) bool {
	loc, _, err := a.resolve(name)
	if err != nil {
		return false
	}
	if loc.inbox {
		return true
	}
	return a.exists(loc)
}

// subscriptionsFile is where a user's subscriptions are kept, one name a
// line, as GNU imap4d keeps them.
func (a *Account) subscriptionsFile() string {
	return filepath.Join(a.user.Home, ".mailboxlist")
}

// Subscriptions returns the subscribed names in order.
func (a *Account) Subscriptions() ([]string, error) {
	f, err := os.Open(a.subscriptionsFile())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading subscriptions: %w", err)
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			names = append(names, line)
		}
	}
	return names, sc.Err()
}

// Subscribe adds (or with on false removes) a name to the subscriptions.
func (a *Account) Subscribe(name string, on bool) error {
	if _, _, err := a.resolve(name); err != nil && on {
		return err
	}
	if IsInbox(name) {
		name = InboxName
	}
	names, err := a.Subscriptions()
	if err != nil {
		return err
	}
	out := names[:0]
	found := false
	for _, n := range names {
		if n == name {
			found = true
			if !on {
				continue
			}
		}
		out = append(out, n)
	}
	if on && !found {
		out = append(out, name)
	}
	if !on && !found {
		return fmt.Errorf("%w: not subscribed", ErrNoMailbox)
	}
	return a.writeSubscriptions(out)
}

func (a *Account) writeSubscriptions(names []string) error {
	sort.Strings(names)
	var sb strings.Builder
	for _, n := range names {
		sb.WriteString(n)
		sb.WriteByte('\n')
	}
	if err := os.MkdirAll(a.user.Home, 0o700); err != nil {
		return fmt.Errorf("writing subscriptions: %w", err)
	}
	return writeFileAtomic(a.subscriptionsFile(), []byte(sb.String()), 0o600)
}

// writeFileAtomic writes data to a temporary file beside path, syncs it and
// renames it over path, so that a crash leaves the old or the new file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return fsutil.SyncDir(filepath.Dir(path))
}
