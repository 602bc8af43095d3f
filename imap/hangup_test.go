package imap_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/imap"
)

// queuedAuth is a back-end whose password checks wait their turn, as
// auth's costly verifications wait for a place: each waits until the
// test gives it a turn or until its context ends, and only then is the
// password verified (and counted).
type queuedAuth struct {
	auth.Authenticator
	waiting  chan struct{} // a check has started to wait
	turn     chan struct{} // one check may run
	ended    chan error    // a check's result
	verified atomic.Int64
}

func newQueuedAuth() *queuedAuth {
	return &queuedAuth{waiting: make(chan struct{}, 1), turn: make(chan struct{}), ended: make(chan error, 1)}
}

func (q *queuedAuth) Authenticate(ctx context.Context, name, password string) (*auth.User, error) {
	q.waiting <- struct{}{}
	select {
	case <-q.turn:
	case <-ctx.Done():
		err := fmt.Errorf("%w: %w", auth.ErrUnavailable, ctx.Err())
		q.ended <- err
		return nil, err
	}
	q.verified.Add(1)
	u, err := q.Authenticator.Authenticate(ctx, name, password)
	q.ended <- err
	return u, err
}

// await receives from ch, or fails the test after a while.
func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// A client that hangs up (a reset) while its password check waits its
// turn ends the check's wait: its password is never verified. One that stays, or
// sends more meanwhile, is answered when its turn comes, and its
// connection goes on.
func TestLoginOfAClientThatHungUpIsNotChecked(t *testing.T) {
	q := newQueuedAuth()
	e := startServer(t, func(o *imap.Options) {
		q.Authenticator = o.Authenticator
		o.Authenticator = q
	})
	ways := []struct {
		name string
		send func(c *rawConn)
	}{
		{"LOGIN", func(c *rawConn) { c.send("x LOGIN alice secret") }},
		{"AUTHENTICATE PLAIN with initial response", func(c *rawConn) {
			c.send("x AUTHENTICATE PLAIN " + b64("\x00alice\x00secret"))
		}},
		{"AUTHENTICATE PLAIN", func(c *rawConn) {
			c.send("x AUTHENTICATE PLAIN")
			if l := c.line(); l != "+ " {
				c.t.Fatalf("AUTHENTICATE PLAIN: %q", l)
			}
			c.send(b64("\x00alice\x00secret"))
		}},
	}
	for _, way := range ways {
		t.Run(way.name+"/hangs up", func(t *testing.T) {
			before := q.verified.Load()
			c := e.raw()
			way.send(c)
			await(t, q.waiting, "the password check")
			// A reset: an end of input alone may be a client that only
			// shut down its sending side (halfclose_test.go).
			c.conn.(*net.TCPConn).SetLinger(0)
			c.conn.Close()
			err := await(t, q.ended, "the check to end after the client hung up")
			if !errors.Is(err, context.Canceled) {
				t.Errorf("the check of a client that hung up ended with %v; want its context cancelled", err)
			}
			if n := q.verified.Load() - before; n != 0 {
				t.Errorf("%d passwords of clients that hung up were verified", n)
			}
		})
		t.Run(way.name+"/stays", func(t *testing.T) {
			c := e.raw()
			way.send(c)
			await(t, q.waiting, "the password check")
			// More input while the check waits is no hang-up; the pause
			// lets it reach the watch rather than the reader's buffer.
			c.send("y NOOP")
			time.Sleep(50 * time.Millisecond)
			q.turn <- struct{}{}
			if err := await(t, q.ended, "the check"); err != nil {
				t.Fatalf("the check of a client that stayed: %v", err)
			}
			if l := c.tagged("x"); l[:4] != "x OK" {
				t.Fatalf("login: %q", l)
			}
			if l := c.tagged("y"); l[:4] != "y OK" {
				t.Errorf("the command sent while the login waited: %q", l)
			}
			c.ok("z SELECT INBOX")
		})
	}
}

// A password check that waits its turn ends with the login timeout, even
// for a client that only half-closed (its end of input cancels nothing):
// the wait has a bound.
func TestLoginCheckEndsAtLoginTimeout(t *testing.T) {
	q := newQueuedAuth()
	e := startServer(t, func(o *imap.Options) {
		q.Authenticator = o.Authenticator
		o.Authenticator = q
		o.LoginTimeout = 500 * time.Millisecond
	})
	c := e.raw()
	c.send("x LOGIN alice secret")
	c.conn.(*net.TCPConn).CloseWrite()
	await(t, q.waiting, "the password check")
	if err := await(t, q.ended, "the check to end at the login timeout"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the check ended with %v; want its context's deadline", err)
	}
}
