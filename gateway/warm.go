package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/imap"
	"golang.org/x/sys/unix"
)

// Waking a hibernated session in a new process costs that process's
// start: exec, the Go runtime's and packages' start, and reading the
// configuration, together most of the wake-up (tens of milliseconds on a
// busy machine). So while sessions hibernate the daemon keeps one
// session process started ahead ("warm"): started from the spawner's
// thread (no_new_privs on every thread), with the configuration read,
// parked before it has the client's connection or knows a user. A
// wake-up hands it the user's identity alone; it takes it on for good
// (setgroups, setresgid, setresuid on every thread, then the same checks
// as a session process started with that identity), says so, and only
// then receives the client's connection and, after it, the session's
// state: a client's socket never reaches a process still running as
// root, and no such process decodes what the client sent ahead or what
// the user's former session process left at hibernation. While
// it waits it has uid 0 but, of root's capabilities, only CAP_SETUID and
// CAP_SETGID, which taking on the identity needs: the spawner's thread
// has dropped every other from its bounding set (dropBounding), which
// limits what exec gives a root process. It has no client and runs no
// request of anyone's; what it reads (its configuration, without
// secrets) comes from the daemon over its socket.
//
// A root daemon starts every session process this way, not only those
// ahead of wake-ups: one for a login is started the same, and takes its
// session at once (startSessionProcess). A process started with the
// user's identity by exec would be the user's and dumpable from exec
// until its Go runtime had started and it could make itself
// non-dumpable, a moment in which the user's other processes could stop
// it and write its memory; one started as root makes itself
// non-dumpable first (undumpable), and setresuid keeps it so. Delivery
// processes take on their identity the same way (takeIdentity).

// warmFlag marks a session process started ahead (with
// SessionProcessFlag): fd 3 is its socket to the daemon.
const warmFlag = "--warm"

// warmReady is the byte a warm process sends when it has read its
// configuration and waits for a session.
const warmReady = 'R'

// identityMessage is the identity a process started as root takes on
// (takeIdentity): a warm session process, a delivery process.
type identityMessage struct {
	UID    int      `json:"uid"`
	GID    int      `json:"gid"`
	Groups []int    `json:"groups,omitempty"`
	Env    []string `json:"env,omitempty"` // USER, LOGNAME, HOME
}

// A process started as root is told its identity first, in a line of
// its own, and reads nothing after that line before it has taken the
// identity on and is confined (takeIdentityFrom). What comes after is
// what others shaped: a session's state (the client's bytes sent ahead,
// and on a wake-up the mailbox, view and IDLE tag that the user's former
// session process left), a delivery's request (mailbox names from LMTP
// recipients, a mailbox a session process asked about). Decoding it is
// the user's process's work, never root's.

// maxIdentityLine bounds the identity line: uid, gid, groups, and USER,
// LOGNAME and HOME.
const maxIdentityLine = 64 << 10

// writeIdentity sends id as the line a process started as root reads
// first (takeIdentityFrom); nil is "started with its identity".
func writeIdentity(w io.Writer, id *identityMessage) error {
	b, err := json.Marshal(id)
	if err != nil {
		return fmt.Errorf("the identity: %w", err)
	}
	if len(b) >= maxIdentityLine {
		return fmt.Errorf("the identity: %d bytes, over %d", len(b)+1, maxIdentityLine)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("the identity: %w", err)
	}
	return nil
}

