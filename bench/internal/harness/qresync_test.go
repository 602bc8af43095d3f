package harness

import (
	"context"
	"strings"
	"sync"
	"testing"
)

// TestResyncFetchFault: a FETCH answering SELECT (QRESYNC ...) for a
// changed message is current only with FLAGS as they are now and a MODSEQ
// above the one the client noted.
func TestResyncFetchFault(t *testing.T) {
	const noted = 40
	for _, c := range []struct {
		name       string
		resp       string
		keywordSet bool
		want       string
	}{
		{"set, current", `* 1 FETCH (UID 1 FLAGS (\Seen $BenchResync) MODSEQ (41))`, true, ""},
		{"cleared, current", `* 1 FETCH (UID 1 FLAGS (\Seen) MODSEQ (41))`, false, ""},
		{"cleared, no flags at all", `* 1 FETCH (UID 1 FLAGS () MODSEQ (41))`, false, ""},
		{"keyword in another case", `* 1 FETCH (MODSEQ (41) FLAGS ($benchresync) UID 1)`, true, ""},
		{"cleared, no FLAGS item", `* 1 FETCH (UID 1 MODSEQ (41))`, false, faultNoFlags},
		{"set, no FLAGS item", `* 1 FETCH (UID 1 MODSEQ (41))`, true, faultNoFlags},
		{"set, keyword missing", `* 1 FETCH (UID 1 FLAGS (\Seen) MODSEQ (41))`, true, faultStale},
		{"cleared, keyword still there", `* 1 FETCH (UID 1 FLAGS ($BenchResync) MODSEQ (41))`, false, faultStale},
		{"a longer keyword is not it", `* 1 FETCH (UID 1 FLAGS ($BenchResyncX) MODSEQ (41))`, true, faultStale},
		{"no MODSEQ", `* 1 FETCH (UID 1 FLAGS ())`, false, faultNoModSeq},
		{"MODSEQ as noted", `* 1 FETCH (UID 1 FLAGS () MODSEQ (40))`, false, faultOldModSeq},
		{"MODSEQ below noted", `* 1 FETCH (UID 1 FLAGS () MODSEQ (7))`, false, faultOldModSeq},
		{"MODSEQ too large", `* 1 FETCH (UID 1 FLAGS () MODSEQ (99999999999999999999999))`, false, faultOldModSeq},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := resyncFetchFault([]byte(c.resp), c.keywordSet, noted); got != c.want {
				t.Errorf("resyncFetchFault(%q, %v, %d) = %q; want %q", c.resp, c.keywordSet, noted, got, c.want)
			}
		})
	}
}

// TestQresyncChecksAnswers drives the QRESYNC row against scripted
// servers: one that answers as RFC 7162 asks passes, and one whose FETCH
// responses leave something out is counted as a wrong answer.
func TestQresyncChecksAnswers(t *testing.T) {
	for _, c := range []struct {
		name string
		// fetch is the FETCH response for message 1 after +FLAGS or
		// -FLAGS of the keyword (set) with HIGHESTMODSEQ 40 noted.
		fetch func(set bool) string
		want  string // in the errors; "" for none
	}{
		{"current", func(set bool) string {
			if set {
				return "1 FETCH (UID 1 FLAGS (\\Seen $BenchResync) MODSEQ (41))"
			}
			return "1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ (41))"
		}, ""},
		{"no FLAGS after -FLAGS", func(set bool) string {
			if set {
				return "1 FETCH (UID 1 FLAGS (\\Seen $BenchResync) MODSEQ (41))"
			}
			return "1 FETCH (UID 1 MODSEQ (41))"
		}, "QRESYNC after -FLAGS ($BenchResync), HIGHESTMODSEQ 40 noted before: 1 of the FETCH responses carry no FLAGS"},
		{"no MODSEQ", func(set bool) string {
			if set {
				return "1 FETCH (UID 1 FLAGS ($BenchResync))"
			}
			return "1 FETCH (UID 1 FLAGS ())"
		}, "1 of the FETCH responses carry no MODSEQ"},
		{"old MODSEQ", func(set bool) string {
			if set {
				return "1 FETCH (UID 1 FLAGS ($BenchResync) MODSEQ (40))"
			}
			return "1 FETCH (UID 1 FLAGS () MODSEQ (40))"
		}, "1 of the FETCH responses have a MODSEQ not above the noted HIGHESTMODSEQ"},
		{"stale", func(set bool) string {
			return "1 FETCH (UID 1 FLAGS () MODSEQ (41))"
		}, "QRESYNC after +FLAGS ($BenchResync), HIGHESTMODSEQ 40 noted before: 1 of the FETCH responses have the flags from before"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			set := false
			addr := scriptedIMAP(t, func(command string) ([]string, string) {
				mu.Lock()
				defer mu.Unlock()
				switch {
				case strings.HasPrefix(command, "CAPABILITY"):
					return []string{"CAPABILITY IMAP4rev1 CONDSTORE QRESYNC"}, "OK done"
				case strings.HasPrefix(command, "STORE"):
					set = strings.Contains(command, "+FLAGS")
					return nil, "OK STORE done"
				case strings.HasPrefix(command, "SELECT INBOX (QRESYNC"):
					return []string{"2 EXISTS", "OK [UIDVALIDITY 7] x", "OK [HIGHESTMODSEQ 41] x", c.fetch(set)},
						"OK [READ-WRITE] SELECT done"
				case strings.HasPrefix(command, "SELECT"):
					return []string{"2 EXISTS", "OK [UIDVALIDITY 7] x", "OK [HIGHESTMODSEQ 40] x"},
						"OK [READ-WRITE] SELECT done"
				}
				return nil, "OK done"
			})
			r := testRunner(addr)
			if err := r.qresync(context.Background()); err != nil {
				t.Fatalf("qresync: %v", err)
			}
			errs := strings.Join(r.res.Errors, "\n")
			switch {
			case c.want == "" && errs != "":
				t.Errorf("errors %q; want none", errs)
			case c.want != "" && !strings.Contains(errs, c.want):
				t.Errorf("errors %q; want one with %q", errs, c.want)
			}
			if got := len(r.res.Metrics["qresync"].Samples); got != 2 {
				t.Errorf("%d qresync samples; want 2", got)
			}
		})
	}
}
