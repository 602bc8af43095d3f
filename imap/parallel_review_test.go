package imap

import (
	"os"
	"os/exec"
	"testing"
)

// TestReviewReadInParallelPanic: a panic while reading one message (a
// parser bug that a hostile message triggers) must reach the session's
// goroutine, whose recover (session.recovered) closes that session
// alone; in a reader goroutine without a recover it ends the process,
// every user's session with it. The child process runs readInParallel
// as prefill does and recovers as the session does.
func TestReviewReadInParallelPanic(t *testing.T) {
	if os.Getenv("MAILGATE_REVIEW_CHILD") == "1" {
		defer func() {
			if recover() != nil {
				os.Exit(0) // the session's recover saw it
			}
		}()
		readInParallel(4*minParallelReads, func(i int, buf []byte) []byte {
			if i == 3*minParallelReads {
				panic("a parser bug meets a hostile message")
			}
			return buf
		})
		os.Exit(3)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestReviewReadInParallelPanic$")
	cmd.Env = append(os.Environ(), "MAILGATE_REVIEW_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		// Exit status 2: the process died of the panic. Exit status 3:
		// readInParallel returned as if every message had been read (the
		// panicking worker's deferred wg.Done ran) and the process died
		// a moment later.
		t.Fatalf("a panic in a reader was not the caller's to recover (%v)\n%.600s", err, out)
	}
}
