package storage

import (
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// UIDValidities hands out UIDVALIDITY values for new mailboxes. Each value
// is max(now in seconds, last+1), so that a mailbox deleted and created
// again within one second never gets the value its predecessor had (RFC
// 3501 section 2.3.1.1). The last value is kept in a file, locked while it
// is read and rewritten, so that every mailgate process sharing the file
// (a daemon, inetd sessions, the command line) hands out increasing values.
//
// When the file cannot be used (a session running as a user who may not
// write it), values still increase within the process and stay above the
// file's last value when it could at least be read.
//
// A UIDValidities is safe for concurrent use. The zero value works without
// a file.
type UIDValidities struct {
	// Path is the file that remembers the last value; "" keeps it in
	// memory only.
	Path string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger hears, once, that the file cannot be used; nil means
	// slog.Default().
	Logger *slog.Logger

	mu   sync.Mutex
	last uint32
	warn sync.Once
}

// NewUIDValidities returns an allocator remembering its last value in path.
func NewUIDValidities(path string) *UIDValidities { return &UIDValidities{Path: path} }

// Next returns a UIDVALIDITY greater than any this allocator (or another
// sharing its file) returned before. It never returns 0.
func (u *UIDValidities) Next() uint32 {
	u.mu.Lock()
	defer u.mu.Unlock()
	now := time.Now
	if u.Now != nil {
		now = u.Now
	}
	v := uint32(now().Unix())
	if u.Path != "" {
		if last, err := u.update(func(last uint32) uint32 { v = max(v, last+1, u.last+1); return v }); err != nil {
			v = max(v, last+1, u.last+1)
		}
	} else {
		v = max(v, u.last+1)
	}
	if v == 0 {
		v = 1
	}
	u.last = v
	return v
}

// update reads the file's last value under an exclusive lock, and stores
// what next returns for it. On error it returns what it could read.
func (u *UIDValidities) update(next func(last uint32) uint32) (uint32, error) {
	f, err := fsutil.OpenLocked(u.Path, 0o600)
	if err != nil {
		u.warnOnce(err)
		return u.readOnly(), err
	}
	defer f.Close()
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	last := parseUIDValidity(buf[:n])
	v := next(last)
	text := []byte(strconv.FormatUint(uint64(v), 10) + "\n")
	// The value only grows, so its text never gets shorter: an
	// overwrite in place cannot leave a torn, smaller number behind.
	if _, err := f.WriteAt(text, 0); err != nil {
		u.warnOnce(err)
		return last, err
	}
	if err := f.Sync(); err != nil {
		u.warnOnce(err)
		return last, err
	}
	return last, nil
}

// readOnly returns the file's value when it can be read but not written.
func (u *UIDValidities) readOnly() uint32 {
	b, err := os.ReadFile(u.Path)
	if err != nil {
		return 0
	}
	return parseUIDValidity(b)
}

func (u *UIDValidities) warnOnce(err error) {
	u.warn.Do(func() {
		log := u.Logger
		if log == nil {
			log = slog.Default()
		}
		log.Warn("storage: UIDVALIDITY file unusable; values increase within this process only", "path", u.Path, "err", err)
	})
}

func parseUIDValidity(b []byte) uint32 {
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}
