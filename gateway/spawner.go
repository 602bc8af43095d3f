package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// spawner starts session processes from one OS thread that has
// no_new_privs set. A process inherits the flag from the thread that
// forked it, and every thread it starts inherits it in turn, so a
// session process has it on all its threads from its first instruction:
// no setuid program it could run gives root back. (Setting it from the
// session process itself would reach only the thread that asks, and
// AllThreadsSyscall is unavailable in cgo builds.) The daemon's other
// threads keep their freedom.
type spawner struct {
	once sync.Once
	reqs chan spawnRequest
	// unbounded is the warning that processes start with their user's
	// identity (startWithCredential), said once.
	unbounded sync.Once
}

type spawnRequest struct {
	cmd    *exec.Cmd
	asRoot bool // cmd runs as root: only with the bounding set dropped
	errc   chan error
}

// start starts cmd on the spawner's thread.
func (s *spawner) start(cmd *exec.Cmd) error { return s.startAs(cmd, false) }

// startRoot starts cmd, which keeps the daemon's identity (root) until it
// takes on a user's, on the spawner's thread: it fails unless that
// thread's bounding set holds only what taking on an identity needs
// (dropBounding).
func (s *spawner) startRoot(cmd *exec.Cmd) error { return s.startAs(cmd, true) }

// startWithCredential starts cmd with id's credentials from exec, on the
// spawner's thread, for a root daemon that cannot start it as root with
// its capabilities bounded (why, errNoBounding). Such a process is the
// user's and dumpable from exec until its Go runtime has started and it
// has made itself non-dumpable (confine): the user's other processes may
// stop it and reach into it in that moment. The daemon says so once.
func (s *spawner) startWithCredential(cmd *exec.Cmd, id identity, why error, log *slog.Logger) error {
	s.unbounded.Do(func() {
		log.Warn("mailgate: session and delivery processes start as their user, "+
			"open to the user's other processes until they are confined; give the daemon CAP_SETPCAP", "err", why)
	})
	groups := make([]uint32, len(id.groups))
	for i, gid := range id.groups {
		groups[i] = uint32(gid)
	}
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(id.uid), Gid: uint32(id.gid), Groups: groups}
	return s.start(cmd)
}

func (s *spawner) startAs(cmd *exec.Cmd, asRoot bool) error {
	s.once.Do(func() {
		s.reqs = make(chan spawnRequest)
		ready := make(chan struct{})
		go s.run(ready)
		<-ready
	})
	r := spawnRequest{cmd: cmd, asRoot: asRoot, errc: make(chan error, 1)}
	s.reqs <- r
	return <-r.errc
}

// run serves spawn requests on a thread of its own, forever.
func (s *spawner) run(ready chan<- struct{}) {
	runtime.LockOSThread() // never unlocked: the thread keeps the flag
	err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
	var bndErr error
	if os.Geteuid() == 0 {
		// Without CAP_SETPCAP (a container may withhold it) the
		// processes that start with a user's identity still can.
		bndErr = dropBounding()
		if bndErr == nil {
			bndErr = clearInheritable()
		}
	}
	close(ready)
	for r := range s.reqs {
		switch {
		case err != nil:
			r.errc <- err
		case r.asRoot && bndErr != nil:
			r.errc <- fmt.Errorf("%w: %w", errNoBounding, bndErr)
		default:
			r.errc <- r.cmd.Start()
		}
	}
}

// errNoBounding is startRoot's refusal when the bounding set could not
// be dropped.
var errNoBounding = errors.New("no process is started as root: its capabilities cannot be bounded")

// dropBounding leaves in this thread's capability bounding set only
// CAP_SETUID and CAP_SETGID. The bounding set, like no_new_privs, is
// each thread's and is inherited by the processes it starts: a process
// the spawner starts as root (a session process started ahead, which
// takes its user's identity only when it gets a session) has those two
// capabilities alone from exec on, enough to take on an identity
// (setgroups, setresgid, setresuid) and nothing else of root's: no
// reading other users' files (CAP_DAC_OVERRIDE), no ptrace, no chown.
// Processes started with a user's identity had none anyway. The
// thread's own capabilities are untouched: it still starts processes
// with any identity.
func dropBounding() error {
	for c := 0; c < 64; c++ {
		if c == unix.CAP_SETUID || c == unix.CAP_SETGID {
			continue
		}
		err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0)
		if errors.Is(err, unix.EINVAL) {
			break // past the last capability this kernel knows
		}
		if err != nil {
			return fmt.Errorf("dropping capability %d from the bounding set: %w", c, err)
		}
	}
	return nil
}

// clearInheritable empties this thread's inheritable and ambient sets:
// a root exec gets its inheritable capabilities in its permitted set
// whatever the bounding set says.
func clearInheritable() error {
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("clearing the ambient set: %w", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	data[0].Inheritable, data[1].Inheritable = 0, 0
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("clearing the inheritable set: %w", err)
	}
	return nil
}