// takeIdentityFrom reads the identity line from r, takes that identity on
// (takeIdentity) unless the line is null, and confines the process. It
// reads r a byte at a time and nothing past the line's end: the rest is
// the caller's to read, as the user. A process started as root that is
// told no identity is refused by confine.
func takeIdentityFrom(r io.Reader) error {
	line, err := readIdentityLine(r)
	if err != nil {
		return fmt.Errorf("reading the identity: %w", err)
	}
	// Nothing but an identity: a line that holds more (a session's
	// state, say) is not decoded as one.
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var id *identityMessage
	if err := dec.Decode(&id); err != nil {
		return fmt.Errorf("reading the identity: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("reading the identity: more than an identity on its line")
	}
	if id != nil {
		if err := takeIdentity(*id); err != nil {
			return err
		}
	}
	if err := confine(); err != nil {
		return errPrivileges{err}
	}
	return nil
}

// readIdentityLine reads one line of at most maxIdentityLine bytes from
// r, without its LF, and not a byte more; io.EOF when r ends before it
// starts.
func readIdentityLine(r io.Reader) ([]byte, error) {
	var line []byte
	b := make([]byte, 1)
	for len(line) < maxIdentityLine {
		if _, err := io.ReadFull(r, b); err != nil {
			if errors.Is(err, io.EOF) && len(line) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if b[0] == '\n' {
			return line, nil
		}
		line = append(line, b[0])
	}
	return nil, fmt.Errorf("a line over %d bytes", maxIdentityLine)
}

// warmProcess is a session process started ahead.
type warmProcess struct {
	cmd    *exec.Cmd
	ctl    *os.File
	cfg    *config.Config // the configuration it read
	exited chan error     // its Wait, once its logs are read
	// timeout bounds the handover (wake): handoffTimeout.
	timeout time.Duration
}

// warmPoolSize is how many warm processes the daemon keeps while
// sessions hibernate: two, so that wake-ups close together (new mail
// wakes every session idling in the mailbox) do not wait for a start.
const warmPoolSize = 2

// warmPool holds the warm processes.
type warmPool struct {
	mu         sync.Mutex
	ready      []*warmProcess
	starting   int
	sleeping   int       // sessions hibernated now
	quietSince int       // counts the times sleeping fell to 0
	closed     bool      // the daemon is stopping: none is started any more
	noBounding sync.Once // the warning that none can be started
}

// hibernating counts a session that hibernates (delta +1) or stops
// hibernating (-1, woken or ended), and keeps warm processes while any
// does. When none does any more, they are ended after twice the idle
// time that makes a session hibernate: a woken session takes one at
// once, and may soon hibernate again.
func (g *Gateway) hibernating(delta int) {
	g.warm.mu.Lock()
	g.warm.sleeping += delta
	n := g.warm.sleeping
	if n == 0 {
		g.warm.quietSince++
	}
	quiet := g.warm.quietSince
	g.warm.mu.Unlock()
	after := g.conf().HibernateAfter
	switch {
	case delta > 0 && after > 0:
		g.fillWarm()
	case n == 0:
		time.AfterFunc(2*after, func() {
			g.warm.mu.Lock()
			still := g.warm.sleeping == 0 && g.warm.quietSince == quiet
			g.warm.mu.Unlock()
			if still {
				g.dropWarm()
			}
		})
	}
}

// rewarm ends the warm processes, which read the configuration a
// reload replaced, and starts new ones while sessions hibernate.
func (g *Gateway) rewarm() {
	g.dropWarm()
	if g.sleepingNow() > 0 && g.conf().HibernateAfter > 0 {
		g.fillWarm()
	}
}

// takeWarm returns a warm process, if one is ready and has the
// configuration in force, and starts the next one.
func (g *Gateway) takeWarm() *warmProcess {
	var w *warmProcess
	var stale []*warmProcess
	g.warm.mu.Lock()
	cfg := g.conf()
	for len(g.warm.ready) > 0 && w == nil {
		w = g.warm.ready[0]
		g.warm.ready = g.warm.ready[1:]
		if w.cfg != cfg {
			// Started before a reload: its configuration is an old one.
			stale = append(stale, w)
			w = nil
		}
	}
	g.warm.mu.Unlock()
	for _, s := range stale {
		go s.discard()
	}
	if cfg.HibernateAfter <= 0 {
		// Hibernation was turned off by a reload: no more ahead.
		g.dropWarm()
	} else if g.sleepingNow() > 0 {
		g.fillWarm()
	}
	return w
}

// sleepingNow is how many sessions hibernate now.
func (g *Gateway) sleepingNow() int {
	g.warm.mu.Lock()
	defer g.warm.mu.Unlock()
	return g.warm.sleeping
}

// fillWarm starts warm processes in the background up to warmPoolSize.
func (g *Gateway) fillWarm() {
	g.warm.mu.Lock()
	n := warmPoolSize - len(g.warm.ready) - g.warm.starting
	if g.warm.closed {
		n = 0
	}
	g.warm.starting += max(n, 0)
	g.warm.mu.Unlock()
	for range n {
		go func() {
			w, err := g.startWarm()
			g.warm.mu.Lock()
			g.warm.starting--
			// Started for nothing when the last hibernated session went
			// meanwhile, or with a configuration a reload replaced.
			wanted := g.warm.sleeping > 0 && !g.warm.closed
			keep := err == nil && wanted && w.cfg == g.conf()
			if keep {
				g.warm.ready = append(g.warm.ready, w)
			}
			g.warm.mu.Unlock()
			if err == nil && !keep {
				w.discard()
				if wanted {
					// It read a configuration that a reload replaced
					// while it started: one with the new takes its place.
					g.fillWarm()
				}
				return
			}
			if err == nil {
				g.log.Debug("mailgate: a session process started ahead is ready", "pid", w.cmd.Process.Pid)
			}
			switch {
			case errors.Is(err, errNoBounding):
				// The same at every hibernation: said once.
				g.warm.noBounding.Do(func() {
					g.log.Warn("mailgate: no session processes are started ahead; wake-ups start their own", "err", err)
				})
			case err != nil:
				g.log.Warn("mailgate: starting a session process ahead", "err", err)
			}
		}()
	}
}

// closeWarm ends the warm processes for good: the daemon is stopping.
func (g *Gateway) closeWarm() {
	g.warm.mu.Lock()
	g.warm.closed = true
	g.warm.mu.Unlock()
	g.dropWarm()
}

// dropWarm ends the warm processes (reload, no session hibernating any
// more, shutdown).
func (g *Gateway) dropWarm() {
	g.warm.mu.Lock()
	ws := g.warm.ready
	g.warm.ready = nil
	g.warm.mu.Unlock()
	for _, w := range ws {
		w.discard()
	}
}

// discard ends a warm process that took no session: closing its socket
// ends it.
func (w *warmProcess) discard() {
	w.ctl.Close()
	select {
	case <-w.exited:
	case <-time.After(time.Second):
		w.cmd.Process.Kill()
		<-w.exited
	}
}

// startWarm starts a warm process, with env added to its environment,
// and waits until it has read its configuration.
func (g *Gateway) startWarm(env ...string) (*warmProcess, error) {
	cfg := g.conf()
	ctl, childCtl, err := controlSocket()
	if err != nil {
		return nil, err
	}
	cmd, err := g.mailgateCommand(SessionProcessFlag, warmFlag)
	if err != nil {
		ctl.Close()
		childCtl.Close()
		return nil, err
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.ExtraFiles = []*os.File{childCtl}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		ctl.Close()
		childCtl.Close()
		return nil, err
	}
	err = g.spawn.startRoot(cmd)
	childCtl.Close()
	if err != nil {
		ctl.Close()
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	w := &warmProcess{cmd: cmd, ctl: ctl, cfg: cfg, exited: make(chan error, 1), timeout: handoffTimeout}
	pid := cmd.Process.Pid
	go func() {
		relayLogs(stderr, g.log, pid)
		w.exited <- cmd.Wait()
		close(w.exited)
	}()
	msg, err := g.handoffMessage(0, nil)
	if err == nil {
		err = ctl.SetDeadline(time.Now().Add(handoffTimeout))
	}
	if err == nil {
		err = json.NewEncoder(ctl).Encode(&handoffMessage{Config: msg.Config})
	}
	if err == nil {
		b := make([]byte, 1)
		if _, err = io.ReadFull(ctl, b); err == nil && b[0] != warmReady {
			err = fmt.Errorf("it said %q", b)
		}
	}
	if err == nil {
		err = ctl.SetDeadline(time.Time{})
	}
	if err != nil {
		w.discard()
		return nil, fmt.Errorf("session process %d: waiting for it to read its configuration: %w", pid, err)
	}
	return w, nil
}

// handoffTimeout bounds the handover of a session to a session process
// over its control socket: a process that does not read or answer in
// time (one whose user stopped it, say) is ended instead.
const handoffTimeout = 30 * time.Second

// controlSocket makes a session process's control socket: the daemon's
// end, non-blocking so that os.NewFile gives it to the poller and
// deadlines hold on it, and the child's end, left blocking (the flag
// belongs to each end's own open file description).
func controlSocket() (mine, child *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	if err := unix.SetNonblock(fds[0], true); err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return nil, nil, fmt.Errorf("session control socket: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "session control"), os.NewFile(uintptr(fds[1]), "session control"), nil
}

// wake hands the session to w: the identity first; once w says it runs
// as the user (warmIdentified), the client's descriptor, then the
// session's state. Neither reaches a process that is still root.
func (w *warmProcess) wake(id identity, env []string, server int, st *imap.SessionState, client *os.File, started time.Time) (err error) {
	// Once it has its identity, the process is the user's, who may stop
	// it (SIGSTOP) before it reads the rest: the handover holds the
	// daemon no longer than w.timeout. On an error the caller discards
	// (kills) the process.
	if err := w.ctl.SetDeadline(time.Now().Add(w.timeout)); err != nil {
		return fmt.Errorf("session control: %w", err)
	}
	defer func() {
		if err == nil {
			err = w.ctl.SetDeadline(time.Time{})
		}
	}()
	m := id.message(env)
	if err := writeIdentity(w.ctl, &m); err != nil {
		return fmt.Errorf("passing the identity: %w", err)
	}
	b := make([]byte, 1)
	_, err = io.ReadFull(w.ctl, b)
	if err == nil && b[0] != warmIdentified {
		err = fmt.Errorf("it said %q", b)
	}
	if err != nil {
		return fmt.Errorf("taking on the user's identity: %w", err)
	}
	// Through the file's own poller, so that the deadline holds here
	// too (net.FileConn would work on a duplicate of the descriptor).
	rc, err := w.ctl.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Write(func(fd uintptr) bool {
		serr = unix.Sendmsg(int(fd), []byte{0}, unix.UnixRights(int(client.Fd())), nil, 0)
		return serr != unix.EAGAIN
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("passing the client's connection: %w", err)
	}
	// The process reads this as it reads a session handed over at its
	// start (RunSessionProcess); its configuration it has.
	msg := handoffMessage{Server: server, State: *st, Started: started}
	if err := json.NewEncoder(w.ctl).Encode(&msg); err != nil {
		return fmt.Errorf("passing the session: %w", err)
	}
	return nil
}

// warmIdentified is the byte a warm process sends once it runs as the
// user, for good.
const warmIdentified = 'I'

// runWarm is a warm session process's start (RunSessionProcess with
// warmFlag): read the configuration, say so, wait for a user's identity,
// take it on for good, say so, and only then receive the client's
// connection. The session's state comes next on ctlFile, for the caller
// to read as the user. It returns io.EOF when the daemon ended it unused.
func runWarm(ctlFile *os.File) (cfg *config.Config, client *os.File, err error) {
	// The daemon sends the identity only once it hears warmReady: the
	// decoder cannot read ahead into it.
	var first handoffMessage
	if err := json.NewDecoder(ctlFile).Decode(&first); err != nil {
		return nil, nil, fmt.Errorf("reading the configuration: %w", err)
	}
	if cfg, err = config.Parse([]byte(first.Config), "session"); err != nil {
		return nil, nil, fmt.Errorf("configuration: %w", err)
	}
	if _, err := ctlFile.Write([]byte{warmReady}); err != nil {
		return nil, nil, err
	}
	if err := takeIdentityFrom(ctlFile); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, io.EOF // not needed after all
		}
		return nil, nil, err
	}
	if _, err := ctlFile.Write([]byte{warmIdentified}); err != nil {
		return nil, nil, err
	}
	client, err = receiveFD(ctlFile)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("the daemon sent no connection")
		}
		return nil, nil, err
	}
	return cfg, client, nil
}

// errPrivileges is a failure to shed the daemon's identity.
type errPrivileges struct{ error }

// message is id as a process started as root is told it, with env (USER,
// LOGNAME, HOME) to set.
func (id identity) message(env []string) identityMessage {
	return identityMessage{UID: id.uid, GID: id.gid, Groups: id.groups, Env: env}
}

// takeIdentity makes every thread of this process run as id, for good
// (Go's setresuid and friends act on every thread).
func takeIdentity(id identityMessage) error {
	if id.UID == 0 {
		return errPrivileges{errors.New("refusing to run a session as root (uid 0)")}
	}
	if os.Geteuid() == 0 {
		if err := syscall.Setgroups(id.Groups); err != nil {
			return errPrivileges{fmt.Errorf("setgroups: %w", err)}
		}
	}
	if err := syscall.Setresgid(id.GID, id.GID, id.GID); err != nil {
		return errPrivileges{fmt.Errorf("setresgid %d: %w", id.GID, err)}
	}
	if os.Geteuid() == 0 {
		// The saved uid stays root until the process is non-dumpable
		// again: the change of the effective uid makes it dumpable
		// where fs.suid_dumpable is 1, and while its saved uid is
		// root the user's processes may not ptrace it or open its
		// memory. The last step changes neither the effective nor the
		// file-system uid, so it leaves the process non-dumpable.
		if err := syscall.Setresuid(id.UID, id.UID, 0); err != nil {
			return errPrivileges{fmt.Errorf("setresuid %d: %w", id.UID, err)}
		}
		if err := undumpable(); err != nil {
			return errPrivileges{err}
		}
		if err := syscall.Setresuid(-1, -1, id.UID); err != nil {
			return errPrivileges{fmt.Errorf("setresuid %d: %w", id.UID, err)}
		}
	} else if err := syscall.Setresuid(id.UID, id.UID, id.UID); err != nil {
		return errPrivileges{fmt.Errorf("setresuid %d: %w", id.UID, err)}
	}
	for _, kv := range id.Env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			os.Setenv(k, v)
		}
	}
	return nil
}

// receiveFD waits for the message that carries the client's descriptor;
// io.EOF when the daemon closed the socket instead.
func receiveFD(ctlFile *os.File) (*os.File, error) {
	rc, err := ctlFile.SyscallConn()
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 1)
	oob := make([]byte, unix.CmsgSpace(4))
	var n, oobn int
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		n, oobn, _, _, rerr = unix.Recvmsg(int(fd), buf, oob, unix.MSG_CMSG_CLOEXEC)
		return rerr != unix.EAGAIN
	})
	if err == nil {
		err = rerr
	}
	if err != nil {
		return nil, fmt.Errorf("receiving the client's connection: %w", err)
	}
	if n == 0 {
		return nil, io.EOF
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, fmt.Errorf("receiving the client's connection: no descriptor (%v)", err)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, fmt.Errorf("receiving the client's connection: no descriptor (%v)", err)
	}
	return os.NewFile(uintptr(fds[0]), "client"), nil
}
