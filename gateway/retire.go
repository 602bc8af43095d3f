package gateway

import (
	"io"
	"sync"
	"time"

	"github.com/mailgate/mailgate/config"
)

// retireMargin is added to the longest login-timeout before a chain that
// a reload replaced is closed.
var retireMargin = time.Minute

// retireAfter is how long an [auth] chain that a reload replaced may still
// be asked to check a password: a session keeps the options it began
// with, so one that connected before the reload checks its LOGIN with the
// old chain, but only until it logs in or its login-timeout ends it. It
// is 0 when a listener of either configuration has no login-timeout:
// then nothing bounds it, and the chain stays open until the gateway
// closes.
func retireAfter(cfgs ...*config.Config) time.Duration {
	var longest time.Duration
	for _, c := range cfgs {
		for _, s := range c.Servers {
			if s.LoginTimeout <= 0 {
				return 0
			}
			longest = max(longest, s.LoginTimeout)
		}
	}
	return longest + retireMargin
}

// retirement holds what reloads replaced (auth chains and their database
// pools) until nothing can use them any more, so that a daemon reloaded
// every day does not keep a pool of connections for each reload.
type retirement struct {
	mu      sync.Mutex
	pending []io.Closer
}

// add keeps c, and closes it after wait unless closeAll has closed it
// first; a wait of 0 keeps it until closeAll.
func (r *retirement) add(c io.Closer, wait time.Duration) {
	r.mu.Lock()
	r.pending = append(r.pending, c)
	r.mu.Unlock()
	if wait > 0 {
		time.AfterFunc(wait, func() {
			if r.take(c) {
				c.Close()
			}
		})
	}
}

// take removes c from the pending list and reports whether it was there.
func (r *retirement) take(c io.Closer) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, p := range r.pending {
		if p == c {
			r.pending = append(r.pending[:i], r.pending[i+1:]...)
			return true
		}
	}
	return false
}

// closeAll closes everything still pending, and returns the errors.
func (r *retirement) closeAll() []error {
	r.mu.Lock()
	pending := r.pending
	r.pending = nil
	r.mu.Unlock()
	var errs []error
	for _, c := range pending {
		errs = append(errs, c.Close())
	}
	return errs
}
