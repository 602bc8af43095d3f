package gateway

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/imap"
	"golang.org/x/sys/unix"
)

// SessionProcessFlag is the command-line flag that starts mailgate as a
// session process: the client's connection is fd 3, the socket to the
// daemon fd 4 (see RunSessionProcess).
const SessionProcessFlag = "--session-process"

// handoffMessage is what the daemon sends a session process first.
type handoffMessage struct {
	// Config is the configuration in TOML, without the [auth] and [tls]
	// tables (their secrets stay with the daemon).
	Config string `json:"config"`
	// Server is the [[server]] the client connected to.
	Server int `json:"server"`
	// State is the session's.
	State imap.SessionState `json:"state"`
	// Started is when the daemon started the process: its log of how
	// long waking took starts there.
	Started time.Time `json:"started"`
}

// ctlRequest is a session process's request to the daemon; the daemon
// answers uidvalidity and home with a ctlReply.
type ctlRequest struct {
	Op   string `json:"op"`             // "release", "uidvalidity", "home", "selected", "command", "hibernate", "commit"
	Name string `json:"name,omitempty"` // home: whose; selected: the mailbox; command: which
	// Took and Result are a command's (for the daemon's metrics).
	Took   time.Duration `json:"took,omitempty"`
	Result string        `json:"result,omitempty"`
	// hibernate: the session's state and the paths whose changes wake it.
	State *imap.SessionState `json:"state,omitempty"`
	Watch []string           `json:"watch,omitempty"`
	// commit: what the client sent that the session process did not read,
	// in pieces of at most maxCommitPiece; More on all but the last.
	Pending []byte `json:"pending,omitempty"`
	More    bool   `json:"more,omitempty"`
}

type ctlReply struct {
	UIDValidity uint32 `json:"uidvalidity,omitempty"`
	Home        string `json:"home,omitempty"`
	OK          bool   `json:"ok"`
}

// sessionProcesses is the imap.Handoff of one [[server]] of a daemon:
// sessions whose user has an identity of their own continue in a
// process of their own (session-process).
type sessionProcesses struct {
	g      *Gateway
	server int
}

// Takes implements imap.Handoff: sessions of users with an identity of
// their own move, once their home is made (as root, here).
func (p *sessionProcesses) Takes(u *auth.User) (bool, error) {
	id, ok, err := p.g.identityFor(u)
	if !ok || err != nil {
		return ok, err
	}
	_, err = p.g.prepareHome(u, &id)
	return true, err
}

// Continue implements imap.Handoff: it starts the session process and
// waits for it.
func (p *sessionProcesses) Continue(h *imap.HandedOff) {
	log := p.g.log.With("conn", h.State.ID, "user", h.State.User.Name)
	if err := p.g.runSessionProcess(p.server, h, log); err != nil {
		log.Error("mailgate: session process", "err", err)
		h.Conn.SetWriteDeadline(time.Now().Add(refuseTimeout))
		io.WriteString(h.Conn, "* BYE Your session cannot be started; try again later\r\n")
	}
	select {
	case <-h.Stop:
		// Kicked or shut down: the client has had its BYE, from the
		// session process or from here (a hibernated session, a
		// process that died of the signal). Closing now keeps the
		// daemon's session from saying it a second time.
		h.Conn.Close()
	default:
	}
}

