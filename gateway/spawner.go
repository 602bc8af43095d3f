package gateway

import (
	"os/exec"
	"runtime"
	"sync"

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
}

type spawnRequest struct {
	cmd  *exec.Cmd
	errc chan error
}

// start starts cmd on the spawner's thread.
func (s *spawner) start(cmd *exec.Cmd) error {
	s.once.Do(func() {
		s.reqs = make(chan spawnRequest)
		ready := make(chan struct{})
		go s.run(ready)
		<-ready
	})
	r := spawnRequest{cmd: cmd, errc: make(chan error, 1)}
	s.reqs <- r
	return <-r.errc
}

// run serves spawn requests on a thread of its own, forever.
func (s *spawner) run(ready chan<- struct{}) {
	runtime.LockOSThread() // never unlocked: the thread keeps the flag
	err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
	close(ready)
	for r := range s.reqs {
		if err != nil {
			r.errc <- err
			continue
		}
		r.errc <- r.cmd.Start()
	}
}
