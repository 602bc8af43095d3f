// Package mbox stores mailboxes as mbox files, compatible with the files
// that GNU imap4d 3.15, UW imapd, mutt, procmail and Postfix local(8)
// leave behind.
//
// # On disk
//
// A mailbox is one file. Each message starts with a From_ line ("From
// sender asctime-date") at the start of the file or after an empty line;
// the empty line before the next From_ line belongs to neither message.
// Lines of the content that match ">*From " are stored with one more '>'
// (mboxrd) and read with one less. INTERNALDATE is the From_ line's date.
//
// IMAP state lives in header fields that clients never see (Folder.Open
// leaves them out, and RFC822.SIZE does not count them):
//
//   - X-IMAPbase: UIDVALIDITY and UIDNEXT, in the first message, each
//     padded to a fixed width as imap4d writes it, so that UIDNEXT can be
//     rewritten in place;
//   - X-UID: the message's UID;
//   - Status: R (\Seen), O (seen by a mail reader, so not New), and as
//     imap4d writes them A, F, D, d; X-Status: A (\Answered), F
//     (\Flagged), D (\Deleted), T (\Draft) as UW and mutt write them;
//   - X-Keywords: keywords, separated by spaces (commas are read too);
//   - Content-Length and UW's X-IMAP are hidden too, and kept as they are.
//
// A message without a valid X-UID gets the next UID, above every earlier
// one, without a new UIDVALIDITY (imap4d would reset it). Such UIDs are
// kept in memory and in the sidecar index (.NAME.mgidx beside the file)
// until the next rewrite writes them into the file; reading the file is
// never a reason to write it. A new UIDVALIDITY (a new or empty mailbox,
// a file numbered afresh) comes from Options.UIDValidity, so that it
// never repeats.
//
// # Files replaced by others
//
// A file that another program wrote anew (another inode, shorter, or
// changed before its old end) keeps the UIDs its X-UID fields give, or
// that its messages had (found by offset and identity); a message that
// comes back after it vanished from such a file, which would need a new
// UID though it had one, makes the whole file numbered afresh under a
// new UIDVALIDITY (see pass in refresh.go). A UIDVALIDITY never goes
// back. Such a file that ends inside a line, or holds only the first of
// the messages known, and changed within the last moments, is taken for
// one a writer without a lock is still writing: what was known stands
// (Open fails meanwhile) until it changes again or settles. After a new
// UIDVALIDITY, calls that name UIDs fail until the caller scans again.
//
// # Locking
//
// The mbox file is opened without following a symbolic link and without
// waiting on a FIFO, and must be a regular file; mailgate's own files
// beside it are created with O_EXCL and never followed either.
//
// Every read that must be consistent (Scan of a changed file, Open) and
// every write takes the lock that [locking] names: "dotlock" creates
// NAME.lock (O_EXCL, holding our pid) and then takes a kernel lock,
// "kernel" takes only the kernel lock (fcntl; an open file description
// lock on Linux, which conflicts with the POSIX locks of others; on Linux
// also flock, which fcntl locks do not see there), "null" takes none.
// Each try is non-blocking; a busy lock is tried again, holding nothing
// between tries, for as long as RetryCount tries RetrySleep apart would
// take: first after a few milliseconds, then less and less often up to
// RetrySleep. A dot lock older than ExpireTimeout, or whose pid is gone, is stale and removed.
// Where the directory takes no new files (a /var/mail without group
// mail), a read takes kernel locks alone, and that is logged once; a
// write is refused, as is an APPEND whose intent cannot be written
// (unwritable.go).
// Locks are held only while the file is read or written, never while a
// client is being answered or is sending: an APPEND from the network is
// received into a spool file (Stage) with no lock held, and only copied
// into the mailbox under it (Commit). mutt, procmail and Postfix local(8) take the
// same locks, so what they append while a Folder is open shows in its
// next Scan.
//
// # Crash safety
//
//   - Append writes at the end of the file under the lock and syncs it;
//     when a write fails, or its reader does (a client gone in the middle
//     of a literal), the file is cut back to its old size. A staged
//     message is whole in its spool before the mailbox is touched. An
//     intent beside the mailbox (.NAME.mgappend) says meanwhile where the
//     APPEND writes; after a crash, whoever locks the mailbox next
//     removes what it wrote before anything reads the file, leaving what
//     other programs appended after it (torn.go). So a crash leaves a
//     message whole or not at all.
//   - EXPUNGE and flag changes rewrite the whole file: into a temporary
//     file in the same directory (mode and, as far as allowed, owner
//     kept), synced, renamed over the mailbox, and the directory synced.
//     A crash at any instant leaves the old mailbox or the new one,
//     whole; a temporary file left by a crash is never read, and is
//     removed when the mailbox is next opened.
//   - Before a rewrite, and before an Append, the file is read again if
//     its size, times or inode changed, so nothing others wrote is lost.
//   - A program that opened the mailbox before a rename and writes into
//     the replaced file after it has its mail moved into the mailbox
//     (see salvage.go).
//   - Only X-IMAPbase is ever written in place, and only where the new
//     value has the same length.
//   - Every flag change is on disk when SetFlags or SetFlagsBatch
//     returns. Each is appended to the Folder's journal
//     (.NAME.mgflags.PID.HOST.N), which is synced. A STORE on many
//     messages (SetFlagsBatch) is then one rewrite; the change of a
//     single message waits in memory (about twice what a rewrite takes,
//     at most Options.FlushDelay), so that many commands cost one
//     rewrite; Scan reports it meanwhile, and Expunge and Close write it
//     at once. After a crash, the next Folder replays the journals of
//     dead processes (journal.go): the last change of each message wins,
//     unless another program changed its flags since. Only Status O
//     (Seen: no longer New) may be lost.
//   - Spools, rewrites' new files and index temporaries that a killed
//     process left are removed when the mailbox is next opened; their
//     names carry the pid and host of their maker (ownfiles.go). A spool
//     in the system's temporary directory, where the mailbox's directory
//     takes no new files, has no name (tmpspool.go).
//   - Dot locks are made by writing our pid into a file of our own and
//     linking it to NAME.lock, so that no crash leaves a lock without its
//     pid, which only ExpireTimeout would break.
//
// # The sidecar index
//
// .NAME.mgidx records the file's stamp (size, times, inode) and, for each
// message, its offsets, UID, flags, date and RFC822.SIZE. A Folder on an
// unchanged file reads it instead of the file; on a file that only grew
// (its old end unchanged) it parses the new tail only. An index that
// describes another file (or whose X-IMAPbase the file does not have)
// only helps to find UIDs again, when the file's X-IMAPbase has its
// UIDVALIDITY. It is written atomically after scans, and is a cache:
// without it nothing is lost but time (and UIDs not yet in the file).
// Rename moves it, and Delete removes it, with the mailbox.
//
// # Concurrency
//
// The core serialises calls on a Folder, but Stage, which uses nothing
// of the Folder that changes and takes no lock; a Folder's own timer
// (pending flags, replaced files) takes the same mutex. The mutex is
// always taken before the file lock, never the other way round.
//
// A rewrite of a large mailbox takes seconds. It holds the file lock all
// along, but lets go of the mutex while it writes and syncs the new file,
// and again while it syncs the directory and writes the sidecar index
// (Folder.rewriting): meanwhile Scan, Open and flag changes go on from
// the state in memory and the old file, which nobody may change under
// the lock. Anything that needs the file lock itself (Append, Expunge,
// another rewrite, a Scan of a file changed by others) waits for the
// rewrite on a condition variable, not on lock retries. Flag changes made
// meanwhile stay pending: the rewrite takes only what was pending when it
// started as written. The rename, and the switch of the state in memory
// to the new file, happen under the mutex. On Linux the timer's rewrites,
// which nobody waits for, copy on a thread of lower CPU priority, so
// that they slow the sessions beside them less.
//
// A replaced file is kept open to salvage what late writers append to
// it; on Linux it is let go as soon as nobody has it open for writing
// (a read lease tells), so that rewrites of a large mailbox do not hold
// gigabytes of deleted files.
package mbox
