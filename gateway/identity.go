package gateway

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"runtime"
	"slices"
	"strconv"
	"syscall"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
	"golang.org/x/sys/unix"
)

// identity is the uid, gid and supplementary groups a session runs with.
type identity struct {
	uid, gid int
	groups   []int
}

// identityFor decides where u's session runs once u has logged in
// (session-process, virtual-user): ok reports whether it runs as id, in
// a process of its own; !ok keeps it in the daemon's process.
func (g *Gateway) identityFor(u *auth.User) (id identity, ok bool, err error) {
	c := g.conf()
	mode := c.SessionProcess
	if mode == config.SessionProcessNever {
		return identity{}, false, nil
	}
	root := os.Geteuid() == 0
	switch {
	case !root && mode == config.SessionProcessAlways:
		// Not root: the session process keeps the daemon's identity.
		return identity{uid: os.Getuid(), gid: os.Getgid()}, true, nil
	case !root:
		return identity{}, false, nil
	case u.UID >= 0:
		id = identity{uid: u.UID, gid: u.GID}
		if id.gid < 0 {
			if pw, err := user.LookupId(strconv.Itoa(u.UID)); err == nil {
				id.gid, _ = strconv.Atoi(pw.Gid)
			} else {
				id.gid = os.Getegid()
			}
		}
	case c.VirtualUser != "":
		vu, err := lookupAccount(c.VirtualUser)
		if err != nil {
			return identity{}, true, fmt.Errorf("virtual-user: %w", err)
		}
		id = identity{uid: vu.uid, gid: vu.gid}
	default:
		// A virtual user, and no virtual-user to run its session as:
		// in the daemon's process (Check refuses this with "always").
		return identity{}, false, nil
	}
	if id.uid == 0 {
		return id, true, errors.New("refusing to run a session as root (uid 0)")
	}
	if id.groups, err = g.groupsFor(u, id); err != nil {
		return id, true, err
	}
	if slices.Contains(id.groups, 0) && !rootGroupRetained(c) {
		// Group root owns, and may write, much of a system.
		return id, true, fmt.Errorf("refusing to run the session of %s in group root (gid 0); "+
			"name the group in retain-groups to allow it", u.Name)
	}
	return id, true, nil
}

// rootGroupRetained reports whether retain-groups names group root (gid
// 0): only then may a session run in it, as its gid or a supplementary
// group.
func rootGroupRetained(cfg *config.Config) bool {
	for _, name := range cfg.RetainGroups {
		if gid, err := lookupGroup(name); err == nil && gid == 0 {
			return true
		}
	}
	return false
}

// account is a system account's ids.
type account struct{ uid, gid int }

// lookupAccount finds a system account by name or number.
func lookupAccount(name string) (account, error) {
	var pw *user.User
	var err error
	if numeric(name) {
		pw, err = user.LookupId(name)
	} else {
		pw, err = user.Lookup(name)
	}
	if err != nil {
		return account{}, fmt.Errorf("no account %q on this system", name)
	}
	uid, _ := strconv.Atoi(pw.Uid)
	gid, _ := strconv.Atoi(pw.Gid)
	return account{uid: uid, gid: gid}, nil
}

// groupsFor returns the supplementary groups of a session running as id:
// its gid, the groups of the system account with its uid (if any),
// retain-groups, and the mail group (mailgroup.go).
func (g *Gateway) groupsFor(u *auth.User, id identity) ([]int, error) {
	groups := append([]int{id.gid}, accountGroups(id.uid)...)
	for _, name := range g.conf().RetainGroups {
		gid, err := lookupGroup(name)
		if err != nil {
			return nil, fmt.Errorf("retain-groups: %w", err)
		}
		groups = append(groups, gid)
	}
	if g.mailGID != noMailGroup {
		groups = append(groups, g.mailGID)
	}
	slices.Sort(groups)
	return slices.Compact(groups), nil
}

// accountGroups returns the groups of the system account whose uid is
// uid, or none when there is no such account.
func accountGroups(uid int) []int {
	var groups []int
	pw, err := user.LookupId(strconv.Itoa(uid))
	if err != nil {
		return nil
	}
	ids, err := pw.GroupIds()
	if err != nil {
		return nil
	}
	for _, s := range ids {
		if n, err := strconv.Atoi(s); err == nil {
			groups = append(groups, n)
		}
	}
	return groups
}

// lookupGroup finds a group by name or number.
func lookupGroup(name string) (int, error) {
	if numeric(name) {
		n, _ := strconv.Atoi(name)
		return n, nil
	}
	gr, err := user.LookupGroup(name)
	if err != nil {
		return 0, fmt.Errorf("no group %q on this system", name)
	}
	return strconv.Atoi(gr.Gid)
}

