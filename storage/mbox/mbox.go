package mbox

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// Options are the [locking] settings and what else a Driver needs. The
// zero value gives imap4d's defaults.
type Options struct {
	// UIDValidity gives the UIDVALIDITY of each mailbox the driver
	// creates, or finds without one and numbers first (the gateway passes
	// storage.UIDValidities.Next). Nil means the current time in seconds,
	// kept increasing within the process.
	UIDValidity func() uint32
	// Type is "dotlock" (the default), "kernel" (fcntl, and flock on
	// Linux) or "null".
	Type string
	// RetryCount is how often a busy lock is tried again; 10 when zero,
	// none when negative.
	RetryCount int
	// RetrySleep is the pause between tries; 1s when zero.
	RetrySleep time.Duration
	// ExpireTimeout is the age past which a dot lock counts as stale; 10m
	// when zero.
	ExpireTimeout time.Duration
	// Logger receives the driver's logs; slog.Default() when nil.
	Logger *slog.Logger
	// FlushDelay bounds how long the flag changes of single messages
	// (a STORE on one message, \Seen set by a FETCH) may wait before the
	// mbox file is rewritten with them, so that many commands, from many
	// sessions, cost one rewrite; they wait about twice what a rewrite of
	// the file takes, so that other programs see them soon in a small
	// mailbox. They are on disk at once all the same, in the Folder's
	// journal. 1s when zero; when negative, every change rewrites the
	// file at once. A STORE on many messages (storage.FlagBatcher),
	// Expunge and Close write them at once.
	FlushDelay time.Duration
	// Now is the clock for new UIDVALIDITY values and APPEND dates; nil
	// means time.Now.
	Now func() time.Time
}

// Driver is the mbox storage.Driver. Make one with New.
type Driver struct {
	tmpSwept sync.Once // removeDeadTempSpools ran
	typ      string
	retries  int
	sleep    time.Duration
	expire   time.Duration
	flush    time.Duration
	log      *slog.Logger
	now      func() time.Time
	nextUV   func() uint32

	mu     sync.Mutex
	warned map[string]bool // what warnOnce has said
	lastUV uint32          // the last UIDVALIDITY given without nextUV
}

var _ storage.Driver = (*Driver)(nil)

