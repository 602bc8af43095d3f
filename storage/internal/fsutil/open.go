package fsutil

import "errors"

// ErrNotRegular means that a file expected to hold a message (or a
// mailbox's metadata) is a symbolic link, a FIFO, a device or a
// directory, which mailgate never reads as one.
var ErrNotRegular = errors.New("not a regular file")
