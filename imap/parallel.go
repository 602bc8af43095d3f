package imap

import (
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// maxReaders is how many goroutines read the messages of one command
// that needs many of them read (a first SORT, a first FETCH ENVELOPE):
// reading is mostly waiting for the file system, opening files and
// parsing, and a first command on a large mailbox reads thousands.
const maxReaders = 8

// minParallelReads is how many messages to read make a command read them
// in parallel; fewer are read in line.
const minParallelReads = 64

// extraReaders holds a token for each reader goroutine running, for the
// whole process: many sessions' first commands at once (clients that
// all connect after a restart) start at most this many beside their own
// goroutines, not 8 each, which would gain nothing on the CPUs and hold
// a file open each.
var extraReaders = make(chan struct{}, 4*maxReaders)

// readInParallel calls read(i, buf) once for each i in [0, n), from the
// calling goroutine and, when n is large enough to pay for them, up to
// maxReaders-1 others while the process has tokens for them
// (extraReaders), and returns when every call has. buf is the calling
// goroutine's own buffer, returned by read for the next call of that
// goroutine. A panic in read (a parser's defect that a hostile message
// finds) stops the other readers and is raised again in the caller's
// goroutine, so that the session's recover ends that session alone, not
// the process.
func readInParallel(n int, read func(i int, buf []byte) []byte) {
	workers := 1
	if n >= minParallelReads {
		workers = min(maxReaders, n/(minParallelReads/2))
	}
	var next atomic.Int64
	var once sync.Once
	var panicked any
	each := func() {
		defer func() {
			if r := recover(); r != nil {
				next.Store(int64(n)) // no more reads
				once.Do(func() { panicked = fmt.Errorf("%v\n%s", r, debug.Stack()) })
			}
		}()
		buf := make([]byte, 0, 8192)
		for {
			i := int(next.Add(1)) - 1
			if i >= n {
				return
			}
			buf = read(i, buf)
		}
	}
	var wg sync.WaitGroup
	for range workers - 1 {
		select {
		case extraReaders <- struct{}{}:
		default:
			continue // the process's readers are all busy
		}
		wg.Add(1)
		go func() {
			defer func() { <-extraReaders }()
			defer wg.Done()
			each()
		}()
	}
	each()
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
}
