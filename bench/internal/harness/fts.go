package harness

import (
	"context"
	"fmt"
	"time"

	"github.com/mailgate/mailgate/bench/internal/server"
)

// ftsBuild waits, for a server with a full-text index built in the
// background (mailgate), until the index holds every message of INBOX,
// and records the time since the first SELECT; the later phases then
// search with the index complete. Other servers get no value.
func (r *runner) ftsBuild(ctx context.Context) error {
	fi, ok := r.s.(server.FullTextIndexer)
	if !ok || r.firstSelect.IsZero() {
		return nil
	}
	deadline := time.Now().Add(r.p.OpTimeout)
	for {
		n, err := fi.FullTextIndexed()
		if err == nil && n >= r.e.n {
			r.add("fts_build", time.Since(r.firstSelect).Seconds())
			r.logf("%s: full-text index of %d messages built in %.1f s", r.s.Name(), n, time.Since(r.firstSelect).Seconds())
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