// runSessionProcess runs the rest of h's session in mailgate processes
// with the user's identity, and returns when it has ended: one process,
// and, each time that one hibernates, the daemon holds the connection
// until the client speaks or the mailbox changes, then starts the next.
//
// The user is the one the daemon authenticated (h.State), and so is the
// identity, decided here once: every process of the session runs as
// that user, whatever a session process says of itself when it
// hibernates. A session process is the user's, who may take its control
// socket; what it leaves is only where the session stood (resumeState).
func (g *Gateway) runSessionProcess(server int, h *imap.HandedOff, log *slog.Logger) error {
	link := &clientLink{conn: h.Conn}
	defer link.close()
	id, _, err := g.identityFor(&h.State.User)
	if err != nil {
		return err
	}
	st := h.State
	for first := true; ; first = false {
		hib, err := g.runOnce(server, link, &st, id, h, log)
		if err != nil {
			if first {
				return err
			}
			log.Error("mailgate: session process after hibernation", "err", err)
			link.conn.SetWriteDeadline(time.Now().Add(refuseTimeout))
			io.WriteString(link.conn, "* BYE Your session cannot go on; log in again\r\n")
			return nil
		}
		if hib == nil {
			return nil
		}
		g.hibernating(+1)
		next, ok := g.sleep(server, link, hib, id, h, log)
		g.hibernating(-1)
		if !ok {
			return nil
		}
		st = *next
	}
}

// hibernation is what a session process left with the daemon.
type hibernation struct {
	state   *imap.SessionState
	watch   []string
	pending []byte
}

// runOnce runs one session process for st on link, as id, and waits for
// it. It returns the hibernation the process committed to before it
// exited, or nil when the session ended.
func (g *Gateway) runOnce(server int, link *clientLink, st *imap.SessionState, id identity, h *imap.HandedOff, log *slog.Logger) (*hibernation, error) {
	u := &st.User
	client, err := link.fileForChild()
	if err != nil {
		return nil, err
	}
	defer client.Close()
	var p *sessionProc
	if st.View != nil {
		// A wake-up: a session process started ahead saves its start.
		if w := g.takeWarm(); w != nil {
			started := time.Now()
			if err := w.wake(id, sessionEnv(u), server, st, client, started); err != nil {
				log.Warn("mailgate: a session process started ahead failed to take the session", "err", err)
				w.discard()
			} else {
				p = &sessionProc{cmd: w.cmd, ctl: w.ctl, exited: w.exited}
				log.Debug("mailgate: session process started ahead takes the session", "pid", w.cmd.Process.Pid, "uid", id.uid)
			}
		}
	}
	if p == nil {
		if p, err = g.startSessionProcess(server, st, id, client, log); err != nil {
			return nil, err
		}
	}
	client.Close()
	defer p.ctl.Close()
	pid := p.cmd.Process.Pid
	log = log.With("pid", pid)
	entry := g.book.Lookup(h.State.ID)
	if entry != nil {
		entry.InProcess(pid)
	}
	sc := &sessionControl{g: g, link: link, slot: h.Slot, entry: entry, log: log,
		session: &h.State, kill: func() { p.cmd.Process.Kill() }}
	served := make(chan struct{})
	go func() {
		defer close(served)
		sc.serve(p.ctl)
	}()
	var werr error
	stoppedBy := syscall.Signal(0) // the signal the daemon ended it with
	select {
	case werr = <-p.exited:
	case <-h.Stop:
		// A kick's BYE names it: the session process tells its client
		// KickReason on SIGUSR1, and that the server shuts down on SIGTERM.
		sig := syscall.SIGTERM
		if h.Kicked != nil && h.Kicked() != "" {
			sig = syscall.SIGUSR1
		}
		werr = g.stopSessionProcess(p, sig)
		if diedOf(werr, sig) {
			stoppedBy = sig
			// It died of the signal before it could catch it (still
			// in exec), and said nothing to its client: the daemon
			// says what the session process would have.
			reason := "Server shutting down"
			if sig == syscall.SIGUSR1 {
				reason = KickReason
			}
			link.conn.SetWriteDeadline(time.Now().Add(refuseTimeout))
			io.WriteString(link.conn, "* BYE "+reason+"\r\n")
		}
	}
	// The commit may still be in the socket when the process is gone:
	// read the socket to its end before judging how the session ended
	// (judging first lost hibernated connections under load).
	select {
	case <-served:
	case <-time.After(time.Second):
		log.Warn("mailgate: a session process's control socket stays open after it exited")
	}
	link.childEnded()
	if sc.wasRefused() {
		link.conn.SetWriteDeadline(time.Now().Add(refuseTimeout))
		io.WriteString(link.conn, "* BYE Your session cannot go on; log in again\r\n")
		return nil, nil
	}
	hib := sc.committed()
	var ee *exec.ExitError
	switch {
	case werr == nil && hib != nil:
		log.Debug("mailgate: session process hibernated")
	case werr == nil:
		log.Debug("mailgate: session process ended")
	case stoppedBy != 0:
		// Ended as asked (shutdown, kick) before it could catch the
		// signal; its client heard the BYE above.
		log.Debug("mailgate: session process stopped", "signal", stoppedBy)
		hib = nil
	case errors.As(werr, &ee):
		log.Warn("mailgate: session process ended abnormally", "status", ee.ProcessState.String())
		hib = nil
	default:
		log.Warn("mailgate: session process", "err", werr)
		hib = nil
	}
	return hib, nil
}

