package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/storage"
	"golang.org/x/sys/unix"
)

// RunSessionProcess is mailgate started with SessionProcessFlag: it
// serves the rest of one session that the daemon handed over, and
// returns the exit status. fd 3 is the client's connection (or the
// daemon's TLS relay), fd 4 the socket to the daemon, on which the
// session's state and configuration arrive first (handoffMessage). It
// logs JSON records on standard error, which the daemon logs again.
//
// It makes itself non-dumpable first, so that the user's other processes
// cannot reach into it, refuses to run as root or with a way back to root
// (no_new_privs is set first; one started as root takes on its user's
// identity before it has the client's connection, see warm.go), bounds
// its memory (session-memory-limit, as RLIMIT_DATA: RLIMIT_AS would count
// the address space the Go runtime reserves without using, over a
// gigabyte), and asks the daemon for what only the daemon may touch: new
// UIDVALIDITY values and other users' homes. The daemon counts the
// session until it asks for its slot back ("release", at LOGOUT) or
// exits.
//
// With warmFlag in args it was started as root, ahead or for a login
// (see warm.go): fd 3 is the socket to the daemon, and the client's
// connection, then the session's state, come through it once the
// process has taken on the user's identity.
func RunSessionProcess(args []string) int {
	warm := slices.Contains(args, warmFlag)
	// First of all: out of the reach of the user's other processes
	// (non-dumpable) before anything else happens. Started as root, the
	// process is confined once it runs as the user (runWarm).
	var confined error
	if warm {
		confined = undumpable()
	} else {
		confined = confine()
	}
	TuneForFreshStart()
	// SIGUSR1 is "mailgate kick": caught from the start, since by
	// default it would end the process without a word to the client.
	kick := make(chan os.Signal, 1)
	signal.Notify(kick, syscall.SIGUSR1)
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var (
		ctlFile, clientFile *os.File
		msg                 handoffMessage
		cfg                 *config.Config
		parent              *parentControl
		running             time.Time
	)
	if confined != nil {
		log.Error("mailgate: session process refuses to run", "err", confined)
		return exitPrivileges
	}
	if warm {
		ctlFile = os.NewFile(3, "daemon")
		c, client, err := runWarm(ctlFile)
		var ep errPrivileges
		switch {
		case errors.Is(err, io.EOF):
			return 0 // not needed after all
		case errors.As(err, &ep):
			log.Error("mailgate: session process refuses to run", "err", err)
			return exitPrivileges
		case err != nil:
			log.Error("mailgate: session process started ahead", "err", err)
			return 1
		}
		cfg, clientFile = c, client
	} else {
		ctlFile = os.NewFile(4, "daemon")
		clientFile = os.NewFile(3, "client")
		if ctlFile == nil || clientFile == nil {
			log.Error("mailgate: session process started without its descriptors")
			return 1
		}
	}
	// The session's state: read as the user, however the process started.
	parent = newParentControl(ctlFile)
	if err := parent.dec.Decode(&msg); err != nil {
		log.Error("mailgate: session process: reading the session from the daemon", "err", err)
		return 1
	}
	running = time.Now()
	if cfg == nil {
		var err error
		cfg, err = config.Parse([]byte(msg.Config), "session")
		if err != nil {
			log.Error("mailgate: session process: configuration", "err", err)
			return 1
		}
	}
	log = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel(cfg.Logging.Level)}))
	if l := cfg.SessionMemoryLimit.Bytes(); l > 0 {
		lim := &unix.Rlimit{Cur: uint64(l), Max: uint64(l)}
		if err := unix.Setrlimit(unix.RLIMIT_DATA, lim); err != nil {
			log.Warn("mailgate: session-memory-limit not applied", "err", err)
		}
	}
	conn, err := net.FileConn(clientFile)
	clientFile.Close()
	if err != nil {
		log.Error("mailgate: session process: client connection", "err", err)
		return 1
	}
	g := &Gateway{log: log, parent: parent}
	g.live.Store(&liveState{cfg: cfg, auth: &authParts{}})
	g.store = storage.New(storage.Options{
		Drivers: drivers(cfg, log, parent.uidValidity),
		Logger:  log,
		// SEARCH's full-text index, kept beside each mailbox the user
		// owns: the daemon's data directory is not the user's to write.
		FullText: &storage.FullText{Beside: true, Extract: imap.FullTextDoc, Derive: imap.HeaderCache},
	})
	defer g.store.Close()
	sc := config.DefaultServer()
	if msg.Server >= 0 && msg.Server < len(cfg.Servers) {
		sc = cfg.Servers[msg.Server]
	}
	sc.TLSMode = config.DefaultServer().TLSMode
	opts := g.imapOptions(g.cur(), sc, nil, true)
	parent.after = cfg.HibernateAfter
	opts.Hibernator = parent
	srv := imap.New(opts)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		if ctx.Err() != nil {
			c, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
			defer cancel()
			srv.Close(c)
		}
	}()
	go func() {
		if _, ok := <-kick; ok {
			parent.kicks.kick() // "mailgate kick"
		}
	}()
	log.Debug("mailgate: session process ready", "exec", running.Sub(msg.Started),
		"setup", time.Since(running), "resuming", msg.State.View != nil)
	srv.Resume(conn, &msg.State, parent)
	return 0
}

