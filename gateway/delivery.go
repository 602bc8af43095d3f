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
	"strings"
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

// runUserProcess runs req in a delivery process with identity id, stdin
// its standard input, and returns the process's result.
func (g *Gateway) runUserProcess(ctx context.Context, u *auth.User, id identity, req deliveryRequest, stdin io.Reader) (*deliveryResult, error) {
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
	var out, errOut strings.Builder
	cmd.Stdout = &out
	cmd.Stderr = &errOut
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
	ctx, cancel := context.WithTimeout(ctx, deliveryTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var werr error
	select {
	case werr = <-done:
	case <-ctx.Done():
		cmd.Process.Kill()
		<-done
		return nil, fmt.Errorf("process for %s: %w", u.Name, ctx.Err())
	}
	for _, l := range strings.Split(strings.TrimSpace(errOut.String()), "\n") {
		if l != "" {
			g.log.Info("mailgate: delivery process: "+l, "user", u.Name, "pid", cmd.Process.Pid)
		}
	}
	var res deliveryResult
	if err := json.Unmarshal([]byte(out.String()), &res); err != nil {
		return nil, fmt.Errorf("the process for %s gave no result (%v): %w", u.Name, werr, err)
	}
	return &res, nil
}

// RunDeliveryProcess is mailgate started with DeliveryProcessFlag by a
// daemon running as root: with the recipient's identity already (it
// refuses to run as root, as a session process does), it reads its
// request from descriptor 3 and the message from stdin, appends the
// message to the mailbox, and writes the result to stdout as one line of
// JSON. Its exit status is 0 whenever it wrote a result.
func RunDeliveryProcess() int {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	res := deliver(log)
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		return 1
	}
	return 0
}

// deliver does RunDeliveryProcess's work.
func deliver(log *slog.Logger) *deliveryResult {
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
	switch req.Op {
	case "":
		_, uid, err := acct.Append(req.Mailbox, os.Stdin, nil, req.Date)
		if err != nil {
			return fail(err)
		}
		return &deliveryResult{UID: uid}
	case "report", "resync":
		report := acct.Report
		if req.Op == "resync" {
			report = acct.Resync
		}
		r, err := report(req.Mailbox)
		if err != nil {
			return fail(err)
		}
		return &deliveryResult{Report: &r}
	}
	return fail(fmt.Errorf("unknown request %q", req.Op))
}
