package fsutil

import (
	"errors"
	"fmt"
	"os"
)

// MayShare returns an error saying why unless the file fi describes may
// become one of a mailbox's message files as it is (hard-linked or moved
// there): a regular file of this process's user, with at least the
// permission bits perm that the mailbox's files have. A link or a rename
// keeps the file's mode, so the message must already be readable as the
// mailbox's own files are; and a file of another user would let that user
// change the message there under a fixed UID (and count it against their
// quota). Callers wrap the error with storage.ErrNotLinkable.
func MayShare(fi os.FileInfo, perm os.FileMode) error {
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&perm.Perm() != perm.Perm() {
		return fmt.Errorf("its mode is %v, the mailbox's files have %v", fi.Mode(), perm.Perm())
	}
	if !OwnedByUs(fi) {
		return errors.New("it belongs to another user")
	}
	return nil
}
