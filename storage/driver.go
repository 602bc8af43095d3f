package storage

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"
)

// System flags, spelled as IMAP spells them. Keywords are any other atom.
const (
	FlagSeen     = `\Seen`
	FlagAnswered = `\Answered`
	FlagFlagged  = `\Flagged`
	FlagDeleted  = `\Deleted`
	FlagDraft    = `\Draft`
)

// Errors a driver or the core returns; frontends map them to protocol replies.
var (
	// ErrNoMailbox means the named mailbox does not exist.
	ErrNoMailbox = errors.New("no such mailbox")
	// ErrExists means a mailbox of that name already exists.
	ErrExists = errors.New("mailbox already exists")
	// ErrNoMessage means the message is gone (expunged by someone else).
	ErrNoMessage = errors.New("message no longer exists")
	// ErrReplaced means that another message holds the message's place
	// now (an MH folder renumbered by another program): the message may
	// live on under another UID, so a change asked of it did not happen.
	// It wraps ErrNoMessage.
	ErrReplaced = fmt.Errorf("the file is not the one the folder's last scan saw: %w", ErrNoMessage)
	// ErrInUse means that another program held the mailbox's lock for
	// longer than the lock's retries wait: worth trying again later.
	ErrInUse = errors.New("mailbox is locked by another program; try again later")
	// ErrReadOnly means the mailbox was opened read-only.
	ErrReadOnly = errors.New("mailbox is read-only")
	// ErrTooManyKeywords means the on-disk format cannot hold another keyword.
	ErrTooManyKeywords = errors.New("too many keywords in this mailbox")
	// ErrBadName means a mailbox name is not acceptable.
	ErrBadName = errors.New("invalid mailbox name")
	// ErrPermission means the user may not do this here.
	ErrPermission = errors.New("permission denied")
	// ErrHasChildren means a \Noselect level cannot be deleted because
	// mailboxes are below it; it is an ErrPermission too.
	ErrHasChildren = fmt.Errorf("%w: it has child mailboxes", ErrPermission)
)

// Message is what a driver knows of one message. A Message handed out by
// a driver or a View is read-only: its Flags slice may be shared with
// other messages, so build a new slice to change it.
type Message struct {
	UID uint32
	// New is true when the format marks the message as not yet seen by any
	// mail reader (maildir new/, mbox without Status O). The core turns it
	// into \Recent for the first session that selects the mailbox. It
	// sits beside UID, in the padding a uint32 leaves before a slice: a
	// mailbox of 100,000 messages keeps as many.
	New   bool
	Flags []string // system flags and keywords, no \Recent; sorted, no duplicates
	// InternalDate is when the message arrived. It is the zero Time
	// when the folder has not learnt it yet (see Dater): View.Dated
	// fills it in.
	InternalDate time.Time
	Size         int64 // RFC822.SIZE: the size with CRLF line endings
	// ModSeq is the message's modification sequence (RFC 7162), which
	// the core gives; drivers leave it zero.
	ModSeq uint64
}

// Snapshot is the whole state of a mailbox as a driver reads it.
type Snapshot struct {
	UIDValidity uint32
	UIDNext     uint32
	Messages    []Message // in ascending UID order
	// Untold says that the folder cannot tell whether each UID still
	// names the message it named when the values kept beside the
	// mailbox by UID were derived (an MH folder without a numbers file
	// to trust): the core's modseqs and full-text index of the folder
	// are then rebuilt, as under a new UIDVALIDITY. Only a folder's
	// first Scan in a process sets it.
	Untold bool
}

// NewClaimer is a Folder whose Seen can tell which messages it took out
// of New itself. A message that another process took first (in maildir,
// the rename from new/ to cur/ done by another session process of the
// user) is that process's session's \Recent, not this one's: RFC 3501
// gives a message \Recent in one session only.
type NewClaimer interface {
	// ClaimSeen is Seen, returning the UIDs it marked itself.
	ClaimSeen(uids []uint32) (claimed []uint32, err error)
}

