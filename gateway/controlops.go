package gateway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/storage"
)

// The control verbs that operate the daemon (issue 11, section 6), beside
// blocks and unblock in control.go:
//
//	who                      one row per live session: id, frontend,
//	                         remote address, user, mailbox, since
//	                         (RFC 3339), session process pid (0: the daemon)
//	kick TARGET              end the sessions of a user name or client IP
//	                         address with "* BYE"; OK's text is how many
//	reload                   what SIGHUP does; one row per changed setting
//	                         that waits for a restart
//	stop                     what SIGTERM does: OK, then a graceful shutdown
//	auth-test USER PASSWORD  check a password through the [auth] chain; OK's
//	                         text is the back-end that accepted it, ERR says
//	                         which refused it. Neither is logged with the
//	                         password, nor counted by the login throttle
//	mailbox-status USER [MAILBOX]
//	                         one row per mailbox (every selectable one of
//	                         USER's personal namespace without MAILBOX):
//	                         name, messages, unseen, uidnext, uidvalidity,
//	                         highestmodseq, size, format, path
//	mailbox-resync USER MAILBOX
//	                         drop the mailbox's caches and index and read it
//	                         again (storage.Account.Resync); one row as
//	                         mailbox-status, after

// KickReason is what a kicked session's client reads after "* BYE".
const KickReason = "Disconnected by the administrator"

// controlTimeout bounds the work of one control request that reaches a
// password back-end or the storage.
const controlTimeout = 30 * time.Second

// secretArgs says which arguments of a verb are secrets, kept out of the
// log of control requests: the index of the first.
var secretArgs = map[string]int{"auth-test": 1}

// logged returns a control request as the log shows it, secrets masked.
func logged(verb string, args []string) string {
	shown := slices.Clone(args)
	if i, ok := secretArgs[verb]; ok {
		for ; i < len(shown); i++ {
			shown[i] = "***"
		}
	}
	return strings.Join(append([]string{verb}, shown...), " ")
}

// doOps answers the verbs of this file; it reports false for any other.
func (c *control) doOps(w *bufio.Writer, verb string, args []string) (after func(), known bool) {
	fail := func(format string, a ...any) { fmt.Fprintf(w, "ERR\t"+format+"\n", a...) }
	switch verb {
	case "who":
		if len(args) != 0 {
			fail("usage: who")
			break
		}
		for _, r := range c.g.book.List() {
			writeRow(w, strconv.FormatUint(r.ID, 10), r.Frontend, r.Remote, r.User, r.Mailbox,
				r.Since.UTC().Format(time.RFC3339), strconv.Itoa(r.PID))
		}
		w.WriteString("OK\n")
	case "kick":
		if len(args) != 1 || args[0] == "" {
			fail("usage: kick USER|ADDRESS")
			break
		}
		kicked := c.g.book.Kick(args[0], KickReason)
		if len(kicked) == 0 {
			fail("no session of %s", args[0])
			break
		}
		for _, r := range kicked {
			c.g.log.Info("mailgate: session kicked by the administrator", "conn", r.ID, "user", r.User, "remote", r.Remote)
		}
		fmt.Fprintf(w, "OK\t%d\n", len(kicked))
	case "reload":
		if len(args) != 0 {
			fail("usage: reload")
			break
		}
		c.g.log.Info("mailgate: reloading, as the control socket asks")
		res, err := c.g.reload()
		if err != nil {
			fail("%s", oneLine(err.Error()))
			break
		}
		for _, k := range res.Restart {
			writeRow(w, k)
		}
		w.WriteString("OK\n")
	case "stop":
		if len(args) != 0 {
			fail("usage: stop")
			break
		}
		w.WriteString("OK\n")
		return c.g.stop, true
	case "auth-test":
		if len(args) != 2 {
			fail("usage: auth-test USER PASSWORD")
			break
		}
		c.authTest(w, args[0], args[1])
	case "mailbox-status", "mailbox-resync":
		if (verb == "mailbox-status" && (len(args) < 1 || len(args) > 2)) || (verb == "mailbox-resync" && len(args) != 2) {
			fail("usage: mailbox-status USER [MAILBOX], mailbox-resync USER MAILBOX")
			break
		}
		c.mailbox(w, verb == "mailbox-resync", args[0], args[1:])
	default:
		return nil, false
	}
	return nil, true
}

