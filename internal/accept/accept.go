// Package accept holds the accept loop that every listener of mailgate
// shares: the IMAP and LMTP frontends, the socketmap of proxyauth and the
// gateway's PROXY-protocol listener.
//
// A listener must survive a burst that exhausts the process's file
// descriptors: accept(2) then fails with EMFILE until some connection
// closes, and a loop that gives up on that error lets any client that can
// open enough connections stop the server for good. Loop waits and goes on
// instead, as net/http's Server does.
package accept

import (
	"errors"
	"log/slog"
	"net"
	"syscall"
	"time"
)

// Backoff bounds the wait after a failed accept: it starts at MinDelay and
// doubles up to MaxDelay while failures go on.
const (
	MinDelay = 5 * time.Millisecond
	MaxDelay = time.Second
)

// Loop accepts connections on ln and passes each to serve, which must not
// block (it starts the connection's goroutine), until accept fails with an
// error that waiting cannot cure; it returns that error. After ln is
// closed it returns an error for which errors.Is(err, net.ErrClosed).
//
// Failures that pass (Retryable) are waited out with a Backoff that logs
// on log (when not nil).
func Loop(ln net.Listener, serve func(net.Conn), log *slog.Logger) error {
	b := Backoff{Log: log, Addr: ln.Addr()}
	for {
		c, err := ln.Accept()
		if err != nil {
			if !Retryable(err) {
				return err
			}
			b.Wait(err)
			continue
		}
		b.Reset()
		serve(c)
	}
}

// Backoff paces the retries of a listener whose accept fails for a while:
// each Wait sleeps twice as long as the one before, from MinDelay up to
// MaxDelay, until Reset. The first failure of a run is logged, so that an
// operator learns of the exhaustion, and so is the run's end. The zero
// value is ready to use and logs nothing.
type Backoff struct {
	Log   *slog.Logger // where to log; nil for silence
	Addr  net.Addr     // the listener's address, for the log
	delay time.Duration
}

// Wait sleeps before the next attempt after err.
func (b *Backoff) Wait(err error) {
	if b.delay == 0 && b.Log != nil {
		b.Log.Warn("mailgate: accepting connections failed; retrying", "address", b.addr(), "err", err)
	}
	b.delay = min(max(2*b.delay, MinDelay), MaxDelay)
	time.Sleep(b.delay)
}

// Reset ends a run of failures: an accept has succeeded.
func (b *Backoff) Reset() {
	if b.delay != 0 && b.Log != nil {
		b.Log.Info("mailgate: accepting connections again", "address", b.addr())
	}
	b.delay = 0
}

func (b *Backoff) addr() string {
	if b.Addr == nil {
		return ""
	}
	return b.Addr.String()
}

// Retryable reports whether an error from Accept passes with time: a
// timeout, the process or the system out of descriptors or memory, or a
// client that hung up before its connection was accepted.
func Retryable(err error) bool {
	if errors.Is(err, net.ErrClosed) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, e := range []error{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM,
		syscall.ECONNABORTED, syscall.ECONNRESET, syscall.EINTR, syscall.EAGAIN, syscall.EPROTO, syscall.EPERM} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