// stopSessionProcess ends p with sig (SIGTERM: the server shuts down;
// SIGUSR1: kicked) and returns its Wait. A process that has only just
// started may not catch SIGUSR1 yet (the Go runtime drops one that
// nothing asked for): it is sent again every kickResend until the
// process has exited, and ends what has begun of the session whenever
// it comes (kickLatch). (An early SIGTERM ends the process by default.)
// Past its own shutdown-grace the process is stuck, and killed.
func (g *Gateway) stopSessionProcess(p *sessionProc, sig syscall.Signal) error {
	p.cmd.Process.Signal(sig)
	stuck := time.After(g.conf().ShutdownGrace + time.Second)
	again := time.NewTicker(kickResend)
	defer again.Stop()
	for {
		select {
		case werr := <-p.exited:
			return werr
		case <-again.C:
			if sig == syscall.SIGUSR1 {
				p.cmd.Process.Signal(sig)
			}
		case <-stuck:
			p.cmd.Process.Kill()
			return <-p.exited
		}
	}
}

// kickResend is how often stopSessionProcess repeats its signal.
const kickResend = 250 * time.Millisecond

// diedOf reports whether werr, a process's Wait, says that sig ended
// it.
func diedOf(werr error, sig syscall.Signal) bool {
	var ee *exec.ExitError
	if !errors.As(werr, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == sig
}

// sessionProc is a running session process.
type sessionProc struct {
	cmd    *exec.Cmd
	ctl    *os.File   // the daemon's end of its control socket
	exited chan error // its Wait, once its logs are read
}

// startSessionProcess starts a session process for st as id, with
// client, and hands it the session. A root daemon starts it as a warm
// one (as root, its capabilities bounded), which takes on id itself
// before it gets client: it is never the user's and dumpable at once
// (warm.go). Only where capabilities cannot be bounded, and for a daemon
// that is not root, it starts with id from exec.
func (g *Gateway) startSessionProcess(server int, st *imap.SessionState, id identity, client *os.File, log *slog.Logger) (*sessionProc, error) {
	var unbounded error
	if os.Geteuid() == 0 {
		p, err := g.startSessionAsRoot(server, st, id, client, log)
		if !errors.Is(err, errNoBounding) {
			return p, err
		}
		unbounded = err
	}
	ctl, childCtl, err := controlSocket()
	if err != nil {
		return nil, err
	}
	cmd, err := g.mailgateCommand(SessionProcessFlag)
	if err != nil {
		ctl.Close()
		childCtl.Close()
		return nil, err
	}
	cmd.Env = append(cmd.Env, sessionEnv(&st.User)...)
	cmd.ExtraFiles = []*os.File{client, childCtl}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		ctl.Close()
		childCtl.Close()
		return nil, err
	}
	started := time.Now()
	if unbounded != nil {
		err = g.spawn.startWithCredential(cmd, id, unbounded, g.log)
	} else {
		err = g.spawn.start(cmd)
	}
	childCtl.Close()
	if err != nil {
		ctl.Close()
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	pid := cmd.Process.Pid
	log.Debug("mailgate: session process started", "pid", pid, "uid", id.uid, "gid", id.gid, "in", time.Since(started))
	p := &sessionProc{cmd: cmd, ctl: ctl, exited: make(chan error, 1)}
	go func() {
		relayLogs(stderr, g.log, pid) // Wait closes the pipe: read it to its end first
		p.exited <- cmd.Wait()
		close(p.exited)
	}()
	// The process runs as the user, who may stop it before it reads.
	msg, err := g.handoffMessage(server, st)
	if err == nil {
		err = ctl.SetWriteDeadline(time.Now().Add(handoffTimeout))
	}
	if err == nil {
		msg.Started = started
		err = json.NewEncoder(ctl).Encode(msg)
	}
	if err == nil {
		err = ctl.SetWriteDeadline(time.Time{})
	}
	if err != nil {
		cmd.Process.Kill()
		<-p.exited
		ctl.Close()
		return nil, fmt.Errorf("handing the session over: %w", err)
	}
	return p, nil
}

// startSessionAsRoot starts a session process for st as a warm one is
// started, and hands it the session at once, as a wake-up would.
func (g *Gateway) startSessionAsRoot(server int, st *imap.SessionState, id identity, client *os.File, log *slog.Logger) (*sessionProc, error) {
	started := time.Now()
	env := sessionEnv(&st.User)
	w, err := g.startWarm(env...)
	if err != nil {
		return nil, err
	}
	if err := w.wake(id, env, server, st, client, started); err != nil {
		w.discard()
		return nil, fmt.Errorf("session process %d: %w", w.cmd.Process.Pid, err)
	}
	log.Debug("mailgate: session process started", "pid", w.cmd.Process.Pid, "uid", id.uid, "gid", id.gid, "in", time.Since(started))
	return &sessionProc{cmd: w.cmd, ctl: w.ctl, exited: w.exited}, nil
}

// sessionEnv is the environment of u's session process.
func sessionEnv(u *auth.User) []string {
	env := []string{"USER=" + u.Name, "LOGNAME=" + u.Name}
	if u.Home != "" {
		env = append(env, "HOME="+u.Home)
	}
	return env
}

// selfExe names the program a process runs, on Linux: the running
// file itself, even once another file took its name.
const selfExe = "/proc/self/exe"

// runningProgram returns what session processes are to run, and the name
// they show: the daemon's own program, as it was when the daemon
// started. A package upgrade that puts a new mailgate at the daemon's
// path while it runs must not give its sessions a program that speaks
// another version of the daemon's protocol (the handover, the session
// state): the sessions run the old one until the daemon is restarted,
// as Dovecot's do. Where /proc is missing, the program at the daemon's
// path.
func runningProgram() (exe, name string, err error) {
	name, err = os.Executable()
	if err != nil {
		return "", "", err
	}
	if _, err := os.Stat(selfExe); err == nil {
		return selfExe, name, nil
	}
	return name, name, nil
}

// mailgateCommand runs this program with args, from /, in a process
// group of its own and with a small environment.
func (g *Gateway) mailgateCommand(args ...string) (*exec.Cmd, error) {
	exe, name := g.opts.Executable, g.opts.Executable
	if exe == "" {
		var err error
		if exe, name, err = runningProgram(); err != nil {
			return nil, fmt.Errorf("finding the mailgate program: %w", err)
		}
	}
	cmd := exec.Command(exe, args...)
	cmd.Args[0] = name
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	for _, k := range []string{"TZ", "TMPDIR", "GOTRACEBACK", "MAILGATE_CPUPROFILE"} {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if l := g.conf().SessionMemoryLimit; l > 0 {
		// RLIMIT_DATA itself is set by the session process; the Go
		// runtime's own limit keeps it collecting well before.
		cmd.Env = append(cmd.Env, fmt.Sprintf("GOMEMLIMIT=%d", l.Bytes()*3/4))
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd, nil
}

// handoffMessage builds what the session process is told first: the
// configuration, less what the user's process has no use for and must
// not learn (the back-ends' passwords, the key files, the proxy secret).
func (g *Gateway) handoffMessage(server int, st *imap.SessionState) (*handoffMessage, error) {
	if st == nil {
		st = &imap.SessionState{}
	}
	c := *g.conf()
	def := config.Default()
	c.Auth = def.Auth
	c.ProxyAuth = def.ProxyAuth
	c.TLS = def.TLS
	c.TLSFileChecks = def.TLSFileChecks
	c.IdentKeyFile, c.IdentEncryptOnly = "", false
	c.Servers = slices.Clone(c.Servers)
	for i := range c.Servers {
		c.Servers[i].CertificateFile, c.Servers[i].KeyFile, c.Servers[i].CAFile = "", "", ""
		c.Servers[i].TLSMode = def.Servers[0].TLSMode
	}
	var b strings.Builder
	if err := toml.NewEncoder(&b).Encode(&c); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	return &handoffMessage{Config: b.String(), Server: server, State: *st}, nil
}

// sessionControl answers one session process's requests. The process
// runs as the user, who may have taken its socket (by ptrace or
// pidfd_getfd, had it stayed dumpable): nothing it sends is trusted
// beyond what the user may do anyway.
type sessionControl struct {
	g       *Gateway
	link    *clientLink
	slot    imap.Slot
	entry   *BookEntry         // the session's line in the book, or nil
	session *imap.SessionState // as the daemon authenticated it
	kill    func()             // ends the session process
	log     *slog.Logger

	mu        sync.Mutex
	hibernate *hibernation // agreed (state and watch), then committed (pending)
	commit    bool
	refused   bool // the process sent a forged hibernation: the session ends
}

// wasRefused reports whether the session process sent what ended the
// session.
func (sc *sessionControl) wasRefused() bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.refused
}

// committed returns the hibernation the session process committed to,
// or nil.
func (sc *sessionControl) committed() *hibernation {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if !sc.commit {
		return nil
	}
	return sc.hibernate
}

// serve answers requests until the session process closes its end. A
// request over maxSessionRequest, or pending bytes over
// maxHibernatePending, end the session (sessionrequest.go).
func (sc *sessionControl) serve(ctl *os.File) {
	r := bufio.NewReader(ctl)
	enc := json.NewEncoder(ctl)
	for {
		var req ctlRequest
		line, err := readRequest(r)
		if errors.Is(err, errRequestTooLong) {
			sc.refuse("mailgate: a session process sent a control request over the bound; ending the session",
				"limit", maxSessionRequest)
			return
		}
		if err == nil {
			err = json.Unmarshal(line, &req)
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrClosed) {
				sc.log.Debug("mailgate: session control", "err", err)
			}
			return
		}
		var reply ctlReply
		switch req.Op {
		case "release":
			if sc.slot != nil {
				sc.slot.Release()
			}
			continue
		case "selected":
			if sc.entry != nil {
				sc.entry.Selected(req.Name)
			}
			continue
		case "command":
			sc.g.metrics.command("imap", req.Name, req.Took, req.Result)
			continue
		case "uidvalidity":
			reply = ctlReply{UIDValidity: sc.g.validities.Next(), OK: true}
		case "home":
			reply.Home, reply.OK = sc.g.otherUsersHome(req.Name)
		case "hibernate":
			if req.State == nil || !validWatch(req.Watch) {
				break
			}
			st, err := resumeState(sc.session, req.State)
			if err != nil {
				sc.refuse("mailgate: a session process's hibernation names someone else; ending the session", "err", err)
				return
			}
			// Stop passing the client's bytes on before agreeing: what
			// the session process has not read, it sends back (commit).
			sc.link.pauseInput()
			sc.mu.Lock()
			sc.hibernate = &hibernation{state: st, watch: req.Watch}
			sc.mu.Unlock()
			reply.OK = true
		case "commit":
			sc.mu.Lock()
			over := false
			if h := sc.hibernate; h != nil && !sc.commit {
				if over = len(h.pending)+len(req.Pending) > maxHibernatePending; !over {
					h.pending = append(h.pending, req.Pending...)
					sc.commit = !req.More
				}
			}
			sc.mu.Unlock()
			if over {
				sc.refuse("mailgate: a session process left more unread client bytes than the bound; ending the session",
					"limit", maxHibernatePending)
				return
			}
			continue
		default:
			sc.log.Warn("mailgate: session process asked for something unknown", "op", req.Op)
		}
		if err := enc.Encode(&reply); err != nil {
			return
		}
	}
}

// refuse ends the session for what its process sent, logging why.
func (sc *sessionControl) refuse(msg string, args ...any) {
	sc.log.Error(msg, args...)
	sc.mu.Lock()
	sc.refused = true
	sc.mu.Unlock()
	if sc.kill != nil {
		sc.kill()
	}
}

// resumeState is the state a hibernated session wakes with: the session
// as the daemon knows it (who logged in and how, read-only or not, its
// connection), and, of what its session process left, only where it
// stood: the selected mailbox, what its client knows of it, the IDLE's
// tag. A state that names another user, or lifts read-only, is refused:
// the session process runs as the user, who may forge what it sends.
func resumeState(session, left *imap.SessionState) (*imap.SessionState, error) {
	if left.User != session.User {
		return nil, fmt.Errorf("the session of %s (uid %d, gid %d, home %q) left a state for %q (uid %d, gid %d, home %q)",
			session.User.Name, session.User.UID, session.User.GID, session.User.Home,
			left.User.Name, left.User.UID, left.User.GID, left.User.Home)
	}
	if left.ReadOnly != session.ReadOnly {
		return nil, fmt.Errorf("the session of %s (read-only %v) left a state with read-only %v",
			session.User.Name, session.ReadOnly, left.ReadOnly)
	}
	return &imap.SessionState{
		ID: session.ID, User: session.User, ReadOnly: session.ReadOnly, TLS: session.TLS, Remote: session.Remote,
		Mailbox: left.Mailbox, MailboxReadOnly: left.MailboxReadOnly || session.ReadOnly,
		View: left.View, IdleTag: left.IdleTag,
	}, nil
}

// clientLink is the client's connection as the daemon holds it while
// session processes serve it in turn. A plain connection's descriptor
// goes to each session process; a TLS connection cannot move (its keys
// live here), so each session process gets one end of a socket pair,
// and the daemon relays between the other end and the client.
type clientLink struct {
	conn  net.Conn
	relay *tlsRelay // over TLS, while a session process runs
}

// fileForChild returns the descriptor a session process reads and writes
// the client with.
func (l *clientLink) fileForChild() (*os.File, error) {
	if tc, ok := l.conn.(*tls.Conn); ok {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("socketpair: %w", err)
		}
		mine := os.NewFile(uintptr(fds[0]), "tls relay")
		pc, err := net.FileConn(mine)
		mine.Close()
		if err != nil {
			unix.Close(fds[1])
			return nil, fmt.Errorf("tls relay: %w", err)
		}
		l.relay = startRelay(tc, pc)
		return os.NewFile(uintptr(fds[1]), "client"), nil
	}
	c := l.conn
	for {
		if mc, ok := c.(*meteredConn); ok {
			mc.handedOver() // its bytes are counted when it closes
		}
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = u.NetConn()
	}
	sc, ok := c.(interface{ File() (*os.File, error) })
	if !ok {
		return nil, fmt.Errorf("a %T connection cannot be handed to a session process", c)
	}
	f, err := sc.File()
	if err != nil {
		return nil, fmt.Errorf("client connection: %w", err)
	}
	return f, nil
}