// New returns an mbox driver with the given options. An unknown Type is
// taken as "dotlock", the safest, and logged.
func New(opts Options) storage.Driver {
	d := &Driver{
		typ:     strings.ToLower(opts.Type),
		retries: opts.RetryCount,
		sleep:   opts.RetrySleep,
		expire:  opts.ExpireTimeout,
		flush:   opts.FlushDelay,
		log:     opts.Logger,
		now:     opts.Now,
		nextUV:  opts.UIDValidity,
		warned:  make(map[string]bool),
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.now == nil {
		d.now = time.Now
	}
	switch d.typ {
	case "dotlock", "kernel", "null":
	case "":
		d.typ = "dotlock"
	default:
		d.log.Warn("mbox: unknown locking type; using dotlock", "type", opts.Type)
		d.typ = "dotlock"
	}
	switch {
	case d.retries == 0:
		d.retries = 10
	case d.retries < 0:
		d.retries = 0
	}
	if d.sleep <= 0 {
		d.sleep = time.Second
	}
	if d.expire <= 0 {
		d.expire = 10 * time.Minute
	}
	if d.flush == 0 {
		d.flush = time.Second
	}
	return d
}

// newValidity returns the UIDVALIDITY for a mailbox numbered afresh:
// Options.UIDValidity's, or else the current time in seconds, above every
// value given before in this process, so that a mailbox deleted and
// created again within a second never has its predecessor's (RFC 3501
// section 2.3.1.1).
func (d *Driver) newValidity() uint32 {
	if d.nextUV != nil {
		if v := d.nextUV(); v != 0 {
			return v
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	v := max(uint32(d.now().Unix()), d.lastUV+1, 1)
	d.lastUV = v
	return v
}

// Name returns "mbox".
func (d *Driver) Name() string { return "mbox" }

// Is reports whether path is a regular file that is empty or starts with
// "From ". Lock files (NAME.lock) and hidden files (mailgate's sidecar
// indexes among them) never are; nor is a symbolic link or a FIFO named
// like a mailbox, which is logged once, as mailgate never follows or
// opens one.
func (d *Driver) Is(path string) bool {
	base := filepath.Base(path)
	if strings.HasPrefix(base, ".") || strings.HasSuffix(base, ".lock") {
		return false
	}
	fi, err := os.Lstat(path)
	if err != nil || fi.IsDir() {
		return false
	}
	if !fi.Mode().IsRegular() {
		d.warnOnce("special:"+path, "mbox: ignoring a "+typeName(fi.Mode())+" where a mailbox file could be; mailgate opens only regular files",
			"path", path)
		return false
	}
	f, err := openRegular(path, os.O_RDONLY)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [5]byte
	n, _ := io.ReadFull(f, b[:])
	if n == 0 || (n == 5 && string(b[:]) == "From ") {
		return true
	}
	// A file whose first APPEND was torn within its From_ line (or
	// followed by another program's message) does not start with "From "
	// yet: its intent says it is ours, to repair at the next lock.
	_, err = os.Lstat(intentPath(path))
	return err == nil
}

// Internal reports false: nothing beside an mbox file belongs to it that
// the core would list. (Its lock and index files are hidden by Is.)
func (d *Driver) Internal(name string) bool { return false }

// Create makes an empty mbox file at path with mode perm, creating
// missing parent directories. It returns storage.ErrExists when anything
// is at path already.
func (d *Driver) Create(path string, perm os.FileMode) error {
	perm &= fs.ModePerm
	if err := os.MkdirAll(filepath.Dir(path), fsutil.DirPerm(perm)); err != nil {
		return fmt.Errorf("mbox %s: create: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow, perm)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			err = storage.ErrExists
		} else if unwritable(err) {
			d.noCreateAdvice(path, err)
		}
		return fmt.Errorf("mbox %s: create: %w", path, err)
	}
	err = f.Chmod(perm) // without the umask
	if err == nil {
		takeSpoolGroup(f, filepath.Dir(path))
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fsutil.SyncDir(filepath.Dir(path))
	}
	if err != nil {
		return fmt.Errorf("mbox %s: create: %w", path, err)
	}
	return nil
}

// Delete removes the mbox file at path under the lock, with every file
// of mailgate's beside it: the sidecar index, the core's cache, the
// APPEND intent, journals of flag changes, and what crashed processes
// left. Spools of APPENDs
// under way in live processes stay; their commit finds no mailbox.
func (d *Driver) Delete(path string) error {
	if !d.Is(path) {
		return fmt.Errorf("mbox %s: delete: %w", path, storage.ErrNoMailbox)
	}
	l, err := d.lock(path, false)
	if err != nil {
		return err
	}
	defer l.unlock()
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("mbox %s: delete: %w", path, err)
	}
	os.Remove(indexPath(path))
	os.Remove(recentPath(path))
	os.Remove(cachePath(path))
	os.Remove(modseqPath(path))
	os.Remove(intentPath(path))
	for _, f := range ftsPaths(path) {
		os.Remove(f)
	}
	for _, o := range ownFiles(path, kindJournal) {
		removeOwn(o.name)
	}
	d.removeStale(path)
	if err := fsutil.SyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("mbox %s: delete: %w", path, err)
	}
	return nil
}

// Rename moves the mbox file at from to to, under from's lock, with its
// sidecar index, the core's cache, its APPEND intent and the journals of
// flag changes, so
// that nothing of from's is left for a mailbox created later under its
// name (the storage core calls it in place of os.Rename). It returns
// storage.ErrExists when something is at to already. What crashed
// processes left beside from is removed.
//
//	var _ storage.Renamer = (*Driver)(nil) // once storage has Renamer
func (d *Driver) Rename(from, to string) error {
	if !d.Is(from) {
		return fmt.Errorf("mbox %s: rename: %w", from, storage.ErrNoMailbox)
	}
	if _, err := os.Lstat(to); err == nil {
		return fmt.Errorf("mbox %s: rename to %s: %w", from, to, storage.ErrExists)
	}
	l, err := d.lock(from, true)
	if err != nil {
		return err
	}
	defer l.unlock()
	if err := os.Rename(from, to); err != nil {
		return fmt.Errorf("mbox %s: rename to %s: %w", from, to, err)
	}
	// The file is moved; what follows only keeps its state with it. A
	// sidecar that stays behind is not trusted for another file anyway;
	// what an earlier mailbox called to left goes.
	for _, side := range []struct{ from, to string }{
		{indexPath(from), indexPath(to)},
		{recentPath(from), recentPath(to)},
		{cachePath(from), cachePath(to)},
		{modseqPath(from), modseqPath(to)},
		{intentPath(from), intentPath(to)},
		{ftsPaths(from)[0], ftsPaths(to)[0]},
		{ftsPaths(from)[1], ftsPaths(to)[1]},
	} {
		if err := os.Rename(side.from, side.to); err != nil {
			os.Remove(side.from)
			os.Remove(side.to)
		}
	}
	for _, o := range ownFiles(to, kindJournal) {
		if o.dead() {
			removeOwn(o.name)
		}
	}
	for _, o := range ownFiles(from, kindJournal) {
		dst := ownPrefix(to, kindJournal) + strings.TrimPrefix(o.name, ownPrefix(from, kindJournal))
		if err := os.Rename(o.name, dst); err != nil {
			d.log.Warn("mbox: cannot move a journal of flag changes with its mailbox", "path", o.name, "err", err)
		}
	}
	d.removeStale(from)
	if err := fsutil.SyncDir(filepath.Dir(to)); err != nil {
		return fmt.Errorf("mbox %s: rename to %s: %w", from, to, err)
	}
	if filepath.Dir(from) != filepath.Dir(to) {
		if err := fsutil.SyncDir(filepath.Dir(from)); err != nil {
			return fmt.Errorf("mbox %s: rename to %s: %w", from, to, err)
		}
	}
	return nil
}

// Open returns a Folder on the mbox file at path. Files it creates later
// (rewrites of the mailbox) keep the mailbox file's mode; perm is the
// mode of those it cannot take from there.
func (d *Driver) Open(path string, perm os.FileMode) (storage.Folder, error) {
	if !d.Is(path) {
		if _, err := openRegular(path, os.O_RDONLY); errors.Is(err, errNotRegular) {
			return nil, fmt.Errorf("mbox %s: open: %w: %w", path, storage.ErrNoMailbox, err)
		}
		return nil, fmt.Errorf("mbox %s: open: %w", path, storage.ErrNoMailbox)
	}
	d.removeStale(path)
	return &Folder{
		d:       d,
		path:    path,
		perm:    perm & fs.ModePerm,
		pending: make(map[uint32]want),
	}, nil
}

// indexPath is where the sidecar index of the mbox at path lives: a
// hidden file beside it.
// ftsPaths returns the full-text index files a session process keeps
// beside the mbox file at path (storage.FullText.Beside: the cache
// file's name with "fts" for "cache", and its segment).
func ftsPaths(path string) [2]string {
	base := strings.TrimSuffix(cachePath(path), "cache") + "fts"
	return [2]string{base, base + ".seg"}
}

func indexPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".mgidx")
}

// recentPath is where the \Recent claims of the mbox at path are kept
// (recent.go).
func recentPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".mgrecent")
}