// Driver handles one on-disk mailbox format.
//
// Paths are absolute file-system paths chosen by the core from the
// namespace configuration. A driver never interprets mailbox names.
type Driver interface {
	// Name is the format's name as the configuration spells it: "maildir", "mbox", "mh".
	Name() string
	// Is reports whether path holds a mailbox of this format.
	Is(path string) bool
	// Create makes an empty mailbox at path. Files get mode perm;
	// directories get perm with the matching x bits. It returns ErrExists
	// when something is there already.
	Create(path string, perm os.FileMode) error
	// Open returns a handle on the mailbox at path. New files it creates
	// later get mode perm.
	Open(path string, perm os.FileMode) (Folder, error)
	// Delete removes the mailbox at path with every message in it, and
	// leaves alone any child mailbox stored below it.
	Delete(path string) error
	// Internal reports whether a directory entry called name, inside a
	// directory that holds a mailbox of this format, is the driver's own
	// (such as maildir's cur, new and tmp) rather than a child mailbox.
	Internal(name string) bool
}

// Folder is a driver's handle on one open mailbox. The core serialises
// every call on one Folder, so a Folder need not lock against itself
// (but for Stager.Stage and QuickOpener.OpenQuick, which run beside any
// other call, Scan and Close included); it must cope with other
// processes changing the files at any time.
type Folder interface {
	// Scan reads the mailbox from disk. New messages that other programs
	// added get UIDs above every UID given before, which are stored so that
	// they survive a restart. Messages are returned in ascending UID order.
	Scan() (Snapshot, error)
	// Append stores a message durably (written, synced and renamed into
	// place) and returns it with its new UID. r yields the message with
	// CRLF or LF line endings.
	Append(r io.Reader, flags []string, date time.Time) (Message, error)
	// Open returns the message's content as stored on disk (the core adds
	// CR where the file has bare LF). It returns ErrNoMessage when the
	// message is gone.
	Open(uid uint32) (io.ReadCloser, error)
	// SetFlags replaces the message's flags (no \Recent).
	SetFlags(uid uint32, flags []string) error
	// Seen marks the messages as no longer New on disk (maildir moves them
	// from new/ to cur/).
	Seen(uids []uint32) error
	// Expunge removes the messages for good.
	Expunge(uids []uint32) error
	// WatchPaths lists the files and directories whose changes may mean
	// that the mailbox changed; the core watches them and calls Scan.
	WatchPaths() []string
	// Close releases the handle.
	Close() error
}

// FlagBatcher is an optional interface of a Folder that can change the
// flags of many messages at once cheaper than one SetFlags call each (MH
// rewrites .mh_sequences once). Messages that are gone are skipped.
type FlagBatcher interface {
	SetFlagsBatch(changes []FlagChange) error
}

// FlagChange is the new flags of one message, for the batch methods of
// a Folder (FlagBatcher, QuietFlagBatcher, ConditionalFlagSetter). The
// core passes a batch in ascending UID order, each UID once, and shares
// a Flags slice between messages whose flags are alike: nobody may
// change it. A slice rather than a map: at 10,000 messages building and
// reading a map cost a fifth of a STORE's CPU outside rename(2).
type FlagChange struct {
	UID   uint32
	Flags []string
}

// FlagChangesOf returns the changes of m in a batch as the batch methods
// take it: in ascending UID order.
func FlagChangesOf(m map[uint32][]string) []FlagChange {
	out := make([]FlagChange, 0, len(m))
	for uid, flags := range m {
		out = append(out, FlagChange{UID: uid, Flags: flags})
	}
	slices.SortFunc(out, func(a, b FlagChange) int { return cmp.Compare(a.UID, b.UID) })
	return out
}

// FlagMerger is an optional interface of a Folder that may find, as it
// changes a message's flags, that another program changed them since the
// core last read them (a maildir finds the message's file renamed). It
// then applies the core's change to the flags the message has now, adding
// what the new flags add to the old ones and taking away what they take
// away, rather than write over the other program's change. MergedFlags
// returns, for the last SetFlags, SetFlagsBatch or SetFlagsBatchQuiet
// call, the flags so left on each such message; the core records them in
// place of those it asked for, and answers the client with them.
type FlagMerger interface {
	MergedFlags() map[uint32][]string
}

// ConditionalFlagSetter is an optional interface of a FlagMerger for a
// STORE with UNCHANGEDSINCE (RFC 7162 section 3.1.3). SetFlagsUnchanged
// changes the messages' flags as SetFlagsBatch does, but leaves as they
// are those whose flags it finds another program changed since the core
// last read them; MergedFlags then returns the flags these have on disk.
// The core records those flags with a new modseq and answers MODIFIED for
// the messages, rather than merge its change into the other program's.
type ConditionalFlagSetter interface {
	FlagMerger
	SetFlagsUnchanged(changes []FlagChange) error
}

