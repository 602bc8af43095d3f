package imap

import (
	"errors"
	"fmt"

	"github.com/mailgate/mailgate/storage"
)

// status is a command's tagged result: OK, NO or BAD with an optional
// response code (RFC 3501 section 7.1, RFC 5530).
type status struct {
	typ  string
	code string
	text string
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
// response code.
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
	case errors.Is(err, storage.ErrBadName):
		return no("CANNOT", "%s: %v", what, err)
	case errors.Is(err, storage.ErrPermission):
		return no("NOPERM", "%s: %v", what, err)
	case errors.Is(err, storage.ErrReadOnly):
		return no("READ-ONLY", "%s: mailbox is read-only", what)
	case errors.Is(err, storage.ErrTooManyKeywords):
		return no("LIMIT", "%s: too many keywords in this mailbox", what)
	case errors.Is(err, storage.ErrNoMessage):
		return no("EXPUNGEISSUED", "%s: some messages were expunged meanwhile", what)
	}
	return no("SERVERBUG", "%s failed: %v", what, err)
}
