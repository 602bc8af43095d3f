package harness

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailgate/mailgate/bench/internal/server"
)

// logins times LOGIN alone, each on a fresh connection.
func (r *runner) logins(ctx context.Context) error {
	r.settle()
	for i := 0; i < r.p.Logins; i++ {
		c, err := dial(ctx, r.s.Addr(), r.p.OpTimeout)
		if err != nil {
			return err
		}
		t := time.Now()
		err = c.login(r.s.Username(), server.Password)
		d := time.Since(t)
		if err != nil {
			c.close()
			return err
		}
		// LOGOUT's answer is not checked here (the session row checks
		// it): go-imap's client sends CAPABILITY right after LOGIN, and
		// GNU imap4d 3.15 then resets about 1 connection in 5 at LOGOUT
		// before the client reads the tagged OK, which a client of raw
		// commands never saw.
		c.logout()
		r.add("login", ms(d))
	}
	r.logf("%s: LOGIN %.2f ms", r.s.Name(), r.res.Metrics["login"].Median)
	return nil
}

// connSetup counts how many sessions per second one client can set up in
// a row: connect, LOGIN, SELECT INBOX, IDLE (until the server's "+"),
// DONE, LOGOUT.
func (r *runner) connSetup(ctx context.Context) error {
	r.settle()
	t := time.Now()
	n := 0
	for n < r.p.ConnSetups && time.Since(t) < r.p.ConnSetupTime {
		c, err := r.connect(ctx)
		if err != nil {
			return err
		}
		if _, err := c.selectInbox(); err != nil {
			c.close()
			return err
		}
		c.arm()
		idle, err := c.Idle()
		if err != nil {
			c.close()
			return fmt.Errorf("IDLE: %w", err)
		}
		if err = idle.Close(); err == nil {
			err = idle.Wait()
		}
		if err != nil {
			c.close()
			return fmt.Errorf("IDLE DONE: %w", err)
		}
		c.logout() // not checked: see logins
		n++
	}
	r.add("conn_setup", float64(n)/time.Since(t).Seconds())
	r.logf("%s: %d connection setups, %.1f/s", r.s.Name(), n, r.last("conn_setup"))
	return nil
}

// openMany opens k logged-in sessions with INBOX selected (and in IDLE
// when idle is set), four at a time, within SetupTimeout. A session the
// server refuses is recorded with wrong and left out; running out of time
// is noted by the caller. It fails only when no session opened.
func (r *runner) openMany(ctx context.Context, what string, k int, idle bool) ([]*client, error) {
	deadline := time.Now().Add(r.p.SetupTimeout)
	clients := make([]*client, k)
	errs := make([]error, k)
	next := 0
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < min(4, k); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= k || time.Now().After(deadline) || ctx.Err() != nil {
					return
				}
				c, err := r.connect(ctx)
				if err == nil {
					if _, err = c.selectInbox(); err == nil && idle {
						c.arm()
						if _, err = c.Idle(); err == nil {
							c.unarm()
						}
					}
					if err != nil {
						c.close()
					}
				}
				if err != nil {
					errs[i] = err
					continue
				}
				clients[i] = c
			}
		}()
	}
	wg.Wait()
	var out []*client
	for _, c := range clients {
		if c != nil {
			out = append(out, c)
		}
	}
	failed := 0
	for _, err := range errs {
		if err != nil {
			failed++
			r.wrong("%s: opening a session: %v", what, err)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no session of %d opened", k)
	}
	if failed > 0 || len(out) < k {
		r.logf("%s: %s: %d of %d sessions opened", r.s.Name(), what, len(out), k)
	}
	return out, nil
}

func (r *runner) mixedAll(ctx context.Context) error {
	var errs []error
	for _, n := range r.p.MixedClients {
		if err := r.mixed(ctx, n); err != nil {
			errs = append(errs, fmt.Errorf("%d clients: %w", n, err))
		}
	}
	return errors.Join(errs...)
}