// DeletedExpunger is an optional interface of a Folder that may find, as
// an EXPUNGE removes the messages the core knows as \Deleted, that another
// program took \Deleted away from one since the core last read its flags
// (a maildir finds the message's file renamed without T). ExpungeDeleted
// removes the messages as Expunge does, but keeps each one whose flags on
// disk no longer carry \Deleted, and returns their UIDs: the core keeps
// those messages, tells no view they are gone and re-reads their flags.
// Expunge stays the forced removal, of MOVE's sources and of the copies a
// failed COPY takes back.
type DeletedExpunger interface {
	ExpungeDeleted(uids []uint32) (kept []uint32, err error)
}

// QuietFlagBatcher is an optional interface of a FlagBatcher whose own
// changes each cause a change notification (a maildir renames a file per
// message). For a batch large enough, the core stops watching the
// folder's WatchPaths, calls SetFlagsBatchQuiet instead of
// SetFlagsBatch, watches again and then calls Scan, which must find what
// other programs changed meanwhile. SetFlagsBatchQuiet does what
// SetFlagsBatch does, without expecting notifications of its changes
// (see OwnChanges).
type QuietFlagBatcher interface {
	SetFlagsBatchQuiet(changes []FlagChange) error
}

// QuietChecker is an optional interface of a QuietFlagBatcher that can
// tell, cheaper than a Scan, whether its files are exactly as its last
// Scan and its own changes since left them (a maildir compares the names
// in new/ and cur/ with those it knows, without building messages). After
// a quiet batch the core asks OnlyOwnChanges, once the watch is back, and
// calls Scan only when it reports QuietChanged: at 100,000 messages the
// Scan cost about three times the check.
//
// Unlike the Folder's other methods, OnlyOwnChanges is called without the
// core's lock, so that the sessions' commands need not wait while it
// reads the directories (70 ms at 100,000 messages): it must be safe to
// call concurrently with them, and report QuietBusy when the folder's own
// changes during the check make its answer unsure.
type QuietChecker interface {
	OnlyOwnChanges() QuietCheck
}

// QuietCheck is what a QuietChecker found.
type QuietCheck int

const (
	// QuietSame: the files are as the folder's last Scan and its own
	// changes since left them.
	QuietSame QuietCheck = iota
	// QuietChanged: another program changed the files, or the folder
	// could not tell: the core must Scan.
	QuietChanged
	// QuietBusy: the folder changed its own files while it checked; the
	// core asks again a moment later.
	QuietBusy
)

// OwnChanges is an optional interface of a Folder that can recognise the
// change notifications its own writes cause (a maildir renames a file for
// every flag change), so that the core does not re-read the whole mailbox
// after each of them. The core calls Foreign, without holding any of its
// locks, for every notification about a path under the folder's
// WatchPaths; Foreign must be safe for concurrent use.
type OwnChanges interface {
	// Foreign reports whether the notification about path may come from
	// another program. It returns false only when path is a name the
	// folder itself just created, renamed or removed, and that
	// expectation is then used up: a second notification about the same
	// name is foreign.
	Foreign(path string) bool
}

// WatchNoter is an optional interface of an OwnChanges folder: the core
// tells it whether its WatchPaths are watched, so that it records its
// own changes as notifications to come (OwnChanges) only while one will
// come. NoteWatched(false) comes right after Open for a folder the core
// does not watch yet (Unchanger, see unwatched.go), before the first
// Scan; NoteWatched(true) once the watch is in place. A record that no
// notification uses up would hide for a while another program's change
// to the same name, once the folder is watched; a change made between
// the watch and NoteWatched(true), not recorded, costs only a re-read.
// It must be safe for concurrent use.
type WatchNoter interface {
	NoteWatched(watched bool)
}

// Stager is an optional interface of a Folder that can receive a
// message's content before the mailbox is locked, so that a client
// sending a large or slow APPEND holds up nobody: the core stages the
// message while reading it from the network, then commits it under the
// mailbox lock. Folders without it are given a copy the core spooled to
// a temporary file first.
//
// Unlike every other Folder call, Stage is not serialised by the core: it
// may run at the same time as any other call on the same Folder, Close
// excepted, and must not take a lock that other sessions or other
// programs wait for (an mbox file's lock, the maildir's directory lock).
type Stager interface {
	// Stage reads r to its end into storage of the folder's own (a file
	// in maildir's tmp/, a spool file beside an mbox), durably, with the
	// flags (no \Recent) and internal date the message will have. If r
	// returns any error, io.ErrUnexpectedEOF included, Stage removes what
	// it wrote and returns that error: a message the client did not send
	// whole is never stored.
	Stage(r io.Reader, flags []string, date time.Time) (Staged, error)
}

