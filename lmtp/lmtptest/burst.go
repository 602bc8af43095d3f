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

	mu    sync.Mutex
	tried map[string]bool // subjects sent, at least in part
	acked map[string]bool // subjects answered 250 for every recipient
}

// StartBurst starts senders senders, each connecting with dial and
// sending from s@example.net to rcpts.
func StartBurst(dial func() (*smtp.Client, error), senders int, rcpts []string) *Burst {
	b := &Burst{acks: make(chan struct{}, 1000), tried: map[string]bool{}, acked: map[string]bool{}}
	for s := range senders {
		b.wg.Go(func() {
			c, err := dial()
			if err != nil {
				return
			}
			defer c.Close()
			for m := 0; ; m++ {
				subj := fmt.Sprintf("kill-s%d-m%04d", s, m)
				b.mu.Lock()
				b.tried[subj] = true
				b.mu.Unlock()
				res, err := Send(c, "s@example.net", rcpts, WholeMessage(subj))
				if err != nil || len(res.Rcpt) > 0 || len(res.Data) != len(rcpts) {
					return
				}
				for _, code := range res.Data {
					if code != "250" {
						return
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
		})
	}
	return b
}

// WaitAcks waits until n messages have been acknowledged, at most
// timeout.
func (b *Burst) WaitAcks(n int, timeout time.Duration) error {
	deadline := time.After(timeout)
	for k := range n {
		select {
		case <-b.acks:
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