// mixed runs n clients at once for MixedTime, each choosing at random
// (from its own seeded stream) among what a mail client does on an open
// mailbox: FETCH the headers of a page of 20 messages, read a message,
// SEARCH UNSEEN, flag or unflag one message, NOOP.
func (r *runner) mixed(ctx context.Context, n int) error {
	r.settle()
	key := fmt.Sprintf("mixed_%d", n)
	clients, err := r.openMany(ctx, key, n, false)
	if err != nil {
		return err
	}
	defer func() {
		closeAll(clients)
		r.settle()
	}()
	if len(clients) < n {
		r.note(key, fmt.Sprintf("only %d of %d clients had a session", len(clients), n))
	}
	lat := make([][]float64, len(clients))
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(r.p.MixedTime)
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(r.p.Seed, uint64(1000+i)))
			for time.Now().Before(end) && ctx.Err() == nil {
				t := time.Now()
				if err := r.mixedOp(c, rng); err != nil {
					// The client stops; the others go on.
					r.wrong("%s: %v", key, err)
					return
				}
				lat[i] = append(lat[i], ms(time.Since(t)))
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	var all []float64
	for i := range lat {
		all = append(all, lat[i]...)
	}
	r.add(key, float64(len(all))/d.Seconds())
	r.add(key+"_p99", percentile(all, 0.99))
	r.logf("%s: mixed, %d clients: %.0f ops/s, p50 %.1f ms, p99 %.1f ms", r.s.Name(), len(clients),
		r.last(key), percentile(all, 0.5), r.last(key+"_p99"))
	return nil
}

func (r *runner) mixedOp(c *client, rng *rand.Rand) error {
	e := r.e
	switch x := rng.IntN(100); {
	case x < 35:
		first := uint32(1 + rng.IntN(max(e.n-19, 1)))
		last := min(first+19, uint32(e.n))
		var set imap.SeqSet
		set.AddRange(first, last)
		got := 0
		_, err := c.fetch(set, &imap.FetchOptions{UID: true, Flags: true, Envelope: true, RFC822Size: true}, func(m *imapFetchBuffer) {
			// Other sessions' flag changes may arrive as extra FETCH
			// responses without an envelope; count only real answers.
			if m.Envelope != nil {
				got++
			}
		})
		if err != nil {
			return fmt.Errorf("FETCH %d:%d: %w", first, last, err)
		}
		if got != int(last-first+1) {
			r.wrong("mixed: FETCH %d:%d (ENVELOPE): %d envelopes", first, last, got)
		}
	case x < 65:
		uid := e.bodyUIDs[rng.IntN(len(e.bodyUIDs))]
		ok := false
		_, err := c.fetchBodies(imap.UIDSetNum(imap.UID(uid)), func(b body) {
			ok = b.uid == imap.UID(uid) && b.sum == e.digests[uid]
		})
		if err != nil {
			return fmt.Errorf("UID FETCH %d BODY[]: %w", uid, err)
		}
		if !ok {
			r.wrong("mixed: UID FETCH %d BODY.PEEK[]: wrong or no body", uid)
		}
	case x < 75:
		c.arm()
		data, err := c.Search(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
		if err != nil {
			return fmt.Errorf("SEARCH UNSEEN: %w", err)
		}
		if err := sameSet(data.AllSeqNums(), e.unseen); err != nil {
			r.wrong("mixed: SEARCH UNSEEN: %v", err)
		}
	case x < 90:
		op := imap.StoreFlagsAdd
		if rng.IntN(2) == 0 {
			op = imap.StoreFlagsDel
		}
		seq := uint32(1 + rng.IntN(e.n))
		c.arm()
		if _, err := drain(c.Store(imap.SeqSetNum(seq), &imap.StoreFlags{Op: op, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}}, nil)); err != nil {
			return fmt.Errorf("STORE %d: %w", seq, err)
		}
	default:
		c.arm()
		if err := c.Noop().Wait(); err != nil {
			return fmt.Errorf("NOOP: %w", err)
		}
	}
	return nil
}