// Staged is a message that Stage received and that is not yet in the
// mailbox. Exactly one of Commit or Abort must be called.
type Staged interface {
	// Commit makes the message part of the mailbox and returns it with
	// its UID. The core calls it serialised, as it calls Append; it
	// should take no longer than a small local write. Whether it succeeds
	// or fails, what Stage wrote is consumed or removed.
	Commit() (Message, error)
	// Abort removes what Stage wrote.
	Abort() error
}

// LinkStager is an optional interface of a Stager that can stage a
// message of another Folder of its own driver as a hard link to the
// message's file rather than a copy of its content (COPY and MOVE
// within one file system): no data is written and nothing is synced
// until the batch commits. Like Stage, StageLink may run beside any call
// on the Folder; it takes src's serialisation as a call on src would.
type LinkStager interface {
	// StageLink stages message uid of src with flags (no \Recent). Its
	// internal date and content are the source file's. It returns an
	// error wrapping ErrNotLinkable when a link cannot be made (src of
	// another driver, another file system, other file permissions, a
	// source that is not a regular file) and the caller should copy the
	// content instead, and ErrNoMessage when the message is gone. A file
	// another program renamed meanwhile is found again.
	StageLink(src Folder, uid uint32, flags []string) (Staged, error)
}

// ErrNotLinkable says that StageLink cannot link this message.
var ErrNotLinkable = errors.New("message cannot be linked")

// MoveStager is an optional interface of a BatchCommitter that can stage
// a message of another Folder of its own driver to be moved rather than
// copied (MOVE within one file system): nothing happens on disk until
// the batch commits, which renames the source's file into this folder,
// so a message costs one rename instead of a link, a rename and an
// unlink. The commit also makes src forget the message, so that the
// core's expunge of it from src afterwards removes nothing. Unlike the
// rest of a batch, the moves of a batch that a crash cuts short are not
// taken back: each such message is then in exactly one of the two
// folders, never in both and never in neither. A failed commit moves
// every message back. Like StageLink, StageMove may run beside any call
// on the Folder and takes src's serialisation as a call on src would.
type MoveStager interface {
	// StageMove stages message uid of src with flags (no \Recent) to be
	// moved. Its internal date and content are the source file's. It
	// returns an error wrapping ErrNotLinkable when the file cannot be
	// moved here (as StageLink would refuse to link it, or src is this
	// folder) and the caller should copy it instead, and ErrNoMessage
	// when the message is gone.
	StageMove(src Folder, uid uint32, flags []string) (Staged, error)
}

// BatchCommitter is an optional interface of a Folder that is a Stager:
// it makes several staged messages part of the mailbox as one, all of
// them or none, even when the process is killed in the middle (the next
// process to open the mailbox takes away what a dead batch left). The
// core calls it serialised, as it calls Commit, for IMAP MULTIAPPEND
// (RFC 3502). Whatever happens, every staged message is consumed. It
// returns one Message per staged message, in order; a message staged by
// StageMove whose source file vanished before the commit is left out,
// not an error: its Message is the zero Message (UID 0), and its UID
// is left unused.
type BatchCommitter interface {
	CommitBatch(staged []Staged) ([]Message, error)
}

// Renamer is an optional interface of a Driver whose mailboxes keep
// files beside their path (mbox's sidecar index). The core calls
// Rename instead of os.Rename to move the mailbox at from to to; the
// driver moves or removes every such file with it.
type Renamer interface{ Rename(from, to string) error }

// Unchanger is an optional interface of a Folder that can tell cheaply
// whether its files changed since its last Scan (maildir compares the
// times of new/ and cur/ with those the scan saw). The core does not
// watch such a folder's files while nobody waits for news of them:
// adding a watch on a large directory costs the kernel time that grows
// with the directory (inotify marks every cached entry of it), which a
// short session need not pay. It asks Unchanged instead at every command
// boundary, and re-reads the mailbox, watching it from then on, when it
// is false (see unwatched.go). Unchanged must be false whenever the
// files may differ from what the last Scan and the folder's own changes
// since left them, including after the folder's own changes.
type Unchanger interface {
	Unchanged() bool
}

