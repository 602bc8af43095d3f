//go:build unix

package mbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"syscall"
	"time"
)

// \Recent across processes. A message without Status O is New to every
// process that reads the file until one of them writes the O, which
// waits for the next rewrite; two session processes of a user (a system
// user's, each its own process) both showed such a message \Recent
// (imaptest's stress mode: once a minute or so with ten clients). So
// the process that takes a message out of New first claims it in
// .NAME.mgrecent beside the mbox: eight bytes, the UIDVALIDITY and the
// lowest UID nobody has claimed yet, changed under flock(2). It is no
// durable state: lost or damaged, a message may be \Recent in two
// sessions once more, nothing else.

// ClaimSeen implements storage.NewClaimer: Seen, returning the UIDs that
// no other process had claimed first. When the claims cannot be kept
// (a directory this process may not write), every UID is its own, as
// before.
func (f *Folder) ClaimSeen(uids []uint32) ([]uint32, error) {
	if err := f.lock(); err != nil {
		return nil, err
	}
	path, validity, perm := f.path, f.validity, f.perm
	f.mu.Unlock()
	claimed, err := claimRecent(recentPath(path), validity, uids, perm)
	if err != nil {
		f.d.warnOnce("recent:"+path, "mbox: cannot keep \\Recent claims beside the mailbox; a new message may be \\Recent in more than one session", "path", path, "err", err)
		claimed = uids
	}
	return claimed, f.Seen(uids)
}

// recentLockTries is how many times claimRecent tries the claims file's
// lock, 5 ms apart, before it gives up.
const recentLockTries = 20

// claimRecent records, in the claims file at name, that uids (ascending)
// are taken under validity, and returns those that nobody took before.
func claimRecent(name string, validity uint32, uids []uint32, perm os.FileMode) ([]uint32, error) {
	if len(uids) == 0 || validity == 0 {
		return uids, nil
	}
	file, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|noFollow|nonBlock, perm)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	if fi, err := file.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, errors.Join(err, fmt.Errorf("%s is not a regular file", name))
	}
	// Held only for a read and a write by mailgate's own processes: a
	// holder that keeps it longer (stopped, or not mailgate) must not
	// hold up this session, which then takes the messages itself.
	for try := 0; ; try++ {
		err := syscall.Flock(int(file.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || try == recentLockTries {
			return nil, err
		}
		time.Sleep(5 * time.Millisecond)
	}
	var b [8]byte
	from := uint32(0)
	if n, _ := file.ReadAt(b[:], 0); n == len(b) && binary.LittleEndian.Uint32(b[:4]) == validity {
		from = binary.LittleEndian.Uint32(b[4:])
	}
	first, _ := slices.BinarySearch(uids, from)
	claimed := uids[first:]
	if top := uids[len(uids)-1]; top >= from && top < ^uint32(0) {
		binary.LittleEndian.PutUint32(b[:4], validity)
		binary.LittleEndian.PutUint32(b[4:], top+1)
		if _, err := file.WriteAt(b[:], 0); err != nil {
			return nil, err
		}
	}
	return claimed, nil
}
