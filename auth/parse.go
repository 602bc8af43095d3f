package auth

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseError is a malformed line of a users file.
type ParseError struct {
	Path string // the users file
	Line int    // 1-based
	Err  error  // what is wrong, without the password
}

// Error returns "users: PATH:LINE: what is wrong".
func (e *ParseError) Error() string {
	return fmt.Sprintf("users: %s:%d: %v", e.Path, e.Line, e.Err)
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// entry is one user line of a users file.
type entry struct {
	line   int       // 1-based line number
	fields [8]string // as written; fields left out are empty
	hash   passwordHash
	user   User
}

// Field indexes of a users-file line.
const (
	fieldName = iota
	fieldPassword
	fieldUID
	fieldGID
	fieldGecos
	fieldHome
	fieldShell
	// fieldQuota is mailgate's own eighth field, the user's quota
	// (ParseQuota); lines without it keep passwd(5)'s seven fields.
	fieldQuota
)

// usersTable is the parsed content of a users file.
type usersTable struct {
	entries []*entry
	byName  map[string]*entry
	plain   int // users with a {PLAIN} password
}

// parseUsers parses a users file's content. path is only used in errors;
// dataDir is the parent of the homes the file leaves empty.
func parseUsers(data []byte, path, dataDir string) (*usersTable, error) {
	// One string for the whole file, cut in place (every field of every
	// entry is a piece of it), and the table sized as if every line held
	// a user: a file of 10,000 users is parsed by every inetd session.
	text := string(data)
	n := strings.Count(text, "\n") + 1
	t := &usersTable{byName: make(map[string]*entry, n), entries: make([]*entry, 0, n)}
	for i := 0; text != ""; i++ {
		var line string
		line, text, _ = strings.Cut(text, "\n")
		if isBlankOrComment(line) {
			continue
		}
		e, err := parseLine(line, dataDir)
		if err != nil {
			return nil, &ParseError{Path: path, Line: i + 1, Err: err}
		}
		e.line = i + 1
		if prev, ok := t.byName[e.user.Name]; ok {
			return nil, &ParseError{Path: path, Line: i + 1,
				Err: fmt.Errorf("user %q is already defined on line %d", e.user.Name, prev.line)}
		}
		t.byName[e.user.Name] = e
		t.entries = append(t.entries, e)
		if e.hash.scheme == schemePlain {
			t.plain++
		}
	}
	return t, nil
}

// isBlankOrComment tells whether a line holds no user.
func isBlankOrComment(line string) bool {
	s := strings.TrimSpace(line)
	return s == "" || s[0] == '#'
}

// parseLine parses one user line,
// name:password[:uid:gid:gecos:home:shell[:quota]].
func parseLine(line, dataDir string) (*entry, error) {
	line = strings.TrimRight(line, "\r")
	n := strings.Count(line, ":") + 1
	if n < 2 {
		return nil, errors.New("want name:password:uid:gid:gecos:home:shell, found no ':'")
	}
	e := &entry{}
	if n > len(e.fields) {
		return nil, fmt.Errorf("%d fields, want at most 8 (name:password:uid:gid:gecos:home:shell:quota)", n)
	}
	f := &e.fields
	rest := line
	for i := range n - 1 {
		f[i], rest, _ = strings.Cut(rest, ":")
	}
	f[n-1] = rest
	if err := CheckUserName(f[fieldName]); err != nil {
		return nil, err
	}
	var err error
	if e.hash, err = parsePasswordHash(f[fieldPassword]); err != nil {
		return nil, fmt.Errorf("user %q: %w", f[fieldName], err)
	}
	e.user = User{Name: f[fieldName], Gecos: f[fieldGecos], Home: f[fieldHome], Shell: f[fieldShell]}
	if e.user.UID, err = parseID(f[fieldUID]); err != nil {
		return nil, fmt.Errorf("user %q: uid: %w", f[fieldName], err)
	}
	if e.user.GID, err = parseID(f[fieldGID]); err != nil {
		return nil, fmt.Errorf("user %q: gid: %w", f[fieldName], err)
	}
	if e.user.Quota, err = ParseQuota(f[fieldQuota]); err != nil {
		return nil, fmt.Errorf("user %q: %w", f[fieldName], err)
	}
	if e.user.Home != "" && !filepath.IsAbs(e.user.Home) {
		return nil, fmt.Errorf("user %q: home %q is not an absolute path", f[fieldName], e.user.Home)
	}
	if e.user.Home == "" && dataDir != "" {
		e.user.Home = filepath.Join(dataDir, e.user.Name)
	}
	return e, nil
}

// parseID parses a uid or gid field; empty gives -1.
func parseID(s string) (int, error) {
	if s == "" {
		return -1, nil
	}
	if strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return int(n), nil
}

// CheckUserName tells why name cannot be a user name, or returns nil. A name
// must be valid UTF-8 of 1 to 255 bytes, must not be "." or "..", and must
// not contain ':', '/', white space or control characters.
func CheckUserName(name string) error {
	switch {
	case name == "":
		return errors.New("empty user name")
	case name == "." || name == "..":
		return fmt.Errorf("user name %q is not allowed", name)
	case len(name) > 255:
		return fmt.Errorf("user name is %d bytes long, the limit is 255", len(name))
	case !utf8.ValidString(name):
		return errors.New("user name is not valid UTF-8")
	}
	for _, r := range name {
		if r == ':' || r == '/' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("user name %q contains %q, which is not allowed", name, r)
		}
	}
	return nil
}

// checkField tells why s cannot be a field of a users-file line.
func checkField(what, s string) error {
	if strings.ContainsAny(s, ":\n\r") {
		return fmt.Errorf("%s %q contains ':' or a line break", what, s)
	}
	return nil
}

// formatLine renders a users-file line; trailing empty fields are kept so
// that every line has the seven fields of passwd(5), and the eighth, the
// quota, is written only when it is set.
func formatLine(f *[8]string) string {
	if f[fieldQuota] == "" {
		return strings.Join(f[:fieldQuota], ":")
	}
	return strings.Join(f[:], ":")
}