// idle measures the server's memory while IdleClients sessions sit in
// IDLE on INBOX: the growth over the server before they came, per
// session, as RSS (what the brief asks) and PSS (which counts pages that
// processes share once: fairer to servers with a process per session).
func (r *runner) idle(ctx context.Context) error {
	// Start from a fresh server so the baseline is its resting size.
	if err := r.restart(ctx); err != nil {
		return err
	}
	base := server.TreeMem(r.s.PID(), true)
	clients, err := r.openMany(ctx, "idle", r.p.IdleClients, true)
	if err != nil {
		return err
	}
	defer func() {
		closeAll(clients)
		if !r.settle() {
			// Sessions that outlive the test would share the machine,
			// and its memory, with the next server's: at 100,000
			// messages Dovecot's 1000 imap processes (7 GB) were
			// still there when dovecot-fast started its own, and the
			// kernel's OOM killer ended the harness. A restart ends
			// them.
			if err := r.restart(ctx); err != nil {
				r.logf("%s: restart after the IDLE test: %v", r.s.Name(), err)
			}
		}
	}()
	k := len(clients)
	if k < r.p.IdleClients {
		r.note("idle_rss", fmt.Sprintf("only %d of %d clients reached IDLE", k, r.p.IdleClients))
	}
	time.Sleep(time.Second)
	m := server.TreeMem(r.s.PID(), true)
	// Every session must still be there and answer.
	for i, c := range clients {
		select {
		case <-c.Closed():
			return fmt.Errorf("the server closed IDLE session %d of %d", i+1, k)
		default:
		}
	}
	if err := r.idleSeesChange(ctx, clients); err != nil {
		return err
	}
	r.add("idle_rss", float64(m.RSS-base.RSS)/float64(k)/1024)
	r.add("idle_pss", float64(m.PSS-base.PSS)/float64(k)/1024)
	r.add("idle_total_rss", float64(m.RSS)/(1<<20))
	r.logf("%s: %d IDLE clients: server RSS %.1f -> %.1f MiB (%d processes), %.0f KiB RSS, %.0f KiB PSS per client",
		r.s.Name(), k, float64(base.RSS)/(1<<20), float64(m.RSS)/(1<<20), m.Procs, r.last("idle_rss"), r.last("idle_pss"))
	return nil
}

// settle waits, a bounded time, until no session process of an earlier
// test is left (a forking server's children, Dovecot's imap processes),
// so that the next measurement does not share the machine with their
// clean-up or wait for their mailbox locks. It reports whether they all
// ended.
func (r *runner) settle() bool {
	t := time.Now()
	deadline := t.Add(30 * time.Second)
	for time.Now().Before(deadline) && r.alive() {
		if server.Sessions(r.s.PID()) == 0 {
			if d := time.Since(t); d > 2*time.Second {
				r.logf("%s: waited %.1fs for the sessions of the last test to end", r.s.Name(), d.Seconds())
			}
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	n := server.Sessions(r.s.PID())
	r.logf("%s: %d sessions of the last test still there after 30s", r.s.Name(), n)
	return n == 0
}

// idleSeesChange checks that the IDLE sessions are really listening:
// another session turns \Flagged of message 1 over (the mixed workload
// flags messages at random, so it looks first) and logs out (imap4d
// writes a session's changes to the file only then), and every IDLE
// session must receive an untagged FETCH or EXISTS within the harness's
// operation time (10 s at most); then the flag is turned back.
func (r *runner) idleSeesChange(ctx context.Context, clients []*client) error {
	flag := func(op func(flagged bool) imap.StoreFlagsOp) error {
		c, err := r.connect(ctx)
		if err != nil {
			return err
		}
		defer c.logout()
		if _, err := c.selectInbox(); err != nil {
			return err
		}
		flagged := false
		if _, err := c.fetch(imap.SeqSetNum(1), &imap.FetchOptions{Flags: true}, func(m *imapFetchBuffer) {
			flagged = slices.Contains(m.Flags, imap.FlagFlagged)
		}); err != nil {
			return fmt.Errorf("FETCH 1 (FLAGS): %w", err)
		}
		c.arm()
		_, err = drain(c.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: op(flagged), Silent: true, Flags: []imap.Flag{imap.FlagFlagged}}, nil))
		return err
	}
	var was bool
	for _, ic := range clients {
		ic.unilateral.Store(0)
	}
	t := time.Now()
	err := flag(func(flagged bool) imap.StoreFlagsOp {
		was = flagged
		if flagged {
			return imap.StoreFlagsDel
		}
		return imap.StoreFlagsAdd
	})
	if err != nil {
		return fmt.Errorf("turning a flag over for the IDLE sessions: %w", err)
	}
	defer flag(func(bool) imap.StoreFlagsOp {
		if was {
			return imap.StoreFlagsAdd
		}
		return imap.StoreFlagsDel
	})
	bound := min(r.p.OpTimeout, 10*time.Second)
	deadline := t.Add(bound)
	for {
		missing := 0
		for _, ic := range clients {
			if ic.unilateral.Load() == 0 {
				missing++
			}
		}
		if missing == 0 {
			r.logf("%s: every IDLE session saw another session's STORE within %.0f ms", r.s.Name(), ms(time.Since(t)))
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			r.wrong("IDLE: %d of %d sessions did not see another session's STORE within %v", missing, len(clients), bound)
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}
