package gateway

// Storage work for users whose mail this daemon must not write itself:
// LMTP delivery, and the control socket's mailbox status and resync.
//
// A daemon that runs as root and hands sessions to processes with the
// user's identity (session-process) must deliver with that identity too:
// a message, a maildir or a sidecar that root creates in a user's home is
// root's, mode 0600, and the user's own session can no longer read it.
// Go cannot change the identity of one goroutine, so, as Postfix's
// local(8) and procmail do, the daemon delivers such a copy through a
// short-lived process of its own program started with the user's uid,
// gid and groups, on the spawner's no_new_privs thread. The message
// goes to it on stdin; one line of JSON comes back. The control socket's
// mailbox status and resync, which write caches and indexes into the
// user's mailboxes, go the same way.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/storage"
)

// DeliveryProcessFlag is the command-line flag that starts mailgate as a
// delivery process (see RunDeliveryProcess), which also does the control
// socket's mailbox work for one user.
const DeliveryProcessFlag = "--delivery-process"

// deliveryRequest is what a delivery process is told, on descriptor 3.
type deliveryRequest struct {
	// Op is "" to deliver the message on stdin, "report" or "resync"
	// for the control socket's mailbox status and resync of Mailbox.
	Op          string    `json:"op,omitempty"`
	Config      string    `json:"config"` // the daemon's configuration, without secrets
	User        auth.User `json:"user"`
	Mailbox     string    `json:"mailbox"`
	Date        time.Time `json:"date"`
	UIDValidity uint32    `json:"uidvalidity"` // for a mailbox the delivery creates
}

// deliveryResult is a delivery process's answer, on its stdout.
type deliveryResult struct {
	UID    uint32                 `json:"uid,omitempty"`
	Report *storage.MailboxReport `json:"report,omitempty"` // of "report" and "resync"
	// Kind names the storage error that failed the delivery, so that
	// the daemon answers the MTA as it would have itself; "" on
	// success.
	Kind string `json:"kind,omitempty"`
	Text string `json:"text,omitempty"`
}

// deliveryKinds are the errors whose kind crosses the process boundary.
var deliveryKinds = []struct {
	name string
	err  error
}{
	{"overquota", storage.ErrOverQuota},
	{"edquot", syscall.EDQUOT},
	{"nospace", syscall.ENOSPC},
	{"nomailbox", storage.ErrNoMailbox},
	{"badname", storage.ErrBadName},
	{"permission", storage.ErrPermission},
	{"readonly", storage.ErrReadOnly},
}

