package mh

import "golang.org/x/sys/unix"

// setLock is the fcntl command for the .mh_sequences lock. Open file
// description locks conflict with nmh's POSIX record locks, and unlike
// those they belong to one open file, so that two Folders of one process
// exclude each other and closing another descriptor releases nothing.
const setLock = unix.F_OFD_SETLK
