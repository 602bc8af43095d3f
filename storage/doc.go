// Package storage is mailgate's storage core, shared by every frontend.
//
// It maps mailbox names to files through the namespace configuration,
// keeps one shared in-memory state per open mailbox, and tells every
// session that has a mailbox selected what changed, whoever changed it:
// another session, a delivery, or another program writing the same files.
// The on-disk formats live in drivers (storage/maildir, storage/mbox,
// storage/mh) behind the Driver and Folder interfaces.
//
// Concurrency invariants:
//
//   - Every open mailbox has one lock (mailbox.mu). All Folder calls for
//     that mailbox happen under it, so a driver never races with itself;
//     Stager.Stage and QuickOpener.OpenQuick alone run without it.
//   - Nothing is read from the network while a mailbox lock is held: an
//     APPEND'ed message is staged by the folder (Stager) or copied to a
//     spool file first, and the lock is taken only to commit it.
//   - Nothing is written to the network while a mailbox lock is held: a
//     View hands out copies, and Poll emits updates after unlocking.
//   - A change is committed to disk first, then to the shared state, then
//     queued to every View while the lock is still held, so that no View
//     can see a state without having been told how it got there.
//   - A View belongs to one session goroutine; only its pending queue is
//     touched by others, under the mailbox lock.
//
// This package imports nothing of mailgate's but its own full-text index
// (storage/fts), and nothing of any protocol library: frontends
// translate.
package storage
