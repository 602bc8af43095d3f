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
	"slices"
	"strings"
	"sync"
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
}

// ctlRequest is a session process's request to the daemon; the daemon
// answers uidvalidity and home with a ctlReply.
type ctlRequest struct {
	Op   string `json:"op"`             // "release", "uidvalidity", "home", "selected", "command"
	Name string `json:"name,omitempty"` // home: whose; selected: the mailbox; command: which
	// Took and Result are a command's (for the daemon's metrics).
	Took   time.Duration `json:"took,omitempty"`
	Result string        `json:"result,omitempty"`
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
}

// runSessionProcess runs the rest of h's session in a new mailgate
// process with the user's identity, and returns when it has ended.
func (g *Gateway) runSessionProcess(server int, h *imap.HandedOff, log *slog.Logger) error {
	u := &h.State.User
	id, _, err := g.identityFor(u)
	if err != nil {
		return err
	}
	client, relay, err := clientFile(h.Conn)
	if err != nil {
		return err
	}
	defer client.Close()
	ctlFDs, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socketpair: %w", err)
	}
	ctl := os.NewFile(uintptr(ctlFDs[0]), "session control")
	childCtl := os.NewFile(uintptr(ctlFDs[1]), "session control")
	defer ctl.Close()
	cmd, err := g.sessionCommand(u, id)
	if err != nil {
		childCtl.Close()
		return err
	}
	cmd.ExtraFiles = []*os.File{client, childCtl}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		childCtl.Close()
		return err
	}
	err = g.spawn.start(cmd)
	childCtl.Close()
	if err != nil {
		return fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	client.Close()
	pid := cmd.Process.Pid
	log = log.With("pid", pid)
	log.Info("mailgate: session process started", "uid", id.uid, "gid", id.gid)
	logsDone := make(chan struct{})
	go func() {
		defer close(logsDone)
		relayLogs(stderr, g.log, pid)
	}()
	msg, err := g.handoffMessage(server, &h.State)
	if err == nil {
		err = json.NewEncoder(ctl).Encode(msg)
	}
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return fmt.Errorf("handing the session over: %w", err)
	}
	entry := g.book.Lookup(h.State.ID)
	if entry != nil {
		entry.InProcess(pid)
	}
	go g.serveSessionControl(ctl, h.Slot, entry, log)
	var relayDone <-chan struct{}
	if relay != nil {
		relayDone = relay()
	}
	exited := make(chan error, 1)
	go func() {
		<-logsDone // Wait closes the pipe: read it to its end first
		exited <- cmd.Wait()
	}()
	var werr error
	select {
	case werr = <-exited:
	case <-h.Stop:
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case werr = <-exited:
		case <-time.After(g.cfg.ShutdownGrace + time.Second):
			// Its own shutdown-grace is over: it is stuck.
			cmd.Process.Kill()
			werr = <-exited
		}
	}
	if relayDone != nil {
		select {
		case <-relayDone:
		case <-time.After(time.Second):
		}
	}
	var ee *exec.ExitError
	switch {
	case werr == nil:
		log.Debug("mailgate: session process ended")
	case errors.As(werr, &ee):
		log.Warn("mailgate: session process ended abnormally", "status", ee.ProcessState.String())
	default:
		log.Warn("mailgate: session process", "err", werr)
	}
	return nil
}

// sessionCommand is the session process's command: this program, with
// the user's identity when the daemon is root, in a process group of its
// own (a terminal's ^C reaches the daemon alone, which ends sessions
// itself) and a small environment.
func (g *Gateway) sessionCommand(u *auth.User, id identity) (*exec.Cmd, error) {
	exe := g.opts.Executable
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("finding the mailgate program: %w", err)
		}
	}
	cmd := exec.Command(exe, SessionProcessFlag)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "USER=" + u.Name, "LOGNAME=" + u.Name}
	if u.Home != "" {
		cmd.Env = append(cmd.Env, "HOME="+u.Home)
	}
	for _, k := range []string{"TZ", "TMPDIR", "GOTRACEBACK", "MAILGATE_CPUPROFILE"} {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if l := g.cfg.SessionMemoryLimit; l > 0 {
		// RLIMIT_DATA itself is set by the session process; the Go
		// runtime's own limit keeps it collecting well before.
		cmd.Env = append(cmd.Env, fmt.Sprintf("GOMEMLIMIT=%d", l.Bytes()*3/4))
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if os.Geteuid() == 0 {
		groups := make([]uint32, len(id.groups))
		for i, gid := range id.groups {
			groups[i] = uint32(gid)
		}
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(id.uid), Gid: uint32(id.gid), Groups: groups}
	}
	return cmd, nil
}

