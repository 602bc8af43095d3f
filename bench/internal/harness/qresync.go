package harness

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mailgate/mailgate/bench/internal/server"
)

// qresyncKeyword is what the QRESYNC row stores and takes off again; no
// other row looks at it.
const qresyncKeyword = "$BenchResync"

var (
	reUIDValidity    = regexp.MustCompile(`\[UIDVALIDITY (\d+)\]`)
	reHighestModSeq  = regexp.MustCompile(`\[HIGHESTMODSEQ (\d+)\]`)
	reVanishedAnswer = regexp.MustCompile(`^\* VANISHED \(EARLIER\)`)
	reFetchFlags     = regexp.MustCompile(`[ (]FLAGS \(([^)]*)\)`)
	reFetchModSeq    = regexp.MustCompile(`[ (]MODSEQ \((\d+)\)`)
)

// qresync times a client's resynchronisation after 1% of the messages
// changed (RFC 7162): with QRESYNC enabled, it notes UIDVALIDITY and
// HIGHESTMODSEQ, lets another session change the flags of every 100th
// message, then times SELECT INBOX (QRESYNC (uidvalidity modseq)), which
// must answer with a FETCH for exactly those messages, each with its
// flags as they are now and a MODSEQ above the noted one, and no VANISHED.
// Runs alternately add and remove a keyword; the last run leaves none.
// A server without QRESYNC (imap4d) gets no row.
func (r *runner) qresync(ctx context.Context) error {
	r.settle()
	login := func() (*wire, error) {
		w, err := dialWire(ctx, r.s.Addr(), r.p.OpTimeout)
		if err != nil {
			return nil, err
		}
		if err := w.do("LOGIN "+quote(r.s.Username())+" "+quote(server.Password), nil); err != nil {
			w.close()
			return nil, err
		}
		return w, nil
	}
	reader, err := login()
	if err != nil {
		return err
	}
	defer reader.close()
	caps := ""
	if err := reader.do("CAPABILITY", func(resp []byte) { caps += string(resp) }); err != nil {
		return err
	}
	if !strings.Contains(caps, " QRESYNC") {
		if strings.HasPrefix(r.s.Name(), "mailgate") {
			// README promises it: a mailgate without it is wrong, not
			// a server that has no row.
			r.wrong("QRESYNC: not in CAPABILITY")
			return nil
		}
		r.logf("%s: no QRESYNC; no resync row", r.s.Name())
		return nil
	}
	writer, err := login()
	if err != nil {
		return err
	}
	defer writer.close()
	if err := reader.do("ENABLE QRESYNC", nil); err != nil {
		return err
	}
	if err := writer.do("SELECT INBOX", nil); err != nil {
		return err
	}
	k := max(r.e.n/100, 1)
	var set strings.Builder
	changed := make([]uint32, 0, k)
	for i := 0; i < k; i++ {
		if i > 0 {
			set.WriteByte(',')
		}
		changed = append(changed, uint32(1+i*(r.e.n/k)))
		set.WriteString(strconv.Itoa(int(changed[i])))
	}
	runs := r.p.WarmRuns
	if runs%2 == 1 {
		runs++ // an even number leaves the keyword off
	}
	for run := 0; run < runs; run++ {
		var all []byte
		if err := reader.do("SELECT INBOX", func(resp []byte) { all = append(append(all, resp...), '\n') }); err != nil {
			return err
		}
		v, h := reUIDValidity.FindSubmatch(all), reHighestModSeq.FindSubmatch(all)
		if v == nil || h == nil {
			r.wrong("QRESYNC: SELECT gave no UIDVALIDITY or HIGHESTMODSEQ")
			return nil
		}
		if err := reader.do("UNSELECT", nil); err != nil {
			return err
		}
		op := "+"
		if run%2 == 1 {
			op = "-"
		}
		if err := writer.do("STORE "+set.String()+" "+op+"FLAGS.SILENT ("+qresyncKeyword+")", nil); err != nil {
			return err
		}
		noted, err := strconv.ParseUint(string(h[1]), 10, 64)
		if err != nil {
			r.wrong("QRESYNC: SELECT gave HIGHESTMODSEQ %s, not a number", h[1])
			return nil
		}
		var fetched []uint32
		vanished := 0
		faults := map[string]int{}
		t := time.Now()
		err = reader.do(fmt.Sprintf("SELECT INBOX (QRESYNC (%s %s))", v[1], h[1]), func(resp []byte) {
			switch {
			case isFetch(resp):
				seq, _ := fetchSeq(resp)
				fetched = append(fetched, seq)
				if fault := resyncFetchFault(resp, op == "+", noted); fault != "" {
					faults[fault]++
				}
			case reVanishedAnswer.Match(resp):
				vanished++
			}
		})
		if err != nil {
			return err
		}
		r.add("qresync", ms(time.Since(t)))
		if vanished != 0 {
			r.wrong("QRESYNC after %d messages changed: %d VANISHED", k, vanished)
		}
		if err := sameSet(fetched, changed); err != nil {
			r.wrong("QRESYNC after %d messages changed: FETCH for the wrong messages: %v", k, err)
		}
		for _, fault := range []string{faultNoFlags, faultStale, faultNoModSeq, faultOldModSeq} {
			if n := faults[fault]; n != 0 {
				r.wrong("QRESYNC after %sFLAGS (%s), HIGHESTMODSEQ %d noted before: %d of the FETCH responses %s", op, qresyncKeyword, noted, n, fault)
			}
		}
		if err := reader.do("UNSELECT", nil); err != nil {
			return err
		}
	}
	r.logf("%s: QRESYNC resync after %d changed %.2f ms", r.s.Name(), k, r.last("qresync"))
	return nil
}

// The ways a FETCH answering SELECT (QRESYNC ...) can fail to bring a
// client's copy of a changed message up to date, as resyncFetchFault
// reports them.
const (
	faultNoFlags   = "carry no FLAGS"
	faultStale     = "have the flags from before"
	faultNoModSeq  = "carry no MODSEQ"
	faultOldModSeq = "have a MODSEQ not above the noted HIGHESTMODSEQ"
)

// resyncFetchFault checks one FETCH response to SELECT (QRESYNC ...)
// for a message whose keyword was set (or cleared) after the client noted
// HIGHESTMODSEQ noted (RFC 7162, the QRESYNC parameter to SELECT): it
// must carry FLAGS, with the keyword in them if it is set and not if it
// is not, and a MODSEQ above noted. It returns the first fault found, or
// "". A FETCH without FLAGS would leave the client's flags as they were,
// so it is not current even when the keyword is absent from it.
func resyncFetchFault(resp []byte, keywordSet bool, noted uint64) string {
	flags := reFetchFlags.FindSubmatch(resp)
	if flags == nil {
		return faultNoFlags
	}
	has := false
	for _, f := range strings.Fields(string(flags[1])) {
		if strings.EqualFold(f, qresyncKeyword) {
			has = true
		}
	}
	if has != keywordSet {
		return faultStale
	}
	m := reFetchModSeq.FindSubmatch(resp)
	if m == nil {
		return faultNoModSeq
	}
	if n, err := strconv.ParseUint(string(m[1]), 10, 64); err != nil || n <= noted {
		return faultOldModSeq
	}
	return ""
}
