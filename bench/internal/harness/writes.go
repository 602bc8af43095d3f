package harness

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// store times STORE +FLAGS (\Flagged) on the first StoreCount messages
// (all, when fewer), checks the result with SEARCH FLAGGED, and takes the
// flag off again (untimed) before the next run.
func (r *runner) store(ctx context.Context) error {
	r.settle()
	c, err := r.connect(ctx)
	if err != nil {
		return err
	}
	defer c.logout()
	if _, err := c.selectInbox(); err != nil {
		return err
	}
	k := uint32(min(r.p.StoreCount, r.e.n))
	var set imap.SeqSet
	set.AddRange(1, k)
	// After +FLAGS: 1..k, and the messages above k that were flagged.
	want := make([]uint32, 0, k)
	for i := uint32(1); i <= k; i++ {
		want = append(want, i)
	}
	for _, f := range r.e.flagged {
		if f > k {
			want = append(want, f)
		}
	}
	for run := 0; run < r.p.WarmRuns; run++ {
		t := time.Now()
		c.arm()
		n, err := drain(c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged}}, nil))
		if err != nil {
			return fmt.Errorf("STORE +FLAGS: %w", err)
		}
		r.add("store_flags", ms(time.Since(t)))
		if n > int(k) {
			r.wrong("STORE 1:%d +FLAGS: %d FETCH responses", k, n)
		}
		if run == 0 {
			c.arm()
			data, err := c.Search(&imap.SearchCriteria{Flag: []imap.Flag{imap.FlagFlagged}}, nil).Wait()
			if err != nil {
				return fmt.Errorf("SEARCH FLAGGED: %w", err)
			}
			if err := sameSet(data.AllSeqNums(), want); err != nil {
				r.wrong("SEARCH FLAGGED after STORE +FLAGS: %v", err)
			}
		}
		c.arm()
		if _, err := drain(c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsDel, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}}, nil)); err != nil {
			return fmt.Errorf("STORE -FLAGS.SILENT: %w", err)
		}
	}
	r.logf("%s: STORE 1:%d +FLAGS %.1f ms", r.s.Name(), k, r.last("store_flags"))
	return nil
}

// drain reads a FETCH-like command's answers and counts them.
func drain(cmd *imapclient.FetchCommand) (int, error) {
	msgs, err := cmd.Collect()
	return len(msgs), err
}

// appendMailbox receives the APPENDs, so INBOX keeps the corpus.
const appendMailbox = "BenchAppend"

// appendMsg is a 4 KB message (4096 bytes with CRLF line ends).
func appendMsg() []byte {
	var b bytes.Buffer
	b.WriteString("From: Bench Appender <appender@example.org>\r\nTo: Bench User <bench@example.org>\r\n" +
		"Subject: append throughput\r\nDate: Mon, 01 Jan 2024 12:00:00 +0000\r\n" +
		"Message-ID: <append@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n")
	line := "The quick brown fox jumps over the lazy dog, again and again and again.\r\n"
	for b.Len()+len(line) <= 4096-2 {
		b.WriteString(line)
	}
	for b.Len() < 4096-2 {
		b.WriteByte('.')
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// appends measures APPEND of 4 KB messages by one client, then by
// AppendClients clients at once, ColdRuns times each, and checks the
// mailbox's message count with STATUS at the end.
func (r *runner) appends(ctx context.Context) error {
	msg := appendMsg()
	r.settle()
	c, err := r.connect(ctx)
	if err != nil {
		return err
	}
	defer c.logout()
	c.arm()
	c.Create(appendMailbox, nil).Wait() // it may exist from an earlier run
	total := 0
	for run := 0; run < r.p.ColdRuns; run++ {
		t := time.Now()
		n := 0
		for n < r.p.Append1 && time.Since(t) < r.p.AppendTime {
			if err := c.appendMessage(appendMailbox, msg); err != nil {
				return fmt.Errorf("APPEND: %w", err)
			}
			n++
		}
		r.add("append_1", float64(n)/time.Since(t).Seconds())
		total += n

		clients := make([]*client, r.p.AppendClients)
		for i := range clients {
			if clients[i], err = r.connect(ctx); err != nil {
				closeAll(clients)
				return err
			}
		}
		var wg sync.WaitGroup
		counts := make([]int, len(clients))
		errs := make([]error, len(clients))
		t = time.Now()
		for i, cl := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for counts[i] < r.p.AppendEach && time.Since(t) < r.p.AppendTime {
					if err := cl.appendMessage(appendMailbox, msg); err != nil {
						errs[i] = err
						return
					}
					counts[i]++
				}
			}()
		}
		wg.Wait()
		d := time.Since(t)
		closeAll(clients)
		n = 0
		for i := range counts {
			n += counts[i]
			if errs[i] != nil {
				// That client stops; what the others stored counts.
				r.wrong("APPEND by %d clients: %v", len(clients), errs[i])
			}
		}
		r.add("append_n", float64(n)/d.Seconds())
		total += n
	}
	c.arm()
	st, err := c.Status(appendMailbox, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		return fmt.Errorf("STATUS: %w", err)
	}
	if st.NumMessages == nil || int(*st.NumMessages) != total {
		got := -1
		if st.NumMessages != nil {
			got = int(*st.NumMessages)
		}
		r.wrong("STATUS %s after %d APPENDs: %d MESSAGES", appendMailbox, total, got)
	}
	r.logf("%s: APPEND %.0f msg/s (1 client), %.0f msg/s (%d clients)", r.s.Name(), r.last("append_1"), r.last("append_n"), r.p.AppendClients)
	return nil
}

func closeAll(cs []*client) {
	for _, c := range cs {
		if c != nil {
			c.close()
		}
	}
}
