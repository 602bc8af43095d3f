package harness

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailgate/mailgate/bench/internal/corpus"
	"github.com/mailgate/mailgate/bench/internal/server"
)

// readPhase runs the read-only commands once on a new session, timing
// each and checking its answer: SELECT, FETCH 1:* of FLAGS, ENVELOPE and
// BODYSTRUCTURE, three SEARCHes, and UID FETCH of message bodies. They
// run on a bare session (see wire); then, untimed, every message's
// ENVELOPE and BODYSTRUCTURE are checked with go-imap's client.
func (r *runner) readPhase(ctx context.Context, phase string) error {
	r.settle()
	w, err := dialWire(ctx, r.s.Addr(), r.p.OpTimeout)
	if err != nil {
		return err
	}
	defer w.close()
	t := time.Now()
	if err := w.do("LOGIN "+quote(r.s.Username())+" "+quote(server.Password), nil); err != nil {
		return err
	}
	if phase == "cold" {
		// The first LOGIN of a restarted server: no auth cache on any
		// side, so it is the password check itself.
		r.add("login_first", ms(time.Since(t)))
	}
	e := r.e
	key := func(op string) string { return op + "." + phase }

	t = time.Now()
	exists, err := w.selectInbox()
	if err != nil {
		return err
	}
	r.add(key("select"), ms(time.Since(t)))
	if exists != e.n {
		r.wrong("SELECT: %d EXISTS, want %d", exists, e.n)
	}

	t = time.Now()
	n, seen, err := w.fetchFlags()
	if err != nil {
		return err
	}
	r.add(key("fetch_flags"), ms(time.Since(t)))
	if n != e.n || seen != e.seen {
		r.wrong("FETCH 1:* (FLAGS): %d messages, %d \\Seen; want %d, %d", n, seen, e.n, e.seen)
	}

	for _, f := range []struct{ op, item string }{
		{"fetch_envelope", "ENVELOPE"},
		{"fetch_bodystructure", "BODYSTRUCTURE"},
	} {
		n = 0
		item := []byte(f.item + " (")
		t = time.Now()
		err = w.do("FETCH 1:* ("+f.item+")", func(resp []byte) {
			if isFetch(resp) && bytes.Contains(resp, item) {
				n++
			}
		})
		if err != nil {
			return err
		}
		r.add(key(f.op), ms(time.Since(t)))
		if n != e.n {
			r.wrong("FETCH 1:* (%s): %d messages, want %d", f.item, n, e.n)
		}
	}

	for _, s := range []struct {
		op, criteria string
		want         []uint32
	}{
		{"search_text", "TEXT " + quote(corpus.SearchWord), e.text},
		// The word is in text parts only, so BODY finds what TEXT does.
		{"search_body", "BODY " + quote(corpus.SearchWord), e.text},
		{"search_from", "FROM " + quote(corpus.SearchFrom), e.from},
		{"search_unseen", "UNSEEN", e.unseen},
	} {
		var got []uint32
		answered := false
		t = time.Now()
		err = w.do("SEARCH "+s.criteria, func(resp []byte) {
			var ok bool
			got, ok = searchNumbers(resp, got)
			answered = answered || ok
		})
		if err != nil {
			return err
		}
		r.add(key(s.op), ms(time.Since(t)))
		if !answered {
			r.wrong("SEARCH %s: no SEARCH response", s.criteria)
		} else if err := sameSet(got, s.want); err != nil {
			r.wrong("SEARCH %s: %v", s.criteria, err)
		}
	}

	bad, count := 0, 0
	cpu := startCPU(server.Tree(r.s.PID()))
	t = time.Now()
	total, err := w.fetchBodies(e.bodySet.String(), func(b body) {
		count++
		if want, ok := e.digests[uint32(b.uid)]; !ok || want != b.sum {
			bad++
			if bad == 1 {
				r.wrong("UID FETCH BODY[]: message %d differs from the corpus (%d bytes)", b.uid, b.size)
			}
		}
	})
	if err != nil {
		return err
	}
	d := time.Since(t)
	perByte, cpuErr := cpu.perByte(total)
	r.add(key("fetch_body"), float64(total)/1e6/d.Seconds())
	r.addMeasured(key("fetch_body_cpu"), perByte, cpuErr)
	if count != len(e.bodyUIDs) {
		r.wrong("UID FETCH BODY[]: %d bodies, want %d", count, len(e.bodyUIDs))
	}
	// The round trip's floor for the sub-millisecond rows (SELECT): the
	// median of five NOOPs on the same session, which only check the
	// mailbox for changes, so that a row near it can be read as the
	// client, the loopback and the scheduler rather than the server.
	noops := make([]float64, 5)
	for i := range noops {
		t = time.Now()
		if err := w.do("NOOP", nil); err != nil {
			return err
		}
		noops[i] = ms(time.Since(t))
	}
	slices.Sort(noops)
	r.add(key("noop"), noops[len(noops)/2])
	r.logf("%s: %s: SELECT %.1f ms, FLAGS %.1f ms, ENVELOPE %.1f ms, BODYSTRUCTURE %.1f ms, SEARCH TEXT %.1f ms, bodies %.1f MB/s",
		r.s.Name(), phase, r.last(key("select")), r.last(key("fetch_flags")), r.last(key("fetch_envelope")),
		r.last(key("fetch_bodystructure")), r.last(key("search_text")), r.last(key("fetch_body")))
	if cpuErr == nil {
		r.logf("%s: %s: bodies: the server used %.2f ns of CPU per byte", r.s.Name(), phase, perByte)
	}
	// The timed FETCHes above are counted; every message's ENVELOPE and
	// BODYSTRUCTURE are compared with the corpus, untimed, in every run
	// of every phase.
	return r.checkSamples(ctx)
}

