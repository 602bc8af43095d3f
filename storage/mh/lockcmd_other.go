//go:build unix && !linux

package mh

import "golang.org/x/sys/unix"

// setLock is the fcntl command for the .mh_sequences lock: a POSIX record
// lock, as nmh takes. Within one process it is the folder's flock that
// keeps Folders apart.
const setLock = unix.F_SETLK