// Tidier is an optional interface of a Folder that removes old files of
// its own while it reads the mailbox (MH: the ",N" backups of expunged
// messages once they are older than the driver's retention). The core
// calls MayTidy before it reads the mailbox for a session that may
// change it (every mailbox but another user's). A Folder that was never
// told so removes nothing: a session that may only read a mailbox never
// removes a file of it, even where the file system would let it (a root
// daemon, a virtual user that owns every user's mail). MayTidy may be
// called beside any other call.
type Tidier interface {
	MayTidy()
}

// Dater is an optional interface of a Folder whose Scan (and Summary)
// may leave a message's InternalDate zero because learning it costs a
// system call per message (maildir: the file's modification time, which
// a first SELECT of a large maildir need not wait for). The core asks
// for the dates that a command needs (View.Dated). Folders without it
// give every date in Scan.
type Dater interface {
	// InternalDates sets out[k] to the internal date of message uids[k],
	// or to the zero Time when the message is gone. out has the length
	// of uids.
	InternalDates(uids []uint32, out []time.Time) error
}

// IndexDeferrer is an optional interface of a Folder whose scan writes a
// cache of its own for the next process (maildir's index file), which a
// client that opened the mailbox need not wait for. The core calls
// DeferIndex before the first Scan of a mailbox, so that the scan leaves
// the write for later, and WriteIndex once the command that opened it
// has been answered (View.Settle), without the mailbox's lock, so that
// the next command does not wait for the write: WriteIndex serialises
// itself with the folder's other calls. Close writes what is still left,
// unless the core called DropIndex: the mailbox is being deleted or
// renamed, and the folder writes no cache file any more; DropIndex waits
// for a WriteIndex under way, so that no write races with the removal
// of the mailbox's files.
type IndexDeferrer interface {
	DeferIndex()
	WriteIndex()
	DropIndex()
}

// SpoolFolder is an optional interface of a Folder that keeps its
// mailbox in one file, which other programs remove once it is empty and
// create again at the next delivery: an mbox INBOX in a mail spool
// (/var/mail/$user), which mutt without save_empty, mailx and movemail
// remove. For INBOX the core calls ReadMissingAsEmpty before the first
// Scan: from then on, once the Folder has read the file, a Scan that
// finds no file answers an empty mailbox with the UIDVALIDITY and
// UIDNEXT it knew, as GNU imap4d reads a missing spool file, and the
// messages of a file made again get new UIDs. The core then never counts
// the mailbox as gone for a missing file (gone.go).
type SpoolFolder interface {
	ReadMissingAsEmpty()
}

// Summarizer is an optional interface of a Folder that can tell what a
// SELECT answers without building every message (maildir, from an index
// file that records the directories' present state), so that a process
// opening a large mailbox answers at once. The core calls Summarize
// instead of the first Scan; it builds the messages (Summary.Messages)
// only when a command needs them, and from then on calls Scan as
// usual.
type Summarizer interface {
	// Summarize returns the mailbox's summary, and false when it cannot
	// be had cheaply or when some message is New: the core then calls
	// Scan.
	Summarize() (Summary, bool)
}

// Summary is what a Summarizer tells of a mailbox in one state.
type Summary struct {
	UIDValidity uint32
	UIDNext     uint32
	// UIDs holds every message's UID, as ranges: the core lists them
	// one by one only when a command needs them (View.UIDs).
	UIDs Ranges
	// FirstUnseen is the UID of the first message without \Seen, or 0.
	FirstUnseen uint32
	// Flags holds every flag that a message has, each once, in the
	// order of their first appearance in UID order.
	Flags []string
	Size  int64 // the sum of the messages' RFC822.SIZE
	// Messages returns the messages of exactly the state summarized, as
	// Scan would have returned them (none New), without reading the
	// disk again, and true. When the folder can no longer read that
	// state (maildir: its index file was replaced or damaged
	// meanwhile), it returns the messages as the files hold them now,
	// of the summary's UIDs those still there, and false: the core
	// then tells the views what differs from the summary they were
	// given. The core calls it at most once, serialised as every other
	// Folder call.
	Messages func() (msgs []Message, exact bool)
}

// String names c, for logs and test failures.
func (c QuietCheck) String() string {
	switch c {
	case QuietSame:
		return "QuietSame"
	case QuietChanged:
		return "QuietChanged"
	case QuietBusy:
		return "QuietBusy"
	}
	return fmt.Sprintf("QuietCheck(%d)", int(c))
}