// deliveryKind names err's kind, or "error".
func deliveryKind(err error) string {
	for _, k := range deliveryKinds {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return "error"
}

// err rebuilds the delivery's error, nil on success.
func (r *deliveryResult) err() error {
	if r.Kind == "" {
		return nil
	}
	for _, k := range deliveryKinds {
		if k.name == r.Kind {
			return fmt.Errorf("delivery process: %w: %s", k.err, r.Text)
		}
	}
	return fmt.Errorf("delivery process: %s", r.Text)
}

// ownIdentity reports whether u's mail must be written by a process with
// u's own identity, id: the daemon is root and u's sessions run as
// another user (session-process, virtual-user).
func (g *Gateway) ownIdentity(u *auth.User) (id identity, own bool, err error) {
	if os.Geteuid() != 0 {
		return identity{}, false, nil
	}
	id, ok, err := g.identityFor(u)
	if err != nil {
		return identity{}, true, fmt.Errorf("the identity of %s: %w", u.Name, err)
	}
	return id, ok && id.uid != os.Geteuid(), nil
}

// deliverAs implements lmtp.Options.DeliverAs: a copy for a user whose
// sessions run with an identity other than the daemon's is stored by a
// delivery process with that identity; handled is false for every other
// user, whose copy the LMTP frontend stores itself.
func (g *Gateway) deliverAs(ctx context.Context, u *auth.User, mailbox string, msg io.Reader, date time.Time) (uid uint32, handled bool, err error) {
	id, own, err := g.ownIdentity(u)
	if err != nil || !own {
		return 0, own, err
	}
	res, err := g.runUserProcess(ctx, u, id, deliveryRequest{Mailbox: mailbox, Date: date}, msg)
	if err != nil {
		return 0, true, err
	}
	return res.UID, true, res.err()
}

// mailboxReport is Account.Report, or Account.Resync when resync is set,
// of u's mailbox in a, done by a process with u's identity when the
// daemon must not write u's mail itself.
func (g *Gateway) mailboxReport(ctx context.Context, u *auth.User, a *storage.Account, mailbox string, resync bool) (storage.MailboxReport, error) {
	id, own, err := g.ownIdentity(u)
	if err != nil {
		return storage.MailboxReport{}, err
	}
	if !own {
		if resync {
			return a.Resync(mailbox)
		}
		return a.Report(mailbox)
	}
	op := "report"
	if resync {
		op = "resync"
	}
	res, err := g.runUserProcess(ctx, u, id, deliveryRequest{Op: op, Mailbox: mailbox}, strings.NewReader(""))
	if err != nil {
		return storage.MailboxReport{}, err
	}
	if err := res.err(); err != nil {
		return storage.MailboxReport{}, err
	}
	if res.Report == nil {
		return storage.MailboxReport{}, fmt.Errorf("the process for %s gave no report", u.Name)
	}
	return *res.Report, nil
}

// deliveryTimeout bounds one delivery process, however stuck its storage
// is (an mbox lock another program holds for good, a hung NFS server).
const deliveryTimeout = 5 * time.Minute

// maxDeliveryOutput bounds what the daemon keeps of a delivery process's
// standard output (its one line of result) and of its standard error
// (its logs): a process that writes more has the rest dropped.
const maxDeliveryOutput = 64 << 10

// deliverySlots bounds how many delivery processes run at once
// ([lmtp] delivery-processes): a burst of mail for system users must not
// fork a process per message without end. A delivery that finds none
// free waits for one, at most [lmtp] delivery-wait.
type deliverySlots struct {
	mu      sync.Mutex
	running int
	freed   chan struct{} // closed when a slot is given back
}

// errNoDeliverySlot is the error of a delivery that waited too long for
// a delivery process; the MTA hears 451 4.3.0 and tries again.
var errNoDeliverySlot = errors.New("every delivery process is busy")

// acquire takes a slot of limit, waiting until ctx is done.
func (s *deliverySlots) acquire(ctx context.Context, limit int) error {
	for {
		s.mu.Lock()
		if s.running < limit {
			s.running++
			s.mu.Unlock()
			return nil
		}
		if s.freed == nil {
			s.freed = make(chan struct{})
		}
		freed := s.freed
		s.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// release gives a slot back.
func (s *deliverySlots) release() {
	s.mu.Lock()
	s.running--
	if s.freed != nil {
		close(s.freed)
		s.freed = nil
	}
	s.mu.Unlock()
}

// deliveryLimit is [lmtp] delivery-processes, or four per CPU and at
// least 8 when it is 0.
func deliveryLimit(cfg *config.Config) int {
	if n := cfg.LMTP.DeliveryProcesses; n > 0 {
		return n
	}
	return max(8, 4*runtime.NumCPU())
}

// runUserProcess runs req in a delivery process with identity id, stdin
// its standard input, and returns the process's result.
func (g *Gateway) runUserProcess(ctx context.Context, u *auth.User, id identity, req deliveryRequest, stdin io.Reader) (*deliveryResult, error) {
	cfg := g.conf()
	wait, cancel := context.WithTimeout(ctx, cfg.LMTP.DeliveryWait)
	err := g.deliveries.acquire(wait, deliveryLimit(cfg))
	cancel()
	if err != nil {
		return nil, fmt.Errorf("delivering for %s: %w (waited %v)", u.Name, errNoDeliverySlot, cfg.LMTP.DeliveryWait)
	}
	defer g.deliveries.release()
	hm, err := g.handoffMessage(-1, &imap.SessionState{})
	if err != nil {
		return nil, err
	}
	req.Config, req.User, req.UIDValidity = hm.Config, *u, g.validities.Next()
	cmd, err := g.sessionCommand(u, id)
	if err != nil {
		return nil, err
	}
	cmd.Args[1] = DeliveryProcessFlag
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer reqR.Close()
	defer reqW.Close()
	cmd.ExtraFiles = []*os.File{reqR}
	cmd.Stdin = stdin
	out, errOut := &cappedBuffer{max: maxDeliveryOutput}, &cappedBuffer{max: maxDeliveryOutput}
	cmd.Stdout = out
	cmd.Stderr = errOut
	if err := g.spawn.start(cmd); err != nil {
		return nil, fmt.Errorf("starting a process for %s: %w", u.Name, err)
	}
	reqR.Close()
	if err := json.NewEncoder(reqW).Encode(&req); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("process for %s: sending the request: %w", u.Name, err)
	}
	reqW.Close()
	res, werr := awaitDelivery(ctx, cmd, out, deliveryTimeout)
	for _, l := range strings.Split(strings.TrimSpace(errOut.String()), "\n") {
		if l != "" {
			g.log.Info("mailgate: delivery process: "+l, "user", u.Name, "pid", cmd.Process.Pid)
		}
	}
	if errOut.dropped > 0 {
		g.log.Warn("mailgate: delivery process: the rest of its log was dropped", "user", u.Name, "pid", cmd.Process.Pid, "bytes", errOut.dropped)
	}
	switch {
	case res == nil:
		return nil, fmt.Errorf("process for %s: %w", u.Name, werr)
	case werr != nil:
		// It had stored the message (or done its work) and said so,
		// then was stopped: its work stands, and the MTA must not
		// deliver the message again.
		g.log.Warn("mailgate: delivery process stopped after it had answered; its answer stands", "user", u.Name,
			"pid", cmd.Process.Pid, "err", werr)
	}
	return res, nil
}

// awaitDelivery waits for a started delivery process, at most timeout
// or until ctx is done, when it is killed, and returns the result it
// wrote to out, nil when it wrote none. werr tells why it ended, when it
// did not end by itself: a process killed after it wrote its result (it
// committed the message, then got stuck) has done its work all the same.
func awaitDelivery(ctx context.Context, cmd *exec.Cmd, out *cappedBuffer, timeout time.Duration) (res *deliveryResult, werr error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case werr = <-done:
	case <-ctx.Done():
		cmd.Process.Kill()
		<-done // its output is all in out now
		werr = ctx.Err()
	}
	// The first line is the result, written as soon as it is known.
	line, _, _ := strings.Cut(out.String(), "\n")
	var r deliveryResult
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		if werr == nil {
			werr = fmt.Errorf("no result: %w", err)
		}
		return nil, werr
	}
	return &r, werr
}

