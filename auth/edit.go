package auth

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Errors of the users-file editing functions.
var (
	ErrUserExists  = errors.New("auth: user already exists")
	ErrUnknownUser = errors.New("auth: no such user")
)

// UserOptions are the optional fields of a new users-file line. The zero
// value leaves them all empty.
type UserOptions struct {
	UID, GID *int   // nil leaves the field empty: the service's own
	Gecos    string // free text
	Home     string // absolute path; empty means <data dir>/<name>
	Shell    string
	// SCRAM stores the password as SCRAM-SHA-256 keys (HashSCRAM), which
	// log in through SCRAM-SHA-256 as well as LOGIN and PLAIN, instead of
	// a bcrypt hash, which cannot do SCRAM.
	SCRAM bool
}

// AddUser appends a user to the users file at path, with password hashed by
// HashPassword (HashSCRAM with opts.SCRAM). It creates the file (0600) and its directory (0700) if they
// are missing. opts may be nil.
func AddUser(path, name, password string, opts *UserOptions) error {
	f, err := newUserFields(name, opts)
	if err != nil {
		return err
	}
	hash := HashPassword
	if opts != nil && opts.SCRAM {
		hash = HashSCRAM
	}
	if f[fieldPassword], err = hash(password); err != nil {
		return fmt.Errorf("users: add %s: %w", name, err)
	}
	return appendUser(path, &f)
}

// addUserHashed is AddUser with the password already hashed.
func addUserHashed(path, name, hash string, opts *UserOptions) error {
	f, err := newUserFields(name, opts)
	if err != nil {
		return err
	}
	f[fieldPassword] = hash
	return appendUser(path, &f)
}

// newUserFields checks a new user's name and options and returns the
// fields of its line, the password left empty.
func newUserFields(name string, opts *UserOptions) ([8]string, error) {
	if opts == nil {
		opts = &UserOptions{}
	}
	if err := CheckUserName(name); err != nil {
		return [8]string{}, fmt.Errorf("users: add: %w", err)
	}
	f := [8]string{fieldName: name, fieldGecos: opts.Gecos, fieldHome: opts.Home, fieldShell: opts.Shell}
	for _, c := range []struct {
		what string
		id   *int
		to   *string
	}{{"uid", opts.UID, &f[fieldUID]}, {"gid", opts.GID, &f[fieldGID]}} {
		if c.id == nil {
			continue
		}
		if *c.id < 0 || *c.id > 1<<31-1 {
			return [8]string{}, fmt.Errorf("users: add %s: %s %d is out of range", name, c.what, *c.id)
		}
		*c.to = strconv.Itoa(*c.id)
	}
	for _, c := range []struct{ what, s string }{{"gecos", opts.Gecos}, {"home", opts.Home}, {"shell", opts.Shell}} {
		if err := checkField(c.what, c.s); err != nil {
			return [8]string{}, fmt.Errorf("users: add %s: %w", name, err)
		}
	}
	if opts.Home != "" && !filepath.IsAbs(opts.Home) {
		return [8]string{}, fmt.Errorf("users: add %s: home %q is not an absolute path", name, opts.Home)
	}
	return f, nil
}

// appendUser adds a line with fields f to the users file, unless the name
// is taken.
func appendUser(path string, f *[8]string) error {
	name := f[fieldName]
	return editUsersFile(path, func(lines []string, t *usersTable) ([]string, error) {
		if e, ok := t.byName[name]; ok {
			return nil, fmt.Errorf("users: %s:%d: add %s: %w", path, e.line, name, ErrUserExists)
		}
		return append(lines, formatLine(f)), nil
	})
}

// SetPassword replaces a user's password in the users file at path with
// password hashed by HashPassword; this also unlocks a locked account. The
// rest of the file is kept as it is.
func SetPassword(path, name, password string) error {
	hash, err := HashPassword(password)
	if err != nil {
		return fmt.Errorf("users: set password of %s: %w", name, err)
	}
	return setPasswordHashed(path, name, hash)
}

