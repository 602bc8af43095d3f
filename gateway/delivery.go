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
// short-lived process of its own program that runs with the user's uid,
// gid and groups, started on the spawner's no_new_privs thread: as root
// with its capabilities bounded, as a warm session process is, and it
// takes on the user's identity itself before it reads its request or a
// message (it is never the user's and dumpable at once, and as root it
// decodes nothing but its identity; see warm.go). The message goes to it
// on stdin; one line of JSON comes back. The control socket's
// mailbox status and resync, which write caches and indexes into the
// user's mailboxes, go the same way.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strconv"
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

// deliveryRequest is what a delivery process is told, on descriptor 3,
// after the line of its identity (writeIdentity).
type deliveryRequest struct {
	// Op is "" to deliver Messages, framed on stdin (frameMessages),
	// "report" or "resync" for the control socket's mailbox status and
	// resync of Mailbox.
	Op       string            `json:"op,omitempty"`
	Config   string            `json:"config"` // the daemon's configuration, without secrets
	User     auth.User         `json:"user"`
	Mailbox  string            `json:"mailbox,omitempty"`
	Messages []deliveryMessage `json:"messages,omitempty"`
	// UIDValidity is for the first mailbox the process creates.
	UIDValidity uint32 `json:"uidvalidity"`
}

// deliveryMessage is one message a delivery process stores.
type deliveryMessage struct {
	Mailbox string    `json:"mailbox"`
	Date    time.Time `json:"date"`
}

// deliveryResult is a delivery process's answer about one message (or
// its report), one line of JSON on its stdout, in the order of the
// request's messages. A process that fails before it has read its
// request (its identity) answers once.
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
//
// One delivery process runs for a user at a time, and stores, one after
// the other, every copy for that user that came while it waited for its
// turn (at most maxDeliveryBatch): a burst of mail for one user pays for
// one process start, one reading of the configuration and one count of
// the user's mailboxes for the quota, not one per message. A copy alone
// goes at once.
func (g *Gateway) deliverAs(ctx context.Context, u *auth.User, mailbox string, msg io.Reader, date time.Time) (uid uint32, handled bool, err error) {
	id, own, err := g.ownIdentity(u)
	if err != nil || !own {
		return 0, own, err
	}
	d := &pendingDelivery{msg: deliveryMessage{Mailbox: mailbox, Date: date}, r: msg, done: make(chan deliveryOutcome, 1)}
	key := strconv.Itoa(id.uid) + "\x00" + u.Name
	q := &g.userDeliveries
	q.mu.Lock()
	if q.users == nil {
		q.users = map[string]*userDeliveries{}
	}
	ud := q.users[key]
	if ud == nil {
		ud = &userDeliveries{}
		q.users[key] = ud
	}
	if ud.next != nil && len(ud.next.items) < maxDeliveryBatch {
		// Another copy waits for the user's turn: this one goes with it.
		ud.next.items = append(ud.next.items, d)
		queued := len(ud.next.items)
		q.mu.Unlock()
		g.log.Debug("mailgate: delivery waits for the user's delivery process", "user", u.Name, "queued", queued)
		o := <-d.done
		return o.uid, true, o.err
	}
	b := &deliveryBatch{items: []*pendingDelivery{d}}
	if ud.next == nil {
		ud.next = b // others join it until it runs
	}
	ud.waiting++ // until runDeliveryBatch gives b its turn or gives up
	waits := ud.running != nil
	q.mu.Unlock()
	if waits {
		g.log.Debug("mailgate: delivery waits for the user's delivery process", "user", u.Name, "queued", 1)
	}
	g.runDeliveryBatch(ctx, key, ud, b, u, id)
	o := <-d.done
	return o.uid, true, o.err
}

// maxDeliveryBatch bounds how many copies one delivery process stores.
const maxDeliveryBatch = 64

// deliveryQueues holds, by user, the deliveries waiting for a delivery
// process.
type deliveryQueues struct {
	mu    sync.Mutex
	users map[string]*userDeliveries // by uid and user name
}

// userDeliveries is one user's delivery processes: the one running, and
// the copies that wait for it to end.
type userDeliveries struct {
	running chan struct{}  // closed when the running process ends; nil: none runs
	next    *deliveryBatch // copies that wait for their turn, or nil
	// waiting counts the batches waiting for their turn (next, and those
	// that found it full and started another): ud is kept while any does,
	// or a copy arriving meanwhile would start a second process.
	waiting int
}

// deliveryBatch is the copies one delivery process stores.
type deliveryBatch struct {
	items []*pendingDelivery
}

// pendingDelivery is one copy waiting for its delivery process.
type pendingDelivery struct {
	msg  deliveryMessage
	r    io.Reader
	done chan deliveryOutcome
}

