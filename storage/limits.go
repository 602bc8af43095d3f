package storage

import (
	"errors"
	"fmt"
)

// Limits on mailbox names, checked before anything touches the disk, so
// that a name the file system would refuse is answered with a reason
// (and no server path) rather than failing half way through a CREATE.
const (
	// MaxDepth is how many hierarchy levels a mailbox name may have below
	// its namespace prefix. CREATE and RENAME refuse deeper names, and
	// LIST descends no deeper.
	MaxDepth = 64
	// MaxLevelBytes is the longest one hierarchy level may be: NAME_MAX
	// (255 bytes) less 32 for the suffixes formats add to a mailbox's name
	// for the files they keep beside it (mbox's ".NAME.lock.PID.RANDOM").
	MaxLevelBytes = 255 - 32
	// MaxPathBytes is the longest file path a mailbox may have: PATH_MAX
	// (4096 bytes) less NAME_MAX for the files a format keeps inside a
	// mailbox directory (maildir's cur/ message files).
	MaxPathBytes = 4096 - 255
)

// ErrNameLimit means a mailbox name exceeds one of the limits above. Such
// an error is also an ErrBadName.
var ErrNameLimit = errors.New("mailbox name exceeds a limit")

// nameLimitError is an ErrBadName that says which limit was exceeded.
type nameLimitError struct{ reason string }

func (e *nameLimitError) Error() string { return ErrBadName.Error() + ": " + e.reason }

func (e *nameLimitError) Is(target error) bool { return target == ErrBadName || target == ErrNameLimit }

// checkLimits refuses a name of too many levels or too long a level, and
// a mailbox path too long for the file system.
func checkLimits(parts []string, path string) error {
	if len(parts) > MaxDepth {
		return &nameLimitError{fmt.Sprintf("more than %d hierarchy levels", MaxDepth)}
	}
	for _, part := range parts {
		if len(part) > MaxLevelBytes {
			return &nameLimitError{fmt.Sprintf("a hierarchy level is longer than %d bytes", MaxLevelBytes)}
		}
	}
	if len(path) > MaxPathBytes {
		return &nameLimitError{fmt.Sprintf("the name is too long for the file system (its path would exceed %d bytes)", MaxPathBytes)}
	}
	return nil
}