// authTest checks name's password through the chain in force, as a login
// does but without the throttle, and says which back-end answered.
func (c *control) authTest(w *bufio.Writer, name, password string) {
	ctx, cancel := context.WithTimeout(context.Background(), controlTimeout)
	defer cancel()
	chain := c.g.cur().authn
	u, by, err := chain.AuthenticateBy(ctx, name, password)
	switch {
	case err == nil:
		writeRow(w, by, u.Name, u.Home, strconv.Itoa(u.UID))
		fmt.Fprintf(w, "OK\t%s\n", by)
	case errors.Is(err, auth.ErrNoUser) && by == "":
		fmt.Fprintf(w, "ERR\tno back-end knows user %s (asked: %s)\n", name, strings.Join(chain.Backends(), ", "))
	case errors.Is(err, auth.ErrBadCredentials):
		fmt.Fprintf(w, "ERR\t%s refused the password of %s (wrong password, or a locked account)\n", by, name)
	default:
		fmt.Fprintf(w, "ERR\t%s\n", oneLine(err.Error()))
	}
}

// mailbox answers mailbox-status and mailbox-resync.
func (c *control) mailbox(w *bufio.Writer, resync bool, name string, mailbox []string) {
	ctx, cancel := context.WithTimeout(context.Background(), controlTimeout)
	defer cancel()
	u, err := c.g.lookupUser(ctx, name)
	if err != nil {
		fmt.Fprintf(w, "ERR\t%s\n", oneLine(err.Error()))
		return
	}
	a, err := c.g.account(ctx, u)
	if err != nil {
		fmt.Fprintf(w, "ERR\tuser %s: %s\n", name, oneLine(err.Error()))
		return
	}
	names := mailbox
	if len(names) == 0 {
		err := a.List(func(string) bool { return true }, func(mi storage.MailboxInfo) {
			if !mi.NoSelect {
				names = append(names, mi.Name)
			}
		})
		if err != nil {
			fmt.Fprintf(w, "ERR\tlisting the mailboxes of %s: %s\n", name, oneLine(err.Error()))
			return
		}
		if !slices.ContainsFunc(names, storage.IsInbox) {
			names = append([]string{storage.InboxName}, names...)
		}
	}
	var rows [][]string
	for _, mb := range names {
		// With the user's identity when the daemon must not write the
		// user's mail itself: a cache or index root made in a user's
		// maildir would lock the user's own sessions out of it.
		r, err := c.g.mailboxReport(ctx, u, a, mb, resync)
		if err == nil && resync {
			c.g.log.Info("mailgate: mailbox resynchronised", "user", name, "mailbox", mb, "path", r.Path)
		}
		if err != nil {
			fmt.Fprintf(w, "ERR\t%s of %s: %s\n", mb, name, oneLine(err.Error()))
			return
		}
		rows = append(rows, []string{mb, u32(r.Messages), u32(r.Unseen), u32(r.UIDNext), u32(r.UIDValidity),
			strconv.FormatUint(r.HighestModSeq, 10), strconv.FormatInt(r.Size, 10), r.Format, r.Path})
	}
	for _, r := range rows {
		writeRow(w, r...)
	}
	w.WriteString("OK\n")
}

// lookupUser finds a user by name without a password, as the back-ends
// of the chain that can name users (Chain.Identify) know them: the same
// users as LMTP delivers to.
func (g *Gateway) lookupUser(ctx context.Context, name string) (*auth.User, error) {
	u, err := g.cur().authn.Identify(ctx, name)
	switch {
	case errors.Is(err, auth.ErrNoUser):
		return nil, fmt.Errorf("no user %s", name)
	case err != nil:
		return nil, fmt.Errorf("user %s: %w", name, err)
	}
	return u, nil
}

func u32(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

// oneLine makes an error's text fit on a reply line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
