package harness

import (
	"context"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
)

// The mailboxes the COPY and MOVE rows fill and remove again.
const (
	copyMailbox = "BenchCopy"
	moveMailbox = "BenchMove"
)

// copyCount is how many messages the COPY and MOVE rows handle.
func copyCount(p *Params, n int) int { return min(p.CopyCount, n) }

// copies times, WarmRuns times on new mailboxes, COPY 1:K from INBOX to
// BenchCopy, then, with BenchCopy selected, MOVE 1:K (RFC 6851) to
// BenchMove. Every run checks the counts (STATUS), that the copies and
// then the moved messages have the flags of INBOX's 1:K (SEARCH FLAGGED
// and UNSEEN), and that BenchCopy is empty after the MOVE. A server
// without MOVE (imap4d) gets no MOVE row. The mailboxes are deleted
// afterwards, untimed.
func (r *runner) copies(ctx context.Context) error {
	r.settle()
	c, err := r.connect(ctx)
	if err != nil {
		return err
	}
	defer c.logout()
	k := uint32(copyCount(r.p, r.e.n))
	var set imap.SeqSet
	set.AddRange(1, k)
	var flagged, unseen []uint32
	for _, u := range r.e.flagged {
		if u <= k {
			flagged = append(flagged, u)
		}
	}
	for _, u := range r.e.unseen {
		if u <= k {
			unseen = append(unseen, u)
		}
	}
	hasMove := c.Caps().Has(imap.CapMove)
	drop := func() {
		c.arm()
		c.Unselect().Wait() // none may be selected
		c.Delete(copyMailbox).Wait()
		c.Delete(moveMailbox).Wait()
	}
	// check compares the selected mailbox with INBOX's 1:K.
	check := func(what, mailbox string) error {
		c.arm()
		d, err := c.Select(mailbox, nil).Wait()
		if err != nil {
			return fmt.Errorf("SELECT %s: %w", mailbox, err)
		}
		if d.NumMessages != k {
			r.wrong("%s: %s holds %d messages, want %d", what, mailbox, d.NumMessages, k)
			return nil
		}
		for _, q := range []struct {
			flag imap.Flag
			not  bool
			want []uint32
		}{{imap.FlagFlagged, false, flagged}, {imap.FlagSeen, true, unseen}} {
			crit := &imap.SearchCriteria{Flag: []imap.Flag{q.flag}}
			name := "FLAGGED"
			if q.not {
				crit = &imap.SearchCriteria{NotFlag: []imap.Flag{q.flag}}
				name = "UNSEEN"
			}
			c.arm()
			data, err := c.Search(crit, nil).Wait()
			if err != nil {
				return fmt.Errorf("SEARCH %s in %s: %w", name, mailbox, err)
			}
			if err := sameSet(data.AllSeqNums(), q.want); err != nil {
				r.wrong("%s: SEARCH %s in %s: %v", what, name, mailbox, err)
			}
		}
		return nil
	}
	drop()
	defer drop()
	for run := 0; run < r.p.WarmRuns; run++ {
		for _, m := range []string{copyMailbox, moveMailbox} {
			c.arm()
			if err := c.Create(m, nil).Wait(); err != nil {
				return fmt.Errorf("CREATE %s: %w", m, err)
			}
		}
		if _, err := c.selectInbox(); err != nil {
			return err
		}
		t := time.Now()
		c.arm()
		if _, err := c.Copy(set, copyMailbox).Wait(); err != nil {
			return fmt.Errorf("COPY 1:%d: %w", k, err)
		}
		r.add("copy", ms(time.Since(t)))
		if err := check("COPY", copyMailbox); err != nil {
			return err
		}
		if hasMove {
			t = time.Now()
			c.arm()
			if _, err := c.Move(set, moveMailbox).Wait(); err != nil {
				return fmt.Errorf("MOVE 1:%d: %w", k, err)
			}
			r.add("move", ms(time.Since(t)))
			c.arm()
			st, err := c.Status(copyMailbox, &imap.StatusOptions{NumMessages: true}).Wait()
			if err != nil {
				return fmt.Errorf("STATUS %s: %w", copyMailbox, err)
			}
			if st.NumMessages == nil || *st.NumMessages != 0 {
				r.wrong("MOVE: %s still holds messages afterwards", copyMailbox)
			}
			if err := check("MOVE", moveMailbox); err != nil {
				return err
			}
		}
		drop()
	}
	r.note("copy", copyDurability(r.s.Name()))
	if !hasMove {
		r.logf("%s: COPY 1:%d %.1f ms; no MOVE", r.s.Name(), k, r.last("copy"))
		return nil
	}
	r.note("move", moveDurability(r.s.Name()))
	r.logf("%s: COPY 1:%d %.1f ms, MOVE %.1f ms", r.s.Name(), k, r.last("copy"), r.last("move"))
	return nil
}

// copyDurability says, per server, what was on disk when COPY and MOVE
// were answered.
func copyDurability(server string) string {
	switch server {
	case "mailgate":
		return "maildir: hard links renamed into new/ under a batch intent, new/ fsync'd once per command"
	case "mailgate-mbox":
		return "mbox: the copies appended to the destination under one intent and one fsync"
	case "dovecot", "dovecot-fast":
		return "maildir: hard links, dovecot-uidlist written; a few fdatasyncs per command (mail_fsync = optimized)"
	case "imap4d":
		return "mbox: the copies appended to the destination mbox; no MOVE"
	}
	return ""
}

// moveDurability says, per server, what was on disk when MOVE was
// answered.
func moveDurability(server string) string {
	if server == "mailgate" {
		return "maildir: each source file renamed into new/ (no link, no unlink), new/ and the source's directories fsync'd once per command"
	}
	return copyDurability(server)
}
