package harness

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// store times STORE +FLAGS (\Flagged) on the first StoreCount messages
// (all, when fewer), and checks in every run that the answer has one
// FETCH, with \Flagged, for each message of the set (a server may leave
// out the ones that had the flag already), that SEARCH FLAGGED then finds
// exactly the set and the messages flagged before, and that the -FLAGS
// which undoes it (untimed) leaves the flags of the corpus.
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
	k := uint32(storeCount(r.p, r.e.n))
	var set imap.SeqSet
	set.AddRange(1, k)
	// After +FLAGS: 1..k, and the messages above k that were flagged.
	want := make([]uint32, 0, k)
	for i := uint32(1); i <= k; i++ {
		want = append(want, i)
	}
	before := map[uint32]bool{}
	for _, f := range r.e.flagged {
		before[f] = true
		if f > k {
			want = append(want, f)
		}
	}
	searchFlagged := func(what string, want []uint32) error {
		c.arm()
		data, err := c.Search(&imap.SearchCriteria{Flag: []imap.Flag{imap.FlagFlagged}}, nil).Wait()
		if err != nil {
			return fmt.Errorf("SEARCH FLAGGED: %w", err)
		}
		if err := sameSet(data.AllSeqNums(), want); err != nil {
			r.wrong("SEARCH FLAGGED after %s: %v", what, err)
		}
		return nil
	}
	for run := 0; run < r.p.WarmRuns; run++ {
		t := time.Now()
		c.arm()
		msgs, err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged}}, nil).Collect()
		if err != nil {
			return fmt.Errorf("STORE +FLAGS: %w", err)
		}
		r.add("store_flags", ms(time.Since(t)))
		if err := checkStoreAnswer(msgs, k, before); err != nil {
			r.wrong("STORE 1:%d +FLAGS: %v", k, err)
		}
		if err := searchFlagged("STORE +FLAGS", want); err != nil {
			return err
		}
		c.arm()
		if _, err := drain(c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsDel, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}}, nil)); err != nil {
			return fmt.Errorf("STORE -FLAGS.SILENT: %w", err)
		}
		var after []uint32
		for _, f := range r.e.flagged {
			if f > k {
				after = append(after, f)
			}
		}
		if err := searchFlagged("STORE -FLAGS", after); err != nil {
			return err
		}
		// Put back the flags of the corpus that -FLAGS took off.
		var back imap.SeqSet
		for _, f := range r.e.flagged {
			if f <= k {
				back.AddNum(f)
			}
		}
		if len(back) > 0 {
			c.arm()
			if _, err := drain(c.Store(back, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}}, nil)); err != nil {
				return fmt.Errorf("STORE +FLAGS.SILENT: %w", err)
			}
		}
	}
	if err := searchFlagged("the runs", r.e.flagged); err != nil {
		return err
	}
	r.note("store_flags", storeDurability(r.s.Name()))
	r.logf("%s: STORE 1:%d +FLAGS %.1f ms", r.s.Name(), k, r.last("store_flags"))
	return nil
}

// storeCount is how many messages the STORE row changes.
func storeCount(p *Params, n int) int { return min(p.StoreCount, n) }

// checkStoreAnswer checks the FETCH responses to STORE 1:k +FLAGS
// (\Flagged): each in the set, none twice, each with \Flagged, and one
// for every message that did not have the flag before.
func checkStoreAnswer(msgs []*imapclient.FetchMessageBuffer, k uint32, before map[uint32]bool) error {
	got := map[uint32]bool{}
	for _, m := range msgs {
		switch {
		case m.SeqNum < 1 || m.SeqNum > k:
			return fmt.Errorf("FETCH for message %d, outside the set", m.SeqNum)
		case got[m.SeqNum]:
			return fmt.Errorf("two FETCH responses for message %d", m.SeqNum)
		case !slices.Contains(m.Flags, imap.FlagFlagged):
			return fmt.Errorf("message %d: FLAGS %v without \\Flagged", m.SeqNum, m.Flags)
		}
		got[m.SeqNum] = true
	}
	missing := 0
	for i := uint32(1); i <= k; i++ {
		if !got[i] && !before[i] {
			missing++
		}
	}
	if missing > 0 {
		return fmt.Errorf("no FETCH response for %d messages whose flags changed", missing)
	}
	return nil
}

// storeDurability says, per server, what was on disk when the STORE row's
// tagged OK came: the row compares servers that promise different things.
func storeDurability(server string) string {
	switch server {
	case "mailgate":
		return "maildir: every file renamed to its new flags before OK"
	case "mailgate-mbox":
		return "mbox: the change fdatasync'd to the flag journal before OK"
	case "dovecot", "dovecot-fast":
		return "maildir: every file renamed to its new flags before OK, not fsync'd (mail_fsync = optimized)"
	case "imap4d":
		return "mbox: in memory at OK, written to the file when the session ends"
	}
	return ""
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