// identityProblems refuses at start what would leave a session without
// an identity: "always" as root with no virtual-user, a virtual-user or
// retain-groups entry that does not exist, a virtual-user that is root or
// in group root (unless retain-groups names it).
func identityProblems(cfg *config.Config) []*config.Problem {
	var ps []*config.Problem
	if cfg.SessionProcess == config.SessionProcessAlways && cfg.VirtualUser == "" && os.Geteuid() == 0 {
		ps = append(ps, cfg.Problemf("session-process", `"always" as root needs virtual-user, the account that runs the sessions of users without a uid`))
	}
	if n := cfg.VirtualUser; n != "" {
		a, err := lookupAccount(n)
		switch {
		case err != nil:
			ps = append(ps, cfg.Problemf("virtual-user", "%v", err))
		case a.uid == 0:
			ps = append(ps, cfg.Problemf("virtual-user", "%q is root; sessions never run as root", n))
		case (a.gid == 0 || slices.Contains(accountGroups(a.uid), 0)) && !rootGroupRetained(cfg):
			ps = append(ps, cfg.Problemf("virtual-user", "%q is in group root (gid 0); sessions run in it only "+
				"when retain-groups names it", n))
		}
	}
	for _, n := range cfg.RetainGroups {
		if _, err := lookupGroup(n); err != nil {
			ps = append(ps, cfg.Problemf("retain-groups", "%v", err))
		}
	}
	return ps
}

// confine makes this process non-dumpable, sets no_new_privs and checks
// that this process is not root and cannot become root again. A session
// or delivery process that a root daemon started as root runs it right
// after it has taken on the user's identity (takeIdentity; a change of
// uid makes a process dumpable again where fs.suid_dumpable is 1); one
// started with the identity already (a daemon that is not root, or that
// cannot bound a root process's capabilities) runs it first, before it
// reads anything from the daemon.
//
// Non-dumpable, the process is the user's but out of the reach of the
// user's other processes: no ptrace, no /proc/PID/mem, no pidfd_getfd of
// its sockets (the client's connection and its control socket to the
// root daemon), which every one of the user's processes would have
// otherwise.
func confine() error {
	if err := undumpable(); err != nil {
		return err
	}
	// no_new_privs is a property of each thread, inherited by the
	// threads and processes it starts. The daemon starts session
	// processes from a thread that has it (spawner), so every thread of
	// this process has it already; setting it again here covers a session
	// process started some other way, on this thread at least.
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	if os.Getuid() == 0 || os.Geteuid() == 0 {
		return errors.New("still root")
	}
	if err := syscall.Setuid(0); err == nil {
		return errors.New("setuid(0) succeeded: root can be regained")
	}
	return nil
}

// undumpable makes this process non-dumpable: the first thing a session
// or delivery process does. One started as root that then takes on the
// user's identity itself is thus never the user's and dumpable at once
// (setresuid leaves it non-dumpable, unless fs.suid_dumpable is 1, and
// confine makes it so again right after).
func undumpable() error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("PR_SET_DUMPABLE: %w", err)
	}
	return nil
}

// exitPrivileges is the exit status of a session process that could not
// shed root.
const exitPrivileges = 77

// asUser runs f with id's file system identity (fsuid, fsgid and
// supplementary groups) when the daemon is root, so that the kernel
// checks f's file accesses as id's, without root's overrides: f can reach
// only what the user can. It runs on an OS thread of its own, whose
// credentials alone change (setfsuid, setfsgid and the raw setgroups act
// on one thread), and which ends with f rather than go back to the Go
// scheduler with them. Not root, f runs as it is.
func asUser(id identity, f func() error) error {
	if os.Geteuid() != 0 {
		return f()
	}
	done := make(chan error, 1)
	go func() {
		// Never unlocked: the goroutine's exit ends the thread.
		runtime.LockOSThread()
		done <- func() error {
			if err := unix.Setgroups(id.groups); err != nil {
				return fmt.Errorf("setgroups on a thread: %w", err)
			}
			unix.Setfsgid(id.gid)
			unix.Setfsuid(id.uid)
			// Both calls return the previous value: asking again with an
			// id that cannot be set tells the one in force.
			if gid, _ := unix.SetfsgidRetGid(-1); gid != id.gid {
				return fmt.Errorf("setfsgid %d on a thread: the fsgid is %d", id.gid, gid)
			}
			if uid, _ := unix.SetfsuidRetUid(-1); uid != id.uid {
				return fmt.Errorf("setfsuid %d on a thread: the fsuid is %d", id.uid, uid)
			}
			return f()
		}()
	}()
	return <-done
}
