// Package bufpool lends the 64 KiB buffers that message bytes go
// through: the IMAP writer's, the readers of message and index files.
// One pool for all of them means a process touches the same few buffers
// whatever it does (a short read of an index, then a FETCH of a large
// message), rather than a fresh buffer for each kind of work: a process
// that has just started grows by what it touches.
package bufpool

import "sync"

// Size is the size of the buffers: large enough that one system call
// moves many lines of a message (one read for most messages), small
// enough to lend one per open message or connection.
const Size = 64 * 1024

var pool = sync.Pool{New: func() any { return new([Size]byte) }}

// Get lends a buffer; give it back with Put once nothing refers to it.
func Get() *[Size]byte { return pool.Get().(*[Size]byte) }

// Put gives back a buffer Get lent.
func Put(b *[Size]byte) { pool.Put(b) }
