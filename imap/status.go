package imap

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/mailgate/mailgate/storage"
)

// status is a command's tagged result: OK, NO or BAD with an optional
// response code (RFC 3501 section 7.1, RFC 5530). cause, when set, is the
// error behind a NO whose text does not tell it: the session logs it.
type status struct {
	typ   string
	code  string
	text  string
	cause error
}

func (s *status) Error() string { return s.typ + " " + s.text }

func isStatus(err error) bool {
	_, ok := err.(*status)
	return ok
}

func ok(code, format string, args ...any) error {
	return &status{typ: "OK", code: code, text: fmt.Sprintf(format, args...)}
}

func no(code, format string, args ...any) error {
	return &status{typ: "NO", code: code, text: fmt.Sprintf(format, args...)}
}

func bad(format string, args ...any) error {
	return &status{typ: "BAD", text: fmt.Sprintf(format, args...)}
}

// storageErr turns a storage error into a NO with the matching RFC 5530
// response code. The client hears what the storage package's sentinel
// errors mean, and the reason the core gives for a bad name or a refusal;
// any other error, which may name server paths, gets a generic text and
// is logged in full by the session (status.cause).
func storageErr(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case isStatus(err):
		return err
	case errors.Is(err, storage.ErrNoMailbox):
		return no("NONEXISTENT", "%s: no such mailbox", what)
	case errors.Is(err, storage.ErrExists):
		return no("ALREADYEXISTS", "%s: mailbox already exists", what)
	case errors.Is(err, storage.ErrNameLimit):
		return withReason(no("LIMIT", "%s: %v", what, storage.ErrBadName), err, storage.ErrBadName)
	case errors.Is(err, storage.ErrBadName):
		return withReason(no("CANNOT", "%s: %v", what, storage.ErrBadName), err, storage.ErrBadName)
	case errors.Is(err, storage.ErrHasChildren):
		// RFC 9051 section 7.1: a \Noselect name with children.
		return no("HASCHILDREN", "%s: %v", what, err)
	case errors.Is(err, storage.ErrPermission):
		return withReason(no("NOPERM", "%s: %v", what, storage.ErrPermission), err, storage.ErrPermission)
	case errors.Is(err, storage.ErrReadOnly):
		return no("READ-ONLY", "%s: mailbox is read-only", what)
	case errors.Is(err, storage.ErrTooManyKeywords):
		return no("LIMIT", "%s: too many keywords in this mailbox", what)
	case errors.Is(err, storage.ErrInUse):
		// RFC 5530: someone else holds a lock the command needs.
		return no("INUSE", "%s: %v", what, storage.ErrInUse)
	case errors.Is(err, storage.ErrNoMessage):
		return no("EXPUNGEISSUED", "%s: some messages were expunged meanwhile", what)
	case errors.Is(err, storage.ErrOverQuota):
		return withReason(no("OVERQUOTA", "%s: %v", what, storage.ErrOverQuota), err, storage.ErrOverQuota)
	case errors.Is(err, storage.ErrClosed):
		// The service is stopping: not a bug, and worth trying again.
		return no("UNAVAILABLE", "%s: %v", what, storage.ErrClosed)
	}
	code, text := "SERVERBUG", "internal server error; the server log has details"
	switch {
	case errors.Is(err, syscall.ENAMETOOLONG):
		code, text = "LIMIT", "the name is too long for this server"
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		code, text = "OVERQUOTA", "not enough disk space"
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		code, text = "NOPERM", "the server may not write there"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, syscall.EAGAIN),
		errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE), errors.Is(err, syscall.ENOMEM):
		code, text = "UNAVAILABLE", "not possible right now; try again later"
	}
	return &status{typ: "NO", code: code, text: what + ": " + text, cause: err}
}

// withReason adds to reply the reason err gives after sentinel, when the
// storage core wrote it for the client: err starts with sentinel's text
// and holds no file-system error, which would name a path. Otherwise the
// reason is left out and err is logged (the reply's cause).
func withReason(reply, err, sentinel error) error {
	st := reply.(*status)
	rest, found := strings.CutPrefix(err.Error(), sentinel.Error()+": ")
	var pathErr *fs.PathError
	var linkErr *os.LinkError
	var sysErr *os.SyscallError
	if !found || errors.As(err, &pathErr) || errors.As(err, &linkErr) || errors.As(err, &sysErr) {
		if err.Error() != sentinel.Error() {
			st.cause = err
		}
		return st
	}
	st.text += ": " + rest
	return st
}