// deliveryOutcome is what became of one copy.
type deliveryOutcome struct {
	uid uint32
	err error
}

// runDeliveryBatch waits for the user's turn and a delivery slot, at most
// [lmtp] delivery-wait, then has a delivery process store b's copies,
// and tells each its outcome. The caller counted b in ud.waiting.
func (g *Gateway) runDeliveryBatch(ctx context.Context, key string, ud *userDeliveries, b *deliveryBatch, u *auth.User, id identity) {
	q := &g.userDeliveries
	wait := g.conf().LMTP.DeliveryWait
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	finish := func(err error, results []deliveryResult) {
		for i, d := range b.items {
			switch {
			case i < len(results):
				d.done <- deliveryOutcome{uid: results[i].UID, err: results[i].err()}
			case err != nil:
				d.done <- deliveryOutcome{err: err}
			default:
				d.done <- deliveryOutcome{err: fmt.Errorf("the delivery process for %s said nothing of the message", u.Name)}
			}
		}
	}
	busy := fmt.Errorf("delivering for %s: %w (waited %v)", u.Name, errNoDeliverySlot, wait)
	q.mu.Lock()
	for ud.running != nil {
		running := ud.running
		q.mu.Unlock()
		select {
		case <-running:
		case <-wctx.Done():
			q.mu.Lock()
			ud.waiting--
			if ud.next == b {
				ud.next = nil
			}
			q.forget(key, ud)
			q.mu.Unlock()
			finish(busy, nil)
			return
		}
		q.mu.Lock()
	}
	// The user's turn: no more copies join b.
	ud.waiting--
	if ud.next == b {
		ud.next = nil
	}
	running := make(chan struct{})
	ud.running = running
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		ud.running = nil
		close(running)
		q.forget(key, ud)
		q.mu.Unlock()
	}()
	if err := g.deliveries.acquire(wctx, deliveryLimit(g.conf())); err != nil {
		finish(busy, nil)
		return
	}
	defer g.deliveries.release()
	msgs := make([]deliveryMessage, len(b.items))
	readers := make([]io.Reader, len(b.items))
	for i, d := range b.items {
		msgs[i], readers[i] = d.msg, d.r
	}
	results, err := g.runUserProcess(ctx, u, id, deliveryRequest{Messages: msgs}, &framer{msgs: readers})
	g.log.Debug("mailgate: delivery process done", "user", u.Name, "messages", len(msgs), "stored", len(results), "err", err)
	finish(err, results)
}

