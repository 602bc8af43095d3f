package gateway

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/mailgate/mailgate/config"
)

// The daemon keeps files that nobody but root and its own user may
// replace: the data directory (the default users file, the ACME account
// and certificate keys, the control socket), the pidfile (logrotate's
// "kill -HUP $(cat pidfile)" signals whatever it names, as root) and
// the log file. Someone else who can change the directory that holds one
// could define logins, read the keys, stand in for the control socket,
// or plant a link that root then writes through. So each such directory
// and every directory above it must be owned by root or the daemon's
// user, and writable by no group and nobody else, except with the sticky
// bit (/tmp), where others cannot rename or remove what is ours.

// dirOwnerUID is the user, besides root, who may own the directories
// above the daemon's files: the daemon's.
func dirOwnerUID() uint32 { return uint32(os.Geteuid()) }

// checkPrivateDir returns an error naming the directory at fault when
// someone other than root and the daemon's user could change what dir
// holds: dir or a directory above it, as named or with its links
// resolved, owned by another user, or writable by its group or others
// without the sticky bit. With strict, dir itself may not be writable by
// group or others even with the sticky bit (the data directory: others
// could create the files it is to hold). Directories that do not exist
// yet are left out: the daemon makes them, as its own.
func checkPrivateDir(dir string, strict bool) error {
	dir = filepath.Clean(dir)
	existing := dir
	for {
		_, err := os.Stat(existing)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			return err
		}
		existing = parent
	}
	real, err := filepath.EvalSymlinks(existing)
	if err != nil {
		return err
	}
	strictFor := map[string]bool{}
	if strict && existing == dir {
		strictFor[dir], strictFor[real] = true, true
	}
	seen := map[string]bool{}
	for _, start := range []string{existing, real} {
		for d := start; !seen[d]; d = filepath.Dir(d) {
			seen[d] = true
			if err := checkDirWriters(d, strictFor[d]); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkDirWriters checks one directory (following a link): its owner is
// root or the daemon's user, and neither group nor others may write it
// (unless it is sticky and not strict).
func checkDirWriters(d string, strict bool) error {
	fi, err := os.Stat(d)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", d)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if st.Uid != 0 && st.Uid != dirOwnerUID() {
		return fmt.Errorf("%s belongs to uid %d, who could replace what it holds", d, st.Uid)
	}
	mode := st.Mode & 0o7777
	sticky := mode&syscall.S_ISVTX != 0
	switch {
	case mode&0o002 != 0 && (strict || !sticky):
		return fmt.Errorf("%s is writable by everyone (mode %04o)", d, mode)
	case mode&0o020 != 0 && (strict || !sticky):
		return fmt.Errorf("%s is writable by group %d (mode %04o)", d, st.Gid, mode)
	}
	return nil
}

// privateDirProblems checks the directories of the data directory, the
// pidfile and the log file (checkPrivateDir), saying for each what to do.
func privateDirProblems(cfg *config.Config) []*config.Problem {
	var ps []*config.Problem
	if cfg.DataDir != "" {
		if err := checkPrivateDir(cfg.DataDir, true); err != nil {
			ps = append(ps, cfg.Problemf("data-dir", "%s: %v; it holds the users file, the ACME keys and the control socket: make it and the directories above it root's (or the daemon's user's) and writable by no one else (chown root, chmod go-w), or choose another data-dir", cfg.DataDir, err))
		}
	}
	if cfg.PIDFile != "" {
		if err := checkPIDFileDir(cfg.PIDFile); err != nil {
			ps = append(ps, cfg.Problemf("pidfile", "%s: %v; someone else could replace the pidfile, and root would signal the process it names: put it in a directory only root can write, such as /run", cfg.PIDFile, err))
		}
	}
	if d := cfg.Logging.Destination; d != config.LogStderr && d != config.LogSyslog && d != "" {
		if err := checkPrivateDir(filepath.Dir(d), false); err != nil {
			ps = append(ps, cfg.Problemf("logging.destination", "%s: %v; someone else could make root write the log into a file of their choice: put it in a directory only root can write, such as /var/log/mailgate", d, err))
		}
	}
	return ps
}

// checkPIDFileDir checks the pidfile's directory strictly: in a sticky
// /tmp anyone may make the pidfile's name first, while the daemon is
// down, naming any process for logrotate's kill to signal as root.
func checkPIDFileDir(pidfile string) error {
	return checkPrivateDir(filepath.Dir(pidfile), true)
}
