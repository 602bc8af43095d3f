package lmtp

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/mailgate/mailgate/storage"
)

// deliver stores one copy of the spooled message for rc and returns the
// recipient's reply: 250 only once storage has the message durably.
func (s *session) deliver(env *envelope, rc *recipient, sp *spool) *smtp.SMTPError {
	mailbox := storage.InboxName
	if rc.detail != "" && s.srv.opts.DetailMailbox {
		if name, ok := detailMailbox(rc.account, rc.detail); ok {
			mailbox = name
		}
	}
	head := s.traceHeader(env, rc)
	uid, err := s.appendCopy(rc, mailbox, head, sp, env.received)
	if err != nil && mailbox != storage.InboxName && folderUnusable(err) {
		// The folder went away or refuses mail: INBOX, as without it.
		s.log.Info("lmtp: detail mailbox unusable; delivering to INBOX", "user", rc.user.Name, "mailbox", mailbox, "err", err)
		mailbox = storage.InboxName
		uid, err = s.appendCopy(rc, mailbox, head, sp, env.received)
	}
	log := s.log.With("id", env.id, "from", env.from, "rcpt", rc.path, "user", rc.user.Name, "mailbox", mailbox, "size", sp.Size())
	if err != nil {
		rep := deliveryReply(err)
		log.Warn("lmtp: delivery failed", "err", err, "reply", rep.Code)
		s.delivered(rep.Code)
		return rep
	}
	log.Info("lmtp: delivered", "uid", uid)
	s.delivered(250)
	return reply(250, 2, 0, 0, "Saved, id "+env.id)
}

// delivered tells Options.Delivered the outcome of one copy, by its reply
// code.
func (s *session) delivered(code int) {
	f := s.srv.opts.Delivered
	switch {
	case f == nil:
	case code < 400:
		f("delivered")
	case code < 500:
		f("temporary")
	default:
		f("permanent")
	}
}

// appendCopy stores head followed by the spooled message in the user's
// mailbox: staged here, committed together with the copies that other
// sessions (LMTP deliveries and IMAP APPENDs) commit into the same
// mailbox meanwhile (storage.AppendBatch.CommitShared).
//
// A shared commit that fails stores nothing of the group, and fails for
// every batch in it (storage.ErrSharedCommit): the copy is tried once
// more on its own, so that one copy's failure (a message the folder
// refuses) is not the others'. A copy that failed alone is not tried
// again.
func (s *session) appendCopy(rc *recipient, mailbox, head string, sp *spool, date time.Time) (uint32, error) {
	msg := func() io.Reader { return io.MultiReader(strings.NewReader(head), sp.Reader()) }
	if deliverAs := s.srv.opts.DeliverAs; deliverAs != nil {
		if uid, handled, err := deliverAs(s.srv.ctx, rc.user, mailbox, msg(), date); handled {
			return uid, err
		}
	}
	b, err := rc.account.BeginAppend(mailbox)
	if err != nil {
		return 0, err
	}
	if err := b.Add(msg(), nil, date); err != nil {
		b.Abort()
		return 0, err
	}
	_, uids, err := b.CommitShared()
	switch {
	case err == nil:
		return uids[0], nil
	case errors.Is(err, storage.ErrSharedCommit):
		_, uid, err := rc.account.Append(mailbox, msg(), nil, date)
		return uid, err
	}
	return 0, err
}

// folderUnusable reports whether an append failed because of the mailbox
// chosen, rather than the storage as a whole.
func folderUnusable(err error) bool {
	return errors.Is(err, storage.ErrNoMailbox) || errors.Is(err, storage.ErrBadName) ||
		errors.Is(err, storage.ErrPermission) || errors.Is(err, storage.ErrReadOnly)
}

// detailMailbox returns the mailbox a detail names, when it is an
// existing mailbox of the user's personal namespace: never another
// user's or a shared one, whatever the sender wrote.
func detailMailbox(acct *storage.Account, detail string) (string, bool) {
	if storage.IsInbox(detail) {
		return storage.InboxName, true
	}
	best, kind := -1, storage.Personal
	for _, k := range []storage.NamespaceKind{storage.Personal, storage.Other, storage.Shared} {
		for _, p := range acct.NamespacePrefixes(k) {
			if strings.HasPrefix(detail, p.Prefix) && len(p.Prefix) > best {
				best, kind = len(p.Prefix), k
			}
		}
	}
	if best < 0 || kind != storage.Personal || !acct.Exists(detail) {
		return "", false
	}
	return detail, true
}

// traceHeader returns the header fields an MDA puts on top of each copy
// (RFC 5321 4.4): Return-Path from MAIL FROM, Delivered-To naming the
// recipient as the MTA did (RFC 9228), and a Received line for this hop.
func (s *session) traceHeader(env *envelope, rc *recipient) string {
	var b strings.Builder
	from := "<" + quotePath(env.from) + ">"
	fmt.Fprintf(&b, "Return-Path: %s\r\n", from)
	fmt.Fprintf(&b, "Delivered-To: %s\r\n", quotePath(rc.path))
	if !s.srv.opts.OmitReceived {
		via := "local"
		if r := s.conn.remote(); r != "local" {
			via = "[" + hostOf(r) + "]"
		}
		with := "LMTP"
		if env.utf8 {
			with = "UTF8LMTP" // RFC 6531 3.7.7
		}
		fmt.Fprintf(&b, "Received: from %s (%s)\r\n\tby %s (mailgate) with %s id %s\r\n\t(envelope-from %s)\r\n\tfor <%s>; %s\r\n",
			oneLine(s.smtp.Hostname()), via, oneLine(s.srv.opts.Hostname), with, env.id, from, quotePath(rc.path),
			env.received.Format(time.RFC1123Z))
	}
	return b.String()
}

// hostOf returns the host of a host:port address.
func hostOf(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		return strings.Trim(addr[:i], "[]")
	}
	return addr
}

// quotePath writes an address as RFC 5321 4.1.2 spells it: a local part
// that is not a dot-string is quoted again (go-smtp removed its quotes).
func quotePath(path string) string {
	if path == "" {
		return ""
	}
	local, domain := path, ""
	if i := strings.LastIndexByte(path, '@'); i >= 0 {
		local, domain = path[:i], path[i:]
	}
	if isDotString(local) {
		return oneLine(path)
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(local); i++ {
		if local[i] == '"' || local[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(local[i])
	}
	b.WriteByte('"')
	return oneLine(b.String() + domain)
}

// isDotString reports whether s is a dot-string: atoms of atext joined
// by single dots (RFC 5321 4.1.2). Bytes above ASCII count as atext.
func isDotString(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == 0x7f || strings.IndexByte(`"(),:;<>@[\]`, c) >= 0 {
			return false
		}
	}
	return true
}
