//go:build unix

package main_test

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var modseqRE = regexp.MustCompile(`MODSEQ \((\d+)\)|HIGHESTMODSEQ (\d+)`)

// maxModSeq returns the highest modseq a response names.
func maxModSeq(lines ...string) uint64 {
	var best uint64
	for _, m := range modseqRE.FindAllStringSubmatch(strings.Join(lines, "\n"), -1) {
		n, _ := strconv.ParseUint(m[1]+m[2], 10, 64)
		best = max(best, n)
	}
	return best
}

// TestCrashModSeqNeverGoesBack: clients toggle flags with CONDSTORE on, in
// every format, while the daemon is killed with SIGKILL; after each
// restart HIGHESTMODSEQ is at least every modseq a client was told, and
// the next change gets a modseq above every one any client ever saw (RFC
// 7162 section 3.1: a modseq never goes backwards).
func TestCrashModSeqNeverGoesBack(t *testing.T) {
	d := startDaemon(t, crashConfig(), "")
	boxes := make([]string, len(crashFormats))
	c, err := dialCrash(d)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range crashFormats {
		boxes[i] = f.prefix + "modseq"
		if _, err := c.ok("CREATE " + boxes[i]); err != nil {
			t.Fatal(err)
		}
		for k := 0; k < 3; k++ {
			if _, err := c.command("APPEND "+boxes[i], []byte("Subject: m\r\n\r\nmodseq body\r\n")); err != nil {
				t.Fatal(err)
			}
		}
	}
	c.conn.Close()
	seen := make([]uint64, len(boxes)) // the highest modseq each client saw
	var mu sync.Mutex
	for round := 0; round < 3; round++ {
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for i, box := range boxes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := dialCrash(d)
				if err != nil {
					return
				}
				defer c.conn.Close()
				if _, err := c.ok("ENABLE CONDSTORE"); err != nil {
					return
				}
				if _, err := c.ok("SELECT " + box); err != nil {
					return
				}
				for n := 0; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					op := "+"
					if n%2 == 1 {
						op = "-"
					}
					r, err := c.command("STORE "+strconv.Itoa(1+n%3)+" "+op+"FLAGS (\\Flagged)", nil)
					if err != nil {
						return
					}
					// An unanswered STORE may have been told to no one;
					// what was sent back counts whether or not the
					// tagged OK came.
					mu.Lock()
					seen[i] = max(seen[i], maxModSeq(r.untagged...))
					mu.Unlock()
				}
			}()
		}
		time.Sleep(time.Duration(100+round*150) * time.Millisecond)
		d.kill()
		close(stop)
		wg.Wait()
		d = d.restart(t)
		c, err := dialCrash(d)
		if err != nil {
			t.Fatal(err)
		}
		for i, box := range boxes {
			r, err := c.ok("SELECT " + box)
			if err != nil {
				t.Fatal(err)
			}
			h := maxModSeq(r.untagged...)
			if h < seen[i] {
				t.Errorf("%s, round %d: HIGHESTMODSEQ %d after the restart, below %d a client was told", box, round, h, seen[i])
			}
			// Flags message 1 has never had: a real change.
			if _, err := c.ok("STORE 1 FLAGS ($round" + strconv.Itoa(round) + ")"); err != nil {
				t.Fatal(err)
			}
			r, err = c.ok("FETCH 1 (MODSEQ)")
			if err != nil {
				t.Fatal(err)
			}
			if m := maxModSeq(r.untagged...); m <= seen[i] || m <= h {
				t.Errorf("%s, round %d: the first change after the restart got modseq %d, not above %d (seen) and %d (HIGHESTMODSEQ)", box, round, m, seen[i], h)
			} else {
				seen[i] = m
			}
		}
		c.conn.Close()
	}
	d.stop(10 * time.Second)
}
