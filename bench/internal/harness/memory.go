package harness

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailgate/mailgate/bench/internal/server"
)

// bigMessage fetches the largest message (50 MB in a full run) on a
// freshly started server and samples the server's resident memory every
// 5 ms meanwhile: the peak, its growth over the server at rest after the
// SELECT, and the transfer rate.
func (r *runner) bigMessage(ctx context.Context) error {
	e := r.e
	if e.big == 0 {
		return nil
	}
	for run := 0; run < r.p.BigRuns; run++ {
		if err := r.restart(ctx); err != nil {
			return err
		}
		c, err := r.connect(ctx)
		if err != nil {
			return err
		}
		if _, err := c.selectInbox(); err != nil {
			c.close()
			return err
		}
		pid := r.s.PID()
		// The base is the server at rest after the SELECT: work the
		// SELECT left for after its answer (mailgate builds the
		// mailbox's message list then) is the SELECT's, not the
		// FETCH's, and the peak row still counts it.
		if !restingCPU(server.Tree(pid), 100*time.Millisecond, 3*time.Second) {
			r.logf("%s: the server did not come to rest within 3s after SELECT", r.s.Name())
		}
		base := server.RSS(server.Tree(pid))
		var peak int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			pids := server.Tree(pid)
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
			for k := 0; ; k++ {
				if k%20 == 19 {
					pids = server.Tree(pid)
				}
				peak = max(peak, server.RSS(pids))
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
		}()
		var got body
		// The same processes before and after: one that starts or ends
		// meanwhile would add or take away all the time it ever used.
		cpu := startCPU(server.Tree(pid))
		t := time.Now()
		total, err := c.fetchBodies(imap.UIDSetNum(imap.UID(e.big)), func(b body) { got = b })
		d := time.Since(t)
		perByte, cpuErr := cpu.perByte(total)
		close(stop)
		wg.Wait()
		c.logout()
		if err != nil {
			return fmt.Errorf("UID FETCH %d BODY.PEEK[]: %w", e.big, err)
		}
		if got.uid != imap.UID(e.big) || got.sum != e.digests[e.big] {
			r.wrong("UID FETCH %d BODY.PEEK[] (%d bytes, %d expected): differs from the corpus", e.big, got.size, e.bigSize)
		}
		r.add("big_rss_delta", float64(peak-base)/(1<<20))
		r.add("big_rss_peak", float64(peak)/(1<<20))
		r.add("big_rate", float64(total)/1e6/d.Seconds())
		r.addMeasured("big_cpu", perByte, cpuErr)
		r.logf("%s: FETCH of the %.1f MB message: %.0f MB/s, RSS %.1f -> peak %.1f MiB",
			r.s.Name(), float64(total)/1e6, r.last("big_rate"), float64(base)/(1<<20), float64(peak)/(1<<20))
	}
	return nil
}

// restingCPU waits until the processes pids use less than a millisecond
// of CPU time in a window, for at most limit; it reports whether they
// came to rest. A process it cannot read counts as at rest (the FETCH's
// own CPU row says what could not be read).
func restingCPU(pids []int, window, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	last, err := server.CPU(pids)
	if err != nil {
		return true
	}
	for time.Now().Before(deadline) {
		time.Sleep(window)
		now, err := server.CPU(pids)
		if err != nil {
			return true
		}
		used, err := now.Since(last)
		if err != nil || used < time.Millisecond {
			return true
		}
		last = now
	}
	return false
}
