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

// readInParallel calls read(i, buf) once for each i in [0, n), from up to
// maxReaders goroutines at once when n is large enough to pay for them,
// and returns when every call has. buf is the calling goroutine's own
// buffer, returned by read for the next call of that goroutine. A panic
// in read (a parser's defect that a hostile message finds) stops the
// other readers and is raised again in the caller's goroutine, so that
// the session's recover ends that session alone, not the process.
func readInParallel(n int, read func(i int, buf []byte) []byte) {
	workers := 1
	if n >= minParallelReads {
		workers = min(maxReaders, n/(minParallelReads/2))
	}
	var next atomic.Int64
	each := func() {
		buf := make([]byte, 0, 8192)
		for {
			i := int(next.Add(1)) - 1
			if i >= n {
				return
			}
			buf = read(i, buf)
		}
	}
	if workers == 1 {
		each()
		return
	}
	var wg sync.WaitGroup
	var once sync.Once
	var panicked any
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					next.Store(int64(n)) // no more reads
					once.Do(func() { panicked = fmt.Errorf("%v\n%s", r, debug.Stack()) })
				}
			}()
			each()
		}()
	}
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
}