// forget drops ud once nothing runs or waits for it; q.mu is held.
func (q *deliveryQueues) forget(key string, ud *userDeliveries) {
	if ud.running == nil && ud.next == nil && ud.waiting == 0 && q.users[key] == ud {
		delete(q.users, key)
	}
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
	cfg := g.conf()
	wctx, cancel := context.WithTimeout(ctx, cfg.LMTP.DeliveryWait)
	err = g.deliveries.acquire(wctx, deliveryLimit(cfg))
	cancel()
	if err != nil {
		return storage.MailboxReport{}, fmt.Errorf("the mailbox of %s: %w (waited %v)", u.Name, errNoDeliverySlot, cfg.LMTP.DeliveryWait)
	}
	defer g.deliveries.release()
	results, err := g.runUserProcess(ctx, u, id, deliveryRequest{Op: op, Mailbox: mailbox}, strings.NewReader(""))
	if len(results) == 0 {
		if err == nil {
			err = errors.New("no result")
		}
		return storage.MailboxReport{}, fmt.Errorf("the process for %s: %w", u.Name, err)
	}
	res := results[0]
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
// its standard input, and returns the results it wrote, one per message
// (or its one report). A process that ended early wrote fewer, and err
// says why; the results it wrote stand even then: a message it said it
// stored is stored.
func (g *Gateway) runUserProcess(ctx context.Context, u *auth.User, id identity, req deliveryRequest, stdin io.Reader) ([]deliveryResult, error) {
	hm, err := g.handoffMessage(-1, &imap.SessionState{})
	if err != nil {
		return nil, err
	}
	req.Config, req.User, req.UIDValidity = hm.Config, *u, g.validities.Next()
	cmd, err := g.mailgateCommand(DeliveryProcessFlag)
	if err != nil {
		return nil, err
	}
	cmd.Env = append(cmd.Env, sessionEnv(u)...)
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
	var ident *identityMessage // none when started with it
	err = g.spawn.startRoot(cmd)
	if err == nil {
		m := id.message(nil)
		ident = &m
	} else if errors.Is(err, errNoBounding) {
		err = g.spawn.startWithCredential(cmd, id, err, g.log)
	}
	if err != nil {
		return nil, fmt.Errorf("starting a process for %s: %w", u.Name, err)
	}
	reqR.Close()
	// The delivery's time runs from here, the writes included.
	ctx, cancel := context.WithTimeout(ctx, deliveryTimeout)
	defer cancel()
	// The identity, then the request, which the process reads once it
	// runs as the user. The user may stop it (SIGSTOP) before it reads
	// a request over the pipe's buffer: the write ends with the
	// delivery's time, or when the daemon stops.
	unblock := context.AfterFunc(ctx, func() { reqW.SetWriteDeadline(time.Now()) })
	serr := writeIdentity(reqW, ident)
	if serr == nil {
		serr = json.NewEncoder(reqW).Encode(&req)
	}
	unblock()
	reqW.Close()
	if serr != nil {
		// It ended before it read the request (it could not take on
		// the identity: its answer says why), or did not read it in
		// time.
		cmd.Process.Kill()
	}
	results, werr := awaitDelivery(ctx, cmd, out, deliveryTimeout)
	if serr != nil {
		werr = fmt.Errorf("sending the request: %w", serr)
	}
	for _, l := range strings.Split(strings.TrimSpace(errOut.String()), "\n") {
		if l != "" {
			g.log.Info("mailgate: delivery process: "+l, "user", u.Name, "pid", cmd.Process.Pid)
		}
	}
	if errOut.dropped > 0 {
		g.log.Warn("mailgate: delivery process: the rest of its log was dropped", "user", u.Name, "pid", cmd.Process.Pid, "bytes", errOut.dropped)
	}
	want := max(len(req.Messages), 1)
	if werr != nil && len(results) > 0 {
		// It had stored messages (or done its work) and said so, then
		// was stopped: that work stands, and the MTA must not deliver
		// those messages again.
		g.log.Warn("mailgate: delivery process stopped after it had answered; its answers stand", "user", u.Name,
			"pid", cmd.Process.Pid, "answers", len(results), "of", want, "err", werr)
	}
	if werr != nil {
		werr = fmt.Errorf("process for %s: %w", u.Name, werr)
	} else if len(results) < want {
		werr = fmt.Errorf("process for %s: %d results for %d messages", u.Name, len(results), want)
	}
	return results, werr
}

// awaitDelivery waits for a started delivery process, at most timeout
// or until ctx is done, when it is killed, and returns the results it
// wrote to out, one a line. werr tells why it ended, when it did not end
// by itself: a process killed after it wrote a result (it stored the
// message, then got stuck) has done that work all the same.
func awaitDelivery(ctx context.Context, cmd *exec.Cmd, out *cappedBuffer, timeout time.Duration) (results []deliveryResult, werr error) {
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
	// Each result is written as soon as it is known; a line cut short
	// (killed while writing, or past the output's bound) is none.
	text := out.String()
	for {
		line, rest, ok := strings.Cut(text, "\n")
		if !ok {
			break
		}
		var r deliveryResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			if werr == nil {
				werr = fmt.Errorf("a result that does not read: %w", err)
			}
			break
		}
		results = append(results, r)
		text = rest
	}
	return results, werr
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
// daemon running as root: it makes itself non-dumpable, reads the
// recipient's identity, the first line on descriptor 3, takes it on when
// it was started as root (it refuses to go on as root, as a session
// process does), and only then reads its request, the rest of descriptor
// 3, and the messages, framed, from stdin, and appends each to its
// mailbox, one after the other. It writes the result
// of each to stdout, one line of JSON, as soon as it has it: the daemon,
// should it kill the process at its timeout after a message was stored,
// knows that it was (and the MTA does not deliver it twice). Its exit
// status is 0 whenever it wrote every result.
func RunDeliveryProcess() int {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	enc := json.NewEncoder(os.Stdout)
	failed := false
	answer := func(res *deliveryResult) {
		if enc.Encode(res) != nil {
			failed = true
		}
	}
	if err := undumpable(); err != nil {
		answer(&deliveryResult{Kind: deliveryKind(err), Text: "refusing to deliver: " + err.Error()})
	} else if f := os.NewFile(3, "request"); f == nil {
		answer(&deliveryResult{Kind: "error", Text: "started without its request"})
	} else {
		deliver(log, f, bufio.NewReader(os.Stdin), answer)
		f.Close()
	}
	if failed {
		return 1
	}
	return 0
}

// deliver does RunDeliveryProcess's work once it is non-dumpable: it
// reads its identity and request from request, the messages from in, and
// passes each result to answer as soon as it has it.
func deliver(log *slog.Logger, request io.Reader, in *bufio.Reader, answer func(*deliveryResult)) {
	fail := func(err error) *deliveryResult { return &deliveryResult{Kind: deliveryKind(err), Text: err.Error()} }
	failAll := func(req *deliveryRequest, err error) {
		for range max(len(req.Messages), 1) {
			answer(fail(err))
		}
	}
	// As root it reads its identity alone: the request holds what LMTP
	// clients and the user's session processes named.
	if err := takeIdentityFrom(request); err != nil {
		answer(fail(fmt.Errorf("refusing to deliver: %w", err)))
		return
	}
	var req deliveryRequest
	if err := json.NewDecoder(request).Decode(&req); err != nil {
		failAll(&req, fmt.Errorf("reading the request: %w", err))
		return
	}
	cfg, err := config.Parse([]byte(req.Config), "delivery")
	if err != nil {
		failAll(&req, fmt.Errorf("configuration: %w", err))
		return
	}
	used := false
	uidValidity := func() uint32 {
		if used {
			// The daemon's counter gave one value; a second mailbox
			// made by the same process is numbered from the clock.
			return uint32(time.Now().Unix())
		}
		used = true
		return req.UIDValidity
	}
	g := &Gateway{log: log}
	g.live.Store(&liveState{cfg: cfg, auth: &authParts{}})
	g.store = storage.New(storage.Options{Drivers: drivers(cfg, log, uidValidity), Logger: log})
	// Closed after the last answer: the daemon need not wait for it.
	defer g.store.Close()
	acct, err := g.account(context.Background(), &req.User)
	if err != nil {
		failAll(&req, fmt.Errorf("opening the mailboxes of %s: %w", req.User.Name, err))
		return
	}
	switch req.Op {
	case "":
		// One store for every message: the quota's count of the user's
		// mailboxes is made once, and kept up to date as messages go in.
		for _, m := range req.Messages {
			r := &unframer{r: in}
			_, uid, err := acct.Append(m.Mailbox, r, nil, m.Date)
			if _, derr := io.Copy(io.Discard, r); derr != nil && err == nil {
				err = derr
			}
			if err != nil {
				answer(fail(err))
				continue
			}
			answer(&deliveryResult{UID: uid})
		}
	case "report", "resync":
		report := acct.Report
		if req.Op == "resync" {
			report = acct.Resync
		}
		r, err := report(req.Mailbox)
		if err != nil {
			answer(fail(err))
			return
		}
		answer(&deliveryResult{Report: &r})
	default:
		answer(fail(fmt.Errorf("unknown request %q", req.Op)))
	}
}

// The messages of a delivery process go one after the other on its
// stdin, each as chunks: a line holding the chunk's length in hex, then
// that many bytes; a chunk of length 0 ends the message. The daemon does
// not know a message's length before it has read it (its head is written
// on the fly), and a process that refuses a message reads past it to the
// next.

// framer is the daemon's side: it reads msgs one after the other as
// framed messages.
type framer struct {
	msgs    []io.Reader
	pending []byte
	buf     [32 << 10]byte
}

func (f *framer) Read(p []byte) (int, error) {
	for len(f.pending) == 0 {
		if len(f.msgs) == 0 {
			return 0, io.EOF
		}
		n, err := f.msgs[0].Read(f.buf[:])
		if n > 0 {
			f.pending = append(fmt.Appendf(f.pending[:0], "%x\n", n), f.buf[:n]...)
		}
		switch {
		case err == io.EOF:
			f.pending = append(f.pending, "0\n"...)
			f.msgs = f.msgs[1:]
		case err != nil:
			return 0, err
		}
	}
	n := copy(p, f.pending)
	f.pending = f.pending[n:]
	return n, nil
}

// maxFrameChunk bounds a chunk's length: the daemon writes 32 KiB.
const maxFrameChunk = 1 << 20

// errBadFrame is a delivery process's stdin that is not framed messages.
var errBadFrame = errors.New("delivery process: a message's framing is broken")

// unframer is the delivery process's side: one message read from r,
// io.EOF at its end.
type unframer struct {
	r    *bufio.Reader
	left int64
	done bool
	err  error
}

func (u *unframer) Read(p []byte) (int, error) {
	for u.left == 0 {
		if u.done {
			return 0, io.EOF
		}
		if u.err != nil {
			return 0, u.err
		}
		line, err := u.r.ReadString('\n')
		if err != nil {
			u.err = io.ErrUnexpectedEOF
			return 0, u.err
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(line, "\n"), 16, 64)
		if err != nil || n < 0 || n > maxFrameChunk {
			u.err = errBadFrame
			return 0, u.err
		}
		if n == 0 {
			u.done = true
			return 0, io.EOF
		}
		u.left = n
	}
	if int64(len(p)) > u.left {
		p = p[:u.left]
	}
	n, err := u.r.Read(p)
	u.left -= int64(n)
	if err == io.EOF {
		err = nil
		if n == 0 {
			u.err = io.ErrUnexpectedEOF
			err = u.err
		}
	}
	return n, err
}
