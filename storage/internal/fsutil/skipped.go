package fsutil

import (
	"log/slog"
	"sync"
)

// maxSkipped bounds how many names a Skipped remembers; past it, further
// names are logged no more.
const maxSkipped = 1024

// Skipped remembers the files of one mailbox that a driver did not take
// for messages because they are not regular files (see OpenRegular), so
// that each is logged once rather than at every scan. The zero value is
// ready to use; it is safe for concurrent use.
type Skipped struct {
	mu   sync.Mutex
	seen map[string]bool
}

// Note logs, at warning level and the first time only, that the file at
// path in the mailbox at mailbox was skipped for err.
func (s *Skipped) Note(log *slog.Logger, mailbox, path string, err error) {
	s.mu.Lock()
	first := !s.seen[path] && len(s.seen) < maxSkipped
	if first {
		if s.seen == nil {
			s.seen = make(map[string]bool)
		}
		s.seen[path] = true
	}
	s.mu.Unlock()
	if first {
		log.Warn("storage: skipping a file that is not a regular file", "mailbox", mailbox, "path", path, "err", err)
	}
}
