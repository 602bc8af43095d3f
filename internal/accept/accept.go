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
// Failures that pass (Retryable) are waited out: the first of a run is
// logged on log (when not nil) so that an operator learns of the
// exhaustion, and the run's end is logged too.
func Loop(ln net.Listener, serve func(net.Conn), log *slog.Logger) error {
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if !Retryable(err) {
				return err
			}
			if delay == 0 && log != nil {
				log.Warn("mailgate: accepting connections failed; retrying", "address", ln.Addr().String(), "err", err)
			}
			delay = min(max(2*delay, MinDelay), MaxDelay)
			time.Sleep(delay)
			continue
		}
		if delay != 0 && log != nil {
			log.Info("mailgate: accepting connections again", "address", ln.Addr().String())
		}
		delay = 0
		serve(c)
	}
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
