package lmtptest

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Burst is a set of senders that deliver WholeMessage after WholeMessage,
// each on its own connection, until their connection breaks (the server
// was killed): what every test of a crash during a burst needs.
type Burst struct {
	wg   sync.WaitGroup
	acks chan struct{}
	done chan struct{} // closed when every sender has stopped

	mu    sync.Mutex
	tried map[string]bool // subjects sent, at least in part
	acked map[string]bool // subjects answered 250 for every recipient
	stops []error         // why each sender stopped
}

// StartBurst starts senders senders, each connecting with dial and
// sending from s@example.net to rcpts.
func StartBurst(dial func() (*smtp.Client, error), senders int, rcpts []string) *Burst {
	b := &Burst{acks: make(chan struct{}, 1000), done: make(chan struct{}), tried: map[string]bool{}, acked: map[string]bool{}}
	for s := range senders {
		b.wg.Go(func() {
			err := b.send(dial, s, rcpts)
			b.mu.Lock()
			b.stops = append(b.stops, fmt.Errorf("sender %d: %w", s, err))
			b.mu.Unlock()
		})
	}
	go func() {
		b.wg.Wait()
		close(b.done)
	}()
	return b
}

// send is one sender: it delivers until its connection breaks, and
// returns why it stopped.
func (b *Burst) send(dial func() (*smtp.Client, error), s int, rcpts []string) error {
	c, err := dial()
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	defer c.Close()
	for m := 0; ; m++ {
		subj := fmt.Sprintf("kill-s%d-m%04d", s, m)
		b.mu.Lock()
		b.tried[subj] = true
		b.mu.Unlock()
		res, err := Send(c, "s@example.net", rcpts, WholeMessage(subj))
		if err != nil {
			return fmt.Errorf("%s: %w", subj, err)
		}
		if len(res.Rcpt) > 0 || len(res.Data) != len(rcpts) {
			return fmt.Errorf("%s: RCPT %v, DATA %v", subj, res.Rcpt, res.Data)
		}
		for _, code := range res.Data {
			if code != "250" {
				return fmt.Errorf("%s: DATA %v", subj, res.Data)
			}
		}
		b.mu.Lock()
		b.acked[subj] = true
		b.mu.Unlock()
		select {
		case b.acks <- struct{}{}:
		default:
		}
	}
}

// WaitAcks waits until n messages have been acknowledged, at most
// timeout.
func (b *Burst) WaitAcks(n int, timeout time.Duration) error {
	deadline := time.After(timeout)
	for k := range n {
		select {
		case <-b.acks:
		case <-b.done:
			// The last acknowledgements may still be in the channel.
			select {
			case <-b.acks:
				continue
			default:
			}
			b.mu.Lock()
			defer b.mu.Unlock()
			return fmt.Errorf("only %d deliveries acknowledged: every sender stopped: %w", k, errors.Join(b.stops...))
		case <-deadline:
			return fmt.Errorf("only %d deliveries acknowledged within %v", k, timeout)
		}
	}
	return nil
}

// Wait waits for every sender to stop, and returns the subjects tried
// and those acknowledged.
func (b *Burst) Wait() (tried, acked map[string]bool) {
	b.wg.Wait()
	return b.tried, b.acked
}

// WaitAllExists has every idler wait for EXISTS n, each in a goroutine;
// the channel gives one result per idler.
func WaitAllExists(idlers []*Idler, n uint32) <-chan error {
	errs := make(chan error, len(idlers))
	for _, i := range idlers {
		go func() { errs <- i.WaitExists(n, 0) }()
	}
	return errs
}

// CheckAll takes the results of WaitAllExists, then CheckBurst of every
// idler, and returns every error, each naming its session.
func CheckAll(idlers []*Idler, waits <-chan error, n uint32) error {
	var errs []error
	for range idlers {
		if err := <-waits; err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	for k, i := range idlers {
		if err := i.CheckBurst(n); err != nil {
			errs = append(errs, fmt.Errorf("session %d: %w", k, err))
		}
	}
	return errors.Join(errs...)
}
