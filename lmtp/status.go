package lmtp

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/emersion/go-smtp"
	"github.com/mailgate/mailgate/storage"
)

// reply builds an SMTP reply; go-smtp writes it as "code x.y.z text".
func reply(code int, class, subject, detail int, text string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{class, subject, detail}, Message: text}
}

// Replies to RCPT (RFC 5321 4.2.2, RFC 3463 for the enhanced codes).
var (
	errUnknownUser  = reply(550, 5, 1, 1, "No such user here")
	errBadRecipient = reply(501, 5, 1, 3, "Bad recipient address syntax")
	errLookupFailed = reply(451, 4, 3, 0, "Temporary lookup failure, try again later")
	errAccount      = reply(451, 4, 2, 1, "Mailbox temporarily unavailable, try again later")
)

// Replies to DATA for one recipient (RFC 2033 4.2).
var (
	errMailboxFull = reply(452, 4, 2, 2, "Mailbox is full")
	errDiskFull    = reply(452, 4, 3, 1, "Insufficient system storage, try again later")
	errTemporary   = reply(451, 4, 3, 0, "Temporary internal error, try again later")
	errMailboxBusy = reply(451, 4, 2, 0, "Mailbox is locked by another program, try again later")
	errPermanent   = reply(550, 5, 2, 0, "Mailbox unavailable")
	errDataAborted = reply(451, 4, 4, 2, "Message transfer was cut short")
	errLineTooLong = reply(554, 5, 6, 0, fmt.Sprintf("Message has a line longer than %d octets; it cannot be delivered", maxLineLength))
	errNotLMTP     = reply(502, 5, 5, 1, "This server speaks LMTP only")
)

// errShuttingDown ends a session between transactions when the server
// closes (RFC 5321 3.8).
var errShuttingDown = reply(421, 4, 3, 2, "Service shutting down, try again later")

// deliveryReply maps the outcome of delivering to one recipient to its
// reply: over quota and a full disk are temporary (the MTA keeps the
// message and tries again), as is any error storage does not call final;
// nothing is refused for good that an administrator could fix.
func deliveryReply(err error) *smtp.SMTPError {
	switch {
	case errors.Is(err, syscall.EDQUOT), errors.Is(err, storage.ErrOverQuota):
		return errMailboxFull
	case errors.Is(err, syscall.ENOSPC):
		return errDiskFull
	case errors.Is(err, storage.ErrInUse):
		return errMailboxBusy
	case errors.Is(err, storage.ErrBadName), errors.Is(err, storage.ErrPermission), errors.Is(err, storage.ErrReadOnly):
		return errPermanent
	}
	return errTemporary
}

// dataReply maps an error reading the message from the client to the
// reply every recipient gets.
//
// A line longer than maxLineLength is refused for good, as a message too
// large is: sent again, it would be refused again, and a 4xx would have
// the MTA keep it for days before it bounces. The reply is 554 5.6.0
// (RFC 3463: the content made the message undeliverable), not 552 5.3.4,
// which says the message is too large as a whole and would tell the
// sender to make it smaller, when it may be small.
func dataReply(err error) *smtp.SMTPError {
	var se *smtp.SMTPError
	switch {
	case errors.As(err, &se):
		return se // go-smtp's own: 552 5.3.4 for a message too large
	case errors.Is(err, smtp.ErrTooLongLine):
		return errLineTooLong
	case errors.Is(err, errSpool) && (errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)):
		return errDiskFull
	case errors.Is(err, errSpool):
		return errTemporary
	}
	return errDataAborted
}