// logLevel maps [logging] level to slog's.
func logLevel(l config.LogLevel) slog.Level {
	var level slog.Level
	level.UnmarshalText([]byte(l))
	return level
}

// parentControl is a session process's socket to the daemon. It is the
// session's imap.Slot: LOGOUT gives the daemon's slot back at once.
type parentControl struct {
	after time.Duration // hibernate-after
	kicks kickLatch
	mu    sync.Mutex
	f     *os.File
	dec   *json.Decoder
	enc   *json.Encoder
}

func newParentControl(f *os.File) *parentControl {
	return &parentControl{f: f, dec: json.NewDecoder(bufio.NewReader(f)), enc: json.NewEncoder(f)}
}

// ask sends req and, unless it is a release, reads the reply.
func (p *parentControl) ask(req ctlRequest) (ctlReply, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var reply ctlReply
	if err := p.enc.Encode(&req); err != nil {
		return reply, fmt.Errorf("asking the daemon: %w", err)
	}
	if req.Op == "release" || req.Op == "selected" || req.Op == "command" {
		return reply, nil // tidings: no reply
	}
	if err := p.dec.Decode(&reply); err != nil {
		return reply, fmt.Errorf("asking the daemon: %w", err)
	}
	if !reply.OK {
		return reply, errNoAnswer
	}
	return reply, nil
}

// errNoAnswer is the daemon's refusal, as opposed to a broken socket.
var errNoAnswer = errors.New("the daemon has no answer")

// LoggedIn implements imap.Slot; the daemon counted the login already.
func (p *parentControl) LoggedIn(string) {}

// Release implements imap.Slot.
func (p *parentControl) Release() { p.ask(ctlRequest{Op: "release"}) }

// uidValidity numbers a new mailbox from the daemon's counter, which
// never repeats a value; without the daemon, from the clock.
func (p *parentControl) uidValidity() uint32 {
	r, err := p.ask(ctlRequest{Op: "uidvalidity"})
	if err != nil || r.UIDValidity == 0 {
		return uint32(time.Now().Unix())
	}
	return r.UIDValidity
}

// home asks the daemon for the home of a user of the users file (the
// other users' namespace), which only the daemon may read.
func (p *parentControl) home(name string) (string, bool) {
	if len(name) > maxControlName {
		return "", false // no such user; the daemon would end the session on a long request
	}
	r, err := p.ask(ctlRequest{Op: "home", Name: name})
	if err != nil {
		return "", false
	}
	return r.Home, true
}

// HibernateAfter implements imap.Hibernator.
func (p *parentControl) HibernateAfter() time.Duration { return p.after }

// Hibernate implements imap.Hibernator: the daemon agrees, the client's
// unread bytes go to it, and this process may end. Once the daemon may
// have agreed (it stops relaying a TLS client's input before it answers)
// a broken socket is an error: the session must end, not idle deaf.
//
// A state longer than the daemon reads (a view of thousands of messages
// in scattered ranges) is not handed over: the session stays awake. The
// client's unread bytes go in pieces that each fit a request line.
func (p *parentControl) Hibernate(st *imap.SessionState, watch []string, drain func() []byte) (bool, error) {
	req := ctlRequest{Op: "hibernate", State: st, Watch: watch}
	if b, err := json.Marshal(&req); err != nil || len(b)+1 > maxSessionRequest {
		return false, nil
	}
	if _, err := p.ask(req); err != nil {
		if errors.Is(err, errNoAnswer) {
			return false, nil
		}
		return false, err
	}
	pending := drain()
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		n := min(len(pending), maxCommitPiece)
		piece := ctlRequest{Op: "commit", Pending: pending[:n], More: n < len(pending)}
		if err := p.enc.Encode(&piece); err != nil {
			return false, fmt.Errorf("committing to hibernate: %w", err)
		}
		if pending = pending[n:]; !piece.More {
			return true, nil
		}
	}
}

// kickLatch brings "mailgate kick" (SIGUSR1 from the daemon) to the
// session whichever comes first: a kick that arrives while the process
// is still starting, before its session has begun (imap.Server.Kick
// would find no session to end), ends the session as soon as it begins
// (childObserver.SessionStarted). The daemon sends the signal again
// until the process has exited, which covers a signal that arrived
// before it was caught.
type kickLatch struct {
	mu     sync.Mutex
	kicked bool
	kicks  []func(reason string)
}

// kick ends the sessions begun, and those that begin later.
func (k *kickLatch) kick() {
	k.mu.Lock()
	k.kicked = true
	kicks := k.kicks
	k.mu.Unlock()
	for _, f := range kicks {
		f(KickReason)
	}
}

// started enters a session that begins, ending it at once when the
// process was kicked already.
func (k *kickLatch) started(kick func(reason string)) {
	if kick == nil {
		return
	}
	k.mu.Lock()
	k.kicks = append(k.kicks, kick)
	kicked := k.kicked
	k.mu.Unlock()
	if kicked {
		kick(KickReason)
	}
}