// checkSamples checks, with go-imap's client, the ENVELOPE (subject and
// sender) and BODYSTRUCTURE (media type) of every message (e.samples)
// against the corpus.
func (r *runner) checkSamples(ctx context.Context) error {
	c, err := r.connect(ctx)
	if err != nil {
		return err
	}
	defer c.logout()
	if _, err := c.selectInbox(); err != nil {
		return err
	}
	var set imap.SeqSet
	for _, s := range r.e.samples {
		set.AddNum(s)
	}
	checked := 0
	_, err = c.fetch(set, &imap.FetchOptions{Envelope: true, BodyStructure: &imap.FetchItemBodyStructure{Extended: true}}, func(m *imapclient.FetchMessageBuffer) {
		if m.SeqNum < 1 || int(m.SeqNum) > len(r.c.Msgs) {
			r.wrong("FETCH: message %d does not exist", m.SeqNum)
			return
		}
		checked++
		want := r.c.Msgs[m.SeqNum-1]
		switch {
		case m.Envelope == nil:
			r.wrong("FETCH ENVELOPE: message %d has none", m.SeqNum)
		case m.Envelope.Subject != want.Subject:
			r.wrong("FETCH ENVELOPE: message %d: subject %q, want %q", m.SeqNum, m.Envelope.Subject, want.Subject)
		case len(m.Envelope.From) != 1 || !strings.EqualFold(m.Envelope.From[0].Addr(), want.From.Addr):
			r.wrong("FETCH ENVELOPE: message %d: from %v, want %s", m.SeqNum, m.Envelope.From, want.From.Addr)
		}
		if m.BodyStructure == nil {
			r.wrong("FETCH BODYSTRUCTURE: message %d has none", m.SeqNum)
		} else if got := m.BodyStructure.MediaType(); !strings.EqualFold(got, want.Kind.MediaType()) {
			r.wrong("FETCH BODYSTRUCTURE: message %d is %s, want %s", m.SeqNum, got, want.Kind.MediaType())
		}
	})
	if err != nil {
		return fmt.Errorf("FETCH ENVELOPE BODYSTRUCTURE: %w", err)
	}
	if checked != len(r.e.samples) {
		r.wrong("FETCH 1:* (ENVELOPE BODYSTRUCTURE): %d messages, want %d", checked, len(r.e.samples))
	}
	return nil
}

func (r *runner) last(key string) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m := r.res.Metrics[key]; m != nil && len(m.Samples) > 0 {
		return m.Samples[len(m.Samples)-1]
	}
	return 0
}

// cpuMeter reads a server's CPU time around a measured command.
type cpuMeter struct {
	pids  []int
	start server.CPUTime
	err   error
}

// startCPU reads the CPU time of the processes pids before a command.
// The same processes are read afterwards (see perByte): one that starts
// meanwhile is not counted, one that ends voids the figure.
func startCPU(pids []int) cpuMeter {
	t, err := server.CPU(pids)
	return cpuMeter{pids: pids, start: t, err: err}
}

// perByte reads the processes' CPU time again and returns what they used
// since startCPU per byte sent, in nanoseconds. It fails, rather than
// return a figure that is too low, when either reading failed (a process
// that ended in between cannot be read again), when no CPU time was
// counted, or when nothing was sent. A thread that ended in between keeps
// its time in its process's (see server.CPU).
func (m cpuMeter) perByte(bytes int64) (float64, error) {
	if m.err != nil {
		return 0, m.err
	}
	end, err := server.CPU(m.pids)
	if err != nil {
		return 0, err
	}
	used, err := end.Since(m.start)
	if err != nil {
		return 0, err
	}
	if bytes <= 0 {
		return 0, fmt.Errorf("server CPU per byte: %d bytes sent", bytes)
	}
	return float64(used.Nanoseconds()) / float64(bytes), nil
}
