package mbox

import (
	"fmt"
	"log/slog"
	"path/filepath"
)

// Where the mailbox's directory takes no new files from this process (a
// system user's session or delivery process in /var/mail, root:mail
// 2775, without the mail group), mailgate can create neither the dot
// lock that mailutils, procmail and mutt lock the mailbox by nor the
// APPEND intent that cuts back a message a crash cut short. A read then
// takes kernel locks alone; a write is refused, with what to do, rather
// than risk another program's rewrite at the same moment or a torn
// message that nothing removes.

// noDotlockError is the refusal of a write to the mbox at path whose dot
// lock could not be created: err says why.
func (d *Driver) noDotlockError(path string, err error) error {
	dir := filepath.Dir(path)
	d.logOnce(slog.LevelError, "nodot:"+dir,
		"mbox: cannot create dot locks here; writes are refused, as other programs lock by them"+
			" (give mailgate's processes the directory's group, [mailbox] mail-group, or if no program here locks by"+
			" dot lock set [locking] type = \"kernel\")", "dir", dir, "err", err)
	return fmt.Errorf("mbox %s: lock: cannot create the dot lock that other programs honour, so not writing: %w", path, err)
}

// noIntentError is the refusal of an APPEND to the mbox at path whose
// intent could not be written: err says why.
func (d *Driver) noIntentError(path string, err error) error {
	dir := filepath.Dir(path)
	d.logOnce(slog.LevelError, "nointent:"+dir,
		"mbox: cannot record an APPEND under way here; APPENDs are refused, as a crash in the middle"+
			" of one would leave a torn message (give mailgate's processes write access to the directory: its group,"+
			" [mailbox] mail-group)", "dir", dir, "err", err)
	return fmt.Errorf("mbox %s: append: cannot record the APPEND under way, so not writing: %w", path, err)
}

// noCreateAdvice logs, once per directory, what to do when a mailbox file
// cannot be created at path (a system user's first delivery or first
// login with a spool that takes no new files from the user's processes).
func (d *Driver) noCreateAdvice(path string, err error) {
	dir := filepath.Dir(path)
	d.logOnce(slog.LevelError, "nocreate:"+dir,
		"mbox: cannot create mailbox files here; a user's first delivery is deferred and his INBOX is missing"+
			" (give mailgate's processes the directory's group, [mailbox] mail-group, or create each user's"+
			" mailbox beforehand, owned by the user, as useradd does with CREATE_MAIL_SPOOL=yes)", "dir", dir, "err", err)
}