// cappedBuffer keeps the first max bytes written to it, and counts the
// rest.
type cappedBuffer struct {
	max     int
	b       strings.Builder
	dropped int64
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	room := max(c.max-c.b.Len(), 0)
	if len(p) > room {
		c.dropped += int64(len(p) - room)
		p = p[:room]
	}
	c.b.Write(p)
	return n, nil
}

func (c *cappedBuffer) String() string { return c.b.String() }

// RunDeliveryProcess is mailgate started with DeliveryProcessFlag by a
// daemon running as root: with the recipient's identity already (it
// refuses to run as root, as a session process does), it reads its
// request from descriptor 3 and the message from stdin, appends the
// message to the mailbox, and writes the result to stdout as one line of
// JSON as soon as it has it: before it closes the storage, so that the
// daemon, should it kill the process at its timeout after the message
// was stored, knows that it was (and the MTA does not deliver it twice).
// Its exit status is 0 whenever it wrote a result.
func RunDeliveryProcess() int {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	written := false
	answer := func(res *deliveryResult) {
		if !written && json.NewEncoder(os.Stdout).Encode(res) == nil {
			written = true
		}
	}
	answer(deliver(log, answer))
	if !written {
		return 1
	}
	return 0
}

// deliver does RunDeliveryProcess's work, and passes its result to
// answer as soon as it has it.
func deliver(log *slog.Logger, answer func(*deliveryResult)) *deliveryResult {
	fail := func(err error) *deliveryResult {
		return &deliveryResult{Kind: deliveryKind(err), Text: err.Error()}
	}
	if err := confine(); err != nil {
		return fail(fmt.Errorf("refusing to deliver: %w", err))
	}
	f := os.NewFile(3, "request")
	if f == nil {
		return fail(errors.New("started without its request"))
	}
	var req deliveryRequest
	if err := json.NewDecoder(f).Decode(&req); err != nil {
		return fail(fmt.Errorf("reading the request: %w", err))
	}
	f.Close()
	cfg, err := config.Parse([]byte(req.Config), "delivery")
	if err != nil {
		return fail(fmt.Errorf("configuration: %w", err))
	}
	used := false
	uidValidity := func() uint32 {
		if used {
			// One delivery creates one mailbox at most; a second
			// value would have to come from the daemon's counter.
			return uint32(time.Now().Unix())
		}
		used = true
		return req.UIDValidity
	}
	g := &Gateway{log: log}
	g.live.Store(&liveState{cfg: cfg, auth: &authParts{}})
	g.store = storage.New(storage.Options{Drivers: drivers(cfg, log, uidValidity), Logger: log})
	defer g.store.Close()
	acct, err := g.account(context.Background(), &req.User)
	if err != nil {
		return fail(fmt.Errorf("opening the mailboxes of %s: %w", req.User.Name, err))
	}
	var res *deliveryResult
	switch req.Op {
	case "":
		_, uid, err := acct.Append(req.Mailbox, os.Stdin, nil, req.Date)
		if err != nil {
			return fail(err)
		}
		res = &deliveryResult{UID: uid}
	case "report", "resync":
		report := acct.Report
		if req.Op == "resync" {
			report = acct.Resync
		}
		r, err := report(req.Mailbox)
		if err != nil {
			return fail(err)
		}
		res = &deliveryResult{Report: &r}
	default:
		return fail(fmt.Errorf("unknown request %q", req.Op))
	}
	answer(res) // now: the deferred Close may take its time
	return res
}
