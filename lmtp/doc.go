// Package lmtp is mailgate's LMTP delivery frontend (RFC 2033): the way
// mail arrives. A mail transfer agent (Postfix's lmtp client, for one)
// connects over a unix socket or TCP, names the envelope sender and the
// recipients, sends the message once, and hears one reply per recipient.
// Each message goes into the recipient's INBOX through the storage core,
// in whatever format [mailbox] gives it, where IMAP sessions see it.
//
// The protocol engine is github.com/emersion/go-smtp in LMTP mode; this
// package supplies its session (RCPT lookups, DATA delivery), owns the
// connections (idle timeout, graceful shutdown) and creates the listening
// sockets (see Listen).
//
// # Replies
//
//   - RCPT of an unknown user: 550 5.1.1. A lookup error: 451 4.3.0; an
//     account that cannot be opened: 451 4.2.1; the MTA tries again.
//   - A message above Options.MaxMessageSize: 552 5.3.4, at MAIL FROM when
//     its SIZE= says so, else for every recipient after DATA.
//   - After DATA (or BDAT LAST), one reply per accepted RCPT in RCPT order
//     (RFC 2033 section 4.2): 250 2.0.0 once the message is on disk; 452
//     4.2.2 over quota; 452 4.3.1 when the disk is full; 451 4.2.0 when
//     another program kept the mailbox locked; 550 5.2.0 when the storage
//     refuses for good; 451 4.3.0 for any other storage error.
//   - Duplicate RCPTs (RFC 2033 4.2; Dovecot 2.3.19 measured on
//     Debian 12 as the reference): an RCPT whose address equals an
//     earlier one (the local part exactly, the domain in any case) is
//     accepted, the message is delivered once, and the duplicate's DATA
//     reply is the earlier RCPT's reply. Addresses that differ only in the
//     local part's case, or in the detail, are distinct recipients and each
//     gets its own copy, as with Dovecot.
//
// # Recipients
//
// The local part is looked up as received, then lower-cased (Dovecot's
// default %Lu), then without its detail: with RecipientDelimiter "+",
// alice+lists@example.org is alice's, and with DetailMailbox set the
// message goes into her mailbox "lists" if it exists in her personal
// namespace, else into INBOX.
//
// Each copy starts with Return-Path (the envelope sender), Delivered-To
// (the recipient as the MTA named it) and, unless OmitReceived,
// a Received line for the LMTP hop, as MDAs write them. SMTPUTF8 is
// offered; UTF-8 addresses stay as they come in these fields (the mbox
// driver takes its From_ line's sender from the leading Return-Path).
//
// # Concurrency invariants
//
//   - go-smtp serves a connection on one goroutine and runs LMTPData on
//     another; the session's transaction (sender, recipients) is guarded
//     by a mutex, because Reset and Logout may come from the connection's
//     goroutine while a BDAT transfer's LMTPData still runs.
//   - DATA is read to its end into a spool (memory up to 256 KiB, an
//     unlinked temporary file beyond) before any mailbox is touched: a
//     client that drops mid-DATA reaches no storage, a slow one holds no
//     mailbox lock, and a message for many recipients is received once.
//   - The transaction is copied only after the whole message was read,
//     when go-smtp's connection goroutine waits for the replies and cannot
//     change it; statuses are set exactly once per accepted RCPT, in RCPT
//     order, never after LMTPData returns (go-smtp panics otherwise).
//   - No lock of this package is held while a message is appended:
//     storage.Account.Append makes it durable (written, synced, renamed)
//     before it returns, and only then is 250 set for that recipient.
//     Append is never interrupted: a connection closed meanwhile loses
//     the reply, not the message, and the MTA's retry may then deliver a
//     second copy (the duplicate RFC 1047 describes; never a loss).
//   - Close stops accepting, says 421 to connections waiting between
//     transactions and closes them, lets transactions in progress finish,
//     and when its context expires closes the rest; it returns only after
//     every delivery in flight has returned from storage, so that the host
//     may close the Store after it.
package lmtp
