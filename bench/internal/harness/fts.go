package harness

import (
	"context"
	"fmt"
	"time"

	"github.com/mailgate/mailgate/bench/internal/server"
)

// ftsBuild measures, for a server with a full-text index built in the
// background (mailgate), how long the build of INBOX's index takes
// alone: the server, parked after the first phase, is started with its
// full-text index removed (the mailbox's other files as the last
// first-phase repetition left them), a session SELECTs INBOX, which
// starts the build, and logs out; the time is taken from that SELECT
// until the index holds every message. Nothing else runs meanwhile, and
// the later phases search with the index complete. Other servers are
// started again and get no value.
func (r *runner) ftsBuild(ctx context.Context) error {
	fi, ok := r.s.(server.FullTextIndexer)
	if !ok {
		if r.parked {
			return r.restart(ctx)
		}
		return nil
	}
	if err := r.s.Stop(); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	r.parked = true
	if err := fi.DropFullText(); err != nil {
		return err
	}
	if err := r.restart(ctx); err != nil {
		return err
	}
	if err := syncFiles(r.fresh.root); err != nil {
		return err
	}
	c, err := r.connect(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	_, err = c.selectInbox()
	c.logout()
	if err != nil {
		return err
	}
	deadline := start.Add(r.p.OpTimeout)
	for {
		n, err := fi.FullTextIndexed()
		if err == nil && n >= r.e.n {
			r.add("fts_build", time.Since(start).Seconds())
			r.logf("%s: full-text index of %d messages built in %.1f s", r.s.Name(), n, time.Since(start).Seconds())
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("full-text index: %d of %d messages after %v (%v)", n, r.e.n, r.p.OpTimeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