// handoffMessage builds what the session process is told first.
func (g *Gateway) handoffMessage(server int, st *imap.SessionState) (*handoffMessage, error) {
	c := *g.cfg
	def := config.Default()
	c.Auth = def.Auth
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

// serveSessionControl answers a session process's requests until it
// closes its end.
// entry, when not nil, is the session's line in the book, which the
// session process keeps up to date.
func (g *Gateway) serveSessionControl(ctl *os.File, slot imap.Slot, entry *BookEntry, log *slog.Logger) {
	dec := json.NewDecoder(bufio.NewReader(ctl))
	enc := json.NewEncoder(ctl)
	for {
		var req ctlRequest
		if err := dec.Decode(&req); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrClosed) {
				log.Debug("mailgate: session control", "err", err)
			}
			return
		}
		var reply ctlReply
		switch req.Op {
		case "release":
			if slot != nil {
				slot.Release()
			}
			continue
		case "selected":
			if entry != nil {
				entry.Selected(req.Name)
			}
			continue
		case "command":
			g.metrics.command("imap", req.Name, req.Took, req.Result)
			continue
		case "uidvalidity":
			reply = ctlReply{UIDValidity: g.validities.Next(), OK: true}
		case "home":
			reply.Home, reply.OK = g.homeFor(req.Name)
		default:
			log.Warn("mailgate: session process asked for something unknown", "op", req.Op)
		}
		if err := enc.Encode(&reply); err != nil {
			return
		}
	}
}

// clientFile returns the descriptor to give a session process for the
// client's connection c. A TLS connection cannot move (its keys live in
// this process): the session process gets one end of a socket pair, and
// relay, once called, copies between the other end and c until the
// session process closes its end (the returned channel is closed then).
func clientFile(c net.Conn) (f *os.File, relay func() <-chan struct{}, err error) {
	if tc, ok := c.(*tls.Conn); ok {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, nil, fmt.Errorf("socketpair: %w", err)
		}
		mine := os.NewFile(uintptr(fds[0]), "tls relay")
		pc, err := net.FileConn(mine)
		mine.Close()
		if err != nil {
			unix.Close(fds[1])
			return nil, nil, fmt.Errorf("tls relay: %w", err)
		}
		return os.NewFile(uintptr(fds[1]), "client"), func() <-chan struct{} { return relayTLS(tc, pc) }, nil
	}
	for {
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = u.NetConn()
	}
	sc, ok := c.(interface{ File() (*os.File, error) })
	if !ok {
		return nil, nil, fmt.Errorf("a %T connection cannot be handed to a session process", c)
	}
	f, err = sc.File()
	if err != nil {
		return nil, nil, fmt.Errorf("client connection: %w", err)
	}
	return f, nil, nil
}

// relayTLS copies between the client's TLS connection and the session
// process's end of the pair; the channel is closed when the session
// process has closed its end and everything it wrote was sent.
func relayTLS(tc *tls.Conn, pc net.Conn) <-chan struct{} {
	done := make(chan struct{})
	var once sync.Once
	// The session process keeps the client's timeouts; the relay waits.
	tc.SetDeadline(time.Time{})
	go func() {
		io.Copy(pc, tc)
		if cw, ok := pc.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
	}()
	go func() {
		defer once.Do(func() { close(done) })
		io.Copy(tc, pc)
		pc.Close()
		tc.CloseWrite()
	}()
	return done
}

// relayLogs logs what a session process writes on its standard error:
// JSON records from its slog handler, logged again here with the same
// level, message and attributes, or any other line (a crash) as an error.
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
		keys := make([]string, 0, len(rec))
		for k := range rec {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		args := make([]any, 0, 2*len(keys)+2)
		for _, k := range keys {
			args = append(args, k, rec[k])
		}
		if _, ok := rec["pid"]; !ok {
			args = append(args, "pid", pid)
		}
		log.Log(context.Background(), level, msg, args...)
	}
}