// pauseInput stops passing the client's bytes to the session process (a
// session process about to hibernate); a plain connection's bytes stay
// in the socket.
func (l *clientLink) pauseInput() {
	if l.relay != nil {
		l.relay.stopInput()
	}
}

// childEnded ends the relay to a session process that has exited, once
// what it wrote has reached the client.
func (l *clientLink) childEnded() {
	if l.relay == nil {
		return
	}
	select {
	case <-l.relay.outDone:
	case <-time.After(time.Second):
	}
	l.relay.stopInput()
	l.relay.pc.Close()
	l.relay = nil
}

func (l *clientLink) close() {
	if l.relay != nil {
		l.relay.stopInput()
		l.relay.pc.Close()
	}
}

// tlsRelay copies between the client's TLS connection and a session
// process's end of a socket pair.
type tlsRelay struct {
	tc              *tls.Conn
	pc              net.Conn
	inDone, outDone chan struct{}
	stopping        atomic.Bool
	once            sync.Once
}

func startRelay(tc *tls.Conn, pc net.Conn) *tlsRelay {
	r := &tlsRelay{tc: tc, pc: pc, inDone: make(chan struct{}), outDone: make(chan struct{})}
	// The session process keeps the client's timeouts; the relay waits.
	tc.SetDeadline(time.Time{})
	go func() {
		defer close(r.inDone)
		buf := make([]byte, 16<<10)
		for {
			n, err := tc.Read(buf)
			if n > 0 {
				if _, werr := pc.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				if !r.stopping.Load() {
					// The client is gone: so is the session process's input.
					if cw, ok := pc.(interface{ CloseWrite() error }); ok {
						cw.CloseWrite()
					}
				}
				return
			}
		}
	}()
	go func() {
		defer close(r.outDone)
		io.Copy(tc, pc)
	}()
	return r
}

