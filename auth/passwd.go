package auth

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// maxPasswdLine bounds one line of a passwd-format file.
const maxPasswdLine = 64 << 10

// findPasswdLine returns the colon-separated fields of the line of the
// passwd-format file at path (passwd(5), shadow(5)) whose first field is
// name, or nil when there is none. Blank lines and lines starting with
// '#' are skipped. Errors opening the file are returned as they are, so
// that a caller can tell fs.ErrNotExist from the others.
func findPasswdLine(path, name string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fields, err := scanPasswd(f, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return fields, nil
}

// scanPasswd is findPasswdLine's reading part.
func scanPasswd(r io.Reader, name string) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxPasswdLine)
	prefix := name + ":"
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.HasPrefix(line, prefix) {
			return strings.Split(line, ":"), nil
		}
	}
	return nil, sc.Err()
}

// passwdUser makes the user of a passwd(5) line, name:password:uid:gid:
// gecos:home:shell, logging in as login. Empty uid or gid give -1; an empty
// home gives <dataDir>/<login>.
func passwdUser(login string, f []string, dataDir string) (*User, error) {
	if len(f) < 2 || len(f) > 7 {
		return nil, fmt.Errorf("user %q: %d fields, want name:password:uid:gid:gecos:home:shell", f[0], len(f))
	}
	var fields [7]string
	copy(fields[:], f)
	u := &User{Name: login, Gecos: fields[fieldGecos], Home: fields[fieldHome], Shell: fields[fieldShell]}
	var err error
	if u.UID, err = parseID(fields[fieldUID]); err != nil {
		return nil, fmt.Errorf("user %q: uid: %w", f[0], err)
	}
	if u.GID, err = parseID(fields[fieldGID]); err != nil {
		return nil, fmt.Errorf("user %q: gid: %w", f[0], err)
	}
	if err := setHome(u, dataDir); err != nil {
		return nil, err
	}
	return u, nil
}

// setHome checks u.Home, and when it is empty gives the users file's
// default, <dataDir>/<name>.
func setHome(u *User, dataDir string) error {
	switch {
	case u.Home == "" && dataDir != "":
		u.Home = filepath.Join(dataDir, u.Name)
	case u.Home != "" && !filepath.IsAbs(u.Home):
		return fmt.Errorf("user %q: home %q is not an absolute path", u.Name, u.Home)
	}
	return nil
}

// LookupSystemUser returns the system account name (getpwnam(3), through
// NSS when mailgate is built with cgo), marked System, or an error wrapping
// ErrNoUser when there is none. Its uid, gid, gecos and home come from the
// account; the shell is not known.
func LookupSystemUser(name string) (*User, error) {
	pw, err := user.Lookup(name)
	if err != nil {
		var unknown user.UnknownUserError
		if errors.As(err, &unknown) {
			return nil, ErrNoUser
		}
		return nil, unavailable("getpwnam", err)
	}
	uid, err1 := strconv.Atoi(pw.Uid)
	gid, err2 := strconv.Atoi(pw.Gid)
	if err := errors.Join(err1, err2); err != nil {
		return nil, unavailable("getpwnam", fmt.Errorf("user %q: %w", name, err))
	}
	gecos, _, _ := strings.Cut(pw.Name, ",")
	return &User{Name: pw.Username, UID: uid, GID: gid, Gecos: gecos, Home: pw.HomeDir, System: true}, nil
}
