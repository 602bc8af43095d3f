package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// NamespaceKind tells the three RFC 2342 namespaces apart.
type NamespaceKind int

// The namespaces.
const (
	Personal NamespaceKind = iota
	Other
	Shared
)

func (k NamespaceKind) String() string {
	switch k {
	case Personal:
		return "personal"
	case Other:
		return "other"
	default:
		return "shared"
	}
}

// Prefix maps a mailbox name prefix, as clients see it, to a directory.
type Prefix struct {
	Prefix    string // for example "", "#MH:", "~" or "#shared/"
	Delimiter string // one character; "/" when empty
	// Directory may hold $user and $home (see the seed's "Namespace").
	Directory string
	// Type restricts the prefix to one mailbox format ("maildir", "mbox",
	// "mh"); empty means any format on disk, and Layout.DefaultType for
	// new mailboxes.
	Type string
}

// Delim returns the hierarchy delimiter, "/" by default.
func (p *Prefix) Delim() string {
	if p.Delimiter == "" {
		return "/"
	}
	return p.Delimiter
}

// Namespace is one of the three namespaces: its prefixes and the mode of
// the mailboxes created in it.
type Namespace struct {
	Prefixes []Prefix
	// Mode holds the group and other bits that mailbox-mode sets; the
	// owner always gets read and write.
	Mode os.FileMode
}

// Layout is where a user's mail is: the namespaces and INBOX.
type Layout struct {
	Personal, Other, Shared Namespace
	// Inbox is INBOX's location as "[type:]path" with $user and $home, for
	// example "maildir:$home/INBOX" or "mbox:/var/mail/$user".
	Inbox string
	// DefaultType is the format of new mailboxes in a prefix without one.
	DefaultType string
	// LookupHome finds another user's home directory, for $home in the
	// other users' namespace.
	LookupHome func(user string) (string, bool)
	// SpecialUse gives mailboxes special-use attributes (RFC 6154) for
	// every user, and says which to create at login.
	SpecialUse []SpecialUseFolder
}

// User is the authenticated owner of an Account.
type User struct {
	Name string
	Home string
	// HasIDs says that UID and GID are the user's own system ids, for the
	// file-mode checks on other users' mailboxes; without them the user
	// acts with the service's ids and may read what the service can.
	HasIDs   bool
	UID, GID int
	// Quota limits the mail of the user's personal namespace (RFC 9208);
	// the zero value limits nothing.
	Quota QuotaLimits
}

// expand replaces $user, ${user}, $home and ${home} in s. It runs on
// every SELECT, so it builds no Replacer.
func expand(s, user, home string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s = s[i:]
		switch {
		case strings.HasPrefix(s, "${user}"):
			b.WriteString(user)
			s = s[len("${user}"):]
		case strings.HasPrefix(s, "${home}"):
			b.WriteString(home)
			s = s[len("${home}"):]
		case strings.HasPrefix(s, "$user"):
			b.WriteString(user)
			s = s[len("$user"):]
		case strings.HasPrefix(s, "$home"):
			b.WriteString(home)
			s = s[len("$home"):]
		default:
			b.WriteByte('$')
			s = s[1:]
		}
	}
}

// location is a mailbox name resolved to the file system.
type location struct {
	kind   NamespaceKind
	prefix *Prefix
	root   string // the prefix's directory, expanded
	rel    []string
	path   string // where the mailbox is (root when rel is empty)
	typ    string // the prefix's type restriction, or "" for any
	// create is the format a missing INBOX is created in (the type that
	// mailbox-pattern names); INBOX itself is found in any format.
	create string
	inbox  bool
}

// splitName checks a mailbox name below a prefix and splits it at the
// delimiter. A trailing delimiter is dropped and reported.
func splitName(rest, delim string) (parts []string, trailing bool, err error) {
	if strings.HasSuffix(rest, delim) {
		trailing = true
		rest = strings.TrimSuffix(rest, delim)
	}
	if rest == "" {
		return nil, trailing, nil
	}
	for _, part := range strings.Split(rest, delim) {
		switch {
		case part == "":
			return nil, false, fmt.Errorf("%w: empty hierarchy level", ErrBadName)
		case part == "." || part == "..":
			return nil, false, fmt.Errorf("%w: %q is not allowed", ErrBadName, part)
		case strings.HasPrefix(part, "."):
			return nil, false, fmt.Errorf("%w: names may not start with a dot", ErrBadName)
		case strings.ContainsAny(part, "/\x00\r\n"):
			return nil, false, fmt.Errorf("%w: %q holds a character that is not allowed", ErrBadName, part)
		}
		parts = append(parts, part)
	}
	return parts, trailing, nil
}

// within reports whether path is root or below it, after resolving links
// that exist.
func within(root, path string) bool {
	r, err := filepath.EvalSymlinks(root)
	if err != nil {
		r = root
	}
	p := path
	// Resolve the longest existing ancestor.
	for {
		if q, err := filepath.EvalSymlinks(p); err == nil {
			rest, _ := filepath.Rel(p, path)
			p = filepath.Join(q, rest)
			break
		}
		parent := filepath.Dir(p)
		if parent == p {
			p = path
			break
		}
		p = parent
	}
	rel, err := filepath.Rel(r, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