// stopInput stops the copy from the client, keeping whatever the client
// sends next unread in the TLS connection.
func (r *tlsRelay) stopInput() {
	r.once.Do(func() {
		r.stopping.Store(true)
		r.tc.SetReadDeadline(time.Now())
		<-r.inDone
		r.tc.SetReadDeadline(time.Time{})
	})
}

// relayLogs logs what a session process writes on its standard error:
// JSON records from its slog handler, logged again here with the same
// level, message and attributes, or any other line (a crash) as an error.
// Every line carries the process's pid as the daemon knows it, whatever
// the record says, so that the session process's start line tells whose
// session wrote it.
func relayLogs(r io.Reader, log *slog.Logger, pid int) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var rec map[string]any
		if json.Unmarshal(line, &rec) != nil {
			log.Error("mailgate: session process: "+string(line), "pid", pid)
			continue
		}
		var level slog.Level
		if s, ok := rec["level"].(string); ok {
			level.UnmarshalText([]byte(s))
		}
		msg, _ := rec["msg"].(string)
		delete(rec, "level")
		delete(rec, "msg")
		delete(rec, "time")
		// The pid is the daemon's to say: a session process taken
		// over could otherwise write lines in another's name.
		delete(rec, "pid")
		keys := make([]string, 0, len(rec))
		for k := range rec {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		args := make([]any, 0, 2*len(keys)+2)
		for _, k := range keys {
			args = append(args, k, rec[k])
		}
		args = append(args, "pid", pid)
		log.Log(context.Background(), level, msg, args...)
	}
}

// maxHibernateWatch bounds the paths a session process may ask the root
// daemon to watch for it while it hibernates: the selected mailbox needs
// one (the daemon adds a maildir's new/ and cur/).
const maxHibernateWatch = 8

// validWatch reports whether a session process's hibernation watch list
// is one the daemon takes: a few clean absolute paths. The daemon stats
// and watches them as root, so a session process must not use it to
// probe the file system or use up root's inotify watches; a refused
// session simply stays awake.
func validWatch(paths []string) bool {
	if len(paths) > maxHibernateWatch {
		return false
	}
	for _, p := range paths {
		if !filepath.IsAbs(p) || filepath.Clean(p) != p {
			return false
		}
	}
	return true
}