// SetSCRAMPassword is SetPassword storing SCRAM-SHA-256 keys (HashSCRAM)
// instead of a bcrypt hash.
func SetSCRAMPassword(path, name, password string) error {
	hash, err := HashSCRAM(password)
	if err != nil {
		return fmt.Errorf("users: set password of %s: %w", name, err)
	}
	return setPasswordHashed(path, name, hash)
}

// setPasswordHashed is SetPassword with the password already hashed.
func setPasswordHashed(path, name, hash string) error {
	return editUsersFile(path, func(lines []string, t *usersTable) ([]string, error) {
		e, ok := t.byName[name]
		if !ok {
			return nil, fmt.Errorf("users: %s: set password of %s: %w", path, name, ErrUnknownUser)
		}
		f := e.fields
		f[fieldPassword] = hash
		lines[e.line-1] = strings.Join(f[:countFields(lines[e.line-1])], ":")
		return lines, nil
	})
}

// DeleteUser removes a user's line from the users file at path.
func DeleteUser(path, name string) error {
	return editUsersFile(path, func(lines []string, t *usersTable) ([]string, error) {
		e, ok := t.byName[name]
		if !ok {
			return nil, fmt.Errorf("users: %s: delete %s: %w", path, name, ErrUnknownUser)
		}
		return append(lines[:e.line-1], lines[e.line:]...), nil
	})
}

// ListUsers returns the users of the file at path, in file order. Home is
// the field as written (empty when the file leaves it empty). A missing file
// has no users.
func ListUsers(path string) ([]User, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	t, err := parseUsers(data, path, "")
	if err != nil {
		return nil, err
	}
	out := make([]User, 0, len(t.entries))
	for _, e := range t.entries {
		out = append(out, e.user)
	}
	return out, nil
}

// HasUsers reports whether the users file at path holds a user: a line
// that is neither blank nor a comment. It reads up to the first such line
// and parses none (LoadUsersFile parses them all, and reports a bad one
// with its line): a process that only needs to know whether to make a
// first user, as every inetd session asks, does not pay for parsing every
// account (10,000 of them take about 15 ms). A missing file has no users.
func HasUsers(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("users: %w", err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadString('\n')
		if !isBlankOrComment(line) {
			return true, nil
		}
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("users: %s: %w", path, err)
		}
	}
}

// countFields returns how many fields a line has, so that an edit keeps a
// short line short.
func countFields(line string) int {
	return strings.Count(strings.TrimSuffix(line, "\r"), ":") + 1
}

// editUsersFile runs a read-modify-write of the users file under its lock.
// edit gets the file's lines (without line ends) and its parse, and returns
// the new lines. The file is replaced atomically, with mode 0600.
func editUsersFile(path string, edit func(lines []string, t *usersTable) ([]string, error)) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("users: %w", err)
	}
	unlock, err := lockPath(path)
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	defer unlock()

	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("users: %w", err)
	}
	t, err := parseUsers(data, path, "")
	if err != nil {
		return fmt.Errorf("%w (fix the file before editing it)", err)
	}
	var lines []string
	if len(data) > 0 {
		lines = strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	}
	lines, err = edit(lines, t)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return writeFileAtomic(path, []byte(b.String()))
}

// writeFileAtomic replaces path by data: a temporary file in the same
// directory, fsync, rename, and fsync of the directory. The new file has
// mode 0600 and, where the process may, the owner of the file it replaces.
func writeFileAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("users: %w", err)
	}
	if old, serr := os.Stat(path); serr == nil {
		keepOwner(tmp, old)
	}
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("users: write %s: %w", tmp.Name(), err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("users: sync %s: %w", tmp.Name(), err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("users: close %s: %w", tmp.Name(), err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("users: %w", err)
	}
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync() // the rename is done; a failed directory sync only weakens durability
		d.Close()
	}
	return nil
}
