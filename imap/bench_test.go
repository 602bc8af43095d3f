package imap_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/storage"
)

// fillMaildir writes n messages straight into alice's INBOX maildir, as a
// delivery agent would, with imap4d-style UIDs so that the first SELECT
// need not rename them.
func fillMaildir(tb testing.TB, e *testEnv, n int) {
	tb.Helper()
	fillMaildirWith(tb, e, n, func(i int) string {
		return strings.Repeat("Some text of the body, line after line.\n", 20+i%50)
	})
}

// fillMaildirWith is fillMaildir with message i's body text from body.
func fillMaildirWith(tb testing.TB, e *testEnv, n int, body func(i int) string) {
	tb.Helper()
	dir := filepath.Join(e.root, "alice", "INBOX")
	for _, d := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			tb.Fatal(err)
		}
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		body := fmt.Sprintf("From: Sender %d <sender%d@example.org>\nTo: alice@example.org\nCc: team: a@example.org, b@example.org;\nSubject: message number %d about things\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <%d@example.org>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s\n",
			i, i, i, i, body(i))
		name := fmt.Sprintf("%d.M%dP1.bench,S=%d,u=%d:2,%s", 1700000000+i, i, len(body), i, map[bool]string{true: "S", false: ""}[i%3 == 0])
		p := filepath.Join(dir, "cur", name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			tb.Fatal(err)
		}
		t := base.Add(time.Duration(i) * time.Minute)
		os.Chtimes(p, t, t)
	}
	prop := fmt.Sprintf("uidnext: %d\nuid-validity: 1700000000\nversion: 3.15\n", n+1)
	if err := os.WriteFile(filepath.Join(dir, ".mu-prop"), []byte(prop), 0o600); err != nil {
		tb.Fatal(err)
	}
	// A mailbox that has been quiet for an hour, as after a restart: the
	// maildir index is trusted only when new/ and cur/ are not fresh.
	hourAgo := time.Now().Add(-time.Hour)
	for _, d := range []string{"cur", "new"} {
		os.Chtimes(filepath.Join(dir, d), hourAgo, hourAgo)
	}
}

// Cache states a benchmark runs in.
const (
	cold   = iota // mailbox state and cache file gone: everything read from the messages
	reopen        // mailbox state gone, cache file kept (a new process, a new session)
	warm          // another session keeps the mailbox open
)

// benchCommand times one command on a logged-in raw connection.
func benchCommand(b *testing.B, n int, state int, setup, cmd string) {
	noLinger(b)
	e := startServer(b, nil)
	fillMaildir(b, e, n)
	c := e.raw()
	c.login("alice")
	if state == warm {
		// Another session keeps the mailbox open (and its caches full).
		h := e.raw()
		h.login("alice")
		h.ok("h EXAMINE INBOX")
		if setup != "" {
			c.ok("s0 " + setup)
		}
		c.ok("w " + cmd)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if state != warm {
			// Nothing keeps the mailbox open: its state goes, and setup
			// (untimed) loads it again from disk.
			b.StopTimer()
			c.do("u UNSELECT")
			if state == cold {
				os.Remove(filepath.Join(e.root, "alice", "INBOX", ".mailgate-cache"))
			}
			if setup != "" {
				c.ok("s " + setup)
			}
			b.StartTimer()
		}
		c.ok("c " + cmd)
	}
}

func BenchmarkSelect10k(b *testing.B) {
	b.Run("cold", func(b *testing.B) { benchCommand(b, 10000, cold, "", "SELECT INBOX") })
	b.Run("warm", func(b *testing.B) { benchCommand(b, 10000, warm, "", "SELECT INBOX") })
}

func BenchmarkFetchFlags10k(b *testing.B) {
	b.Run("cold", func(b *testing.B) { benchCommand(b, 10000, cold, "SELECT INBOX", "FETCH 1:* (UID FLAGS)") })
	b.Run("warm", func(b *testing.B) { benchCommand(b, 10000, warm, "SELECT INBOX", "FETCH 1:* (UID FLAGS)") })
}

func BenchmarkFetchEnvelope10k(b *testing.B) {
	b.Run("cold", func(b *testing.B) { benchCommand(b, 10000, cold, "SELECT INBOX", "FETCH 1:* ENVELOPE") })
	b.Run("reopen", func(b *testing.B) { benchCommand(b, 10000, reopen, "SELECT INBOX", "FETCH 1:* ENVELOPE") })
	b.Run("warm", func(b *testing.B) { benchCommand(b, 10000, warm, "SELECT INBOX", "FETCH 1:* ENVELOPE") })
}

func BenchmarkFetchBodyStructure10k(b *testing.B) {
	b.Run("cold", func(b *testing.B) { benchCommand(b, 10000, cold, "SELECT INBOX", "FETCH 1:* BODYSTRUCTURE") })
	b.Run("reopen", func(b *testing.B) { benchCommand(b, 10000, reopen, "SELECT INBOX", "FETCH 1:* BODYSTRUCTURE") })
	b.Run("warm", func(b *testing.B) { benchCommand(b, 10000, warm, "SELECT INBOX", "FETCH 1:* BODYSTRUCTURE") })
}

// benchMessage is the n-th message of the benchmark corpus, with LF line
// ends as files hold them.
func benchMessage(i int) string {
	return fmt.Sprintf("From: Sender %d <sender%d@example.org>\nTo: alice@example.org\nCc: team: a@example.org, b@example.org;\nSubject: message number %d about things\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <%d@example.org>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s",
		i, i, i, i, strings.Repeat("Some text of the body, line after line.\n", 20+i%50))
}

// fillMbox writes n messages into alice's INBOX as an mbox that imap4d
// served (X-IMAPbase, X-UID, Status).
func fillMbox(tb testing.TB, e *testEnv, n int) {
	tb.Helper()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString("From sender@example.org Mon Jan  1 00:00:00 2024\n")
		if i == 1 {
			fmt.Fprintf(&b, "X-IMAPbase: %20d %20d\n", 1700000000, n+1)
		}
		status := "O"
		if i%3 == 0 {
			status = "RO"
		}
		fmt.Fprintf(&b, "Status: %s\nX-UID: %d\n", status, i)
		b.WriteString(benchMessage(i))
		b.WriteString("\n")
	}
	os.MkdirAll(filepath.Join(e.root, "alice"), 0o700)
	if err := os.WriteFile(filepath.Join(e.root, "alice", "mbox"), []byte(b.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// peakRSS reports the process's peak resident set size (VmHWM) in MiB.
func peakRSS() float64 {
	data, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(line[6:]), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}

// Benchmark100k runs SELECT, FETCH 1:* (FLAGS) and FETCH 1:* ENVELOPE
// over 100,000 messages in maildir and in mbox, cold and warm. Peak RSS
// is the whole test process's (client, server and fixture included);
// run one sub-benchmark at a time (-bench 'Benchmark100k/mbox/select/cold')
// to read it for that case alone.
func Benchmark100k(b *testing.B) {
	const n = 100_000
	formats := []struct {
		name   string
		layout func(string, *storage.Layout)
		fill   func(testing.TB, *testEnv, int)
		cache  string // what a cold run removes: the cache file or index
	}{
		{"maildir", nil, fillMaildir, filepath.Join("INBOX", ".mailgate-cache")},
		{"mbox", mboxInbox, fillMbox, ".mbox.mgidx"},
	}
	for _, f := range formats {
		for _, op := range []struct{ name, setup, cmd string }{
			{"select", "", "SELECT INBOX"},
			{"flags", "SELECT INBOX", "FETCH 1:* (FLAGS)"},
			{"envelope", "SELECT INBOX", "FETCH 1:* ENVELOPE"},
		} {
			for _, st := range []struct {
				name  string
				state int
			}{{"cold", cold}, {"warm", warm}} {
				b.Run(f.name+"/"+op.name+"/"+st.name, func(b *testing.B) {
					noLinger(b)
					e := startServerLayout(b, f.layout, nil)
					f.fill(b, e, n)
					c := e.raw()
					c.login("alice")
					if st.state == warm {
						h := e.raw()
						h.login("alice")
						h.ok("h EXAMINE INBOX")
						if op.setup != "" {
							c.ok("s0 " + op.setup)
						}
						c.ok("w " + op.cmd)
					}
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						if st.state == cold {
							b.StopTimer()
							c.do("u UNSELECT")
							if f.cache != "" {
								os.Remove(filepath.Join(e.root, "alice", f.cache))
							}
							if op.setup != "" {
								c.ok("s " + op.setup)
							}
							b.StartTimer()
						}
						c.ok("c " + op.cmd)
					}
					b.ReportMetric(peakRSS(), "peak-RSS-MiB")
				})
			}
		}
	}
}

// noLinger makes the benchmark's stores drop a mailbox as soon as nobody
// has it selected, so that "cold" reads it from disk.
func noLinger(b *testing.B) {
	storeLinger = -1
	b.Cleanup(func() { storeLinger = 0 })
}

func BenchmarkSearch10k(b *testing.B) {
	b.Run("from/cold", func(b *testing.B) { benchCommand(b, 10000, cold, "SELECT INBOX", "SEARCH FROM sender77") })
	b.Run("from/warm", func(b *testing.B) { benchCommand(b, 10000, warm, "SELECT INBOX", "SEARCH FROM sender77") })
	b.Run("text/warm", func(b *testing.B) { benchCommand(b, 10000, warm, "SELECT INBOX", "SEARCH TEXT nowhere") })
	b.Run("unseen/warm", func(b *testing.B) { benchCommand(b, 10000, warm, "SELECT INBOX", "SEARCH UNSEEN") })
}

// BenchmarkFetchBodies10k fetches 1,000 whole messages, as the harness's
// "UID FETCH 1000 msgs BODY.PEEK[]" row does: per-message costs show.
func BenchmarkFetchBodies10k(b *testing.B) {
	b.Run("warm", func(b *testing.B) {
		benchCommand(b, 10000, warm, "SELECT INBOX", "UID FETCH 1:1000 BODY.PEEK[]")
	})
}

// BenchmarkStoreOne10k flags and unflags single messages, as the mixed
// workload's clients do: the file watcher must not make the mailbox be
// re-read after each of the server's own renames.
func BenchmarkStoreOne10k(b *testing.B) {
	benchToggle(b, func(i int) string { return strconv.Itoa(1 + (i/2)%10000) })
}

// BenchmarkStoreAll10k flags and unflags every message of a 10,000-message
// mailbox, as the harness's STORE 1:10000 row does.
func BenchmarkStoreAll10k(b *testing.B) {
	benchToggle(b, func(int) string { return "1:*" })
}

// benchToggle times STOREs that add \Flagged to the messages set(i)
// names on even rounds and remove it on odd ones.
func benchToggle(b *testing.B, set func(i int) string) {
	noLinger(b)
	e := startServer(b, nil)
	fillMaildir(b, e, 10000)
	c := e.raw()
	c.login("alice")
	c.ok("s SELECT INBOX")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		op := "+"
		if i%2 == 1 {
			op = "-"
		}
		c.ok("c STORE " + set(i) + " " + op + "FLAGS.SILENT (\\Flagged)")
	}
}

// BenchmarkSort10k times SORT and THREAD over 10,000 messages: cold (no
// cache file: every header read), reopened (the cache file read) and warm.
func BenchmarkSort10k(b *testing.B) {
	for _, st := range []struct {
		name  string
		state int
	}{{"cold", cold}, {"reopen", reopen}, {"warm", warm}} {
		b.Run("date/"+st.name, func(b *testing.B) { benchCommand(b, 10000, st.state, "SELECT INBOX", "SORT (DATE) UTF-8 ALL") })
		b.Run("references/"+st.name, func(b *testing.B) {
			benchCommand(b, 10000, st.state, "SELECT INBOX", "THREAD REFERENCES UTF-8 ALL")
		})
	}
}

// BenchmarkSearchIndexed100k: SEARCH TEXT and BODY over 100,000
// messages with the full-text index complete (warm: another session
// keeps the mailbox open), for a word that 1% of the messages hold: the
// index narrows to them, and each is then read to check it.
func BenchmarkSearchIndexed100k(b *testing.B) {
	const n = 100_000
	e := startServerStore(b, func(root string, o *storage.Options) {
		o.FullText = &storage.FullText{Dir: filepath.Join(root, "fts"), Extract: imap.FullTextDoc}
	}, nil, nil)
	fillMaildirWith(b, e, n, func(i int) string {
		text := strings.Repeat("Some text of the body, line after line, about meetings.\n", 20+i%50)
		if i%100 == 0 {
			text += "The word is xyzzy-plugh.\n"
		}
		return text
	})
	h := e.raw()
	h.login("alice")
	h.ok("h EXAMINE INBOX")
	start := time.Now()
	waitIndexed(b, e.root, n)
	b.Logf("index of %d messages built in %.1f s", n, time.Since(start).Seconds())
	// The build ends by merging the log into the segment: the searches
	// are timed after it, when the log is empty again (a header alone).
	logs, _ := filepath.Glob(filepath.Join(e.root, "fts", "*.fts"))
	for deadline := time.Now().Add(time.Minute); len(logs) == 1 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if fi, err := os.Stat(logs[0]); err == nil && fi.Size() < 100 {
			break
		}
	}
	c := e.raw()
	c.login("alice")
	c.ok("s SELECT INBOX")
	for _, key := range []string{"TEXT", "BODY"} {
		b.Run(strings.ToLower(key), func(b *testing.B) {
			for b.Loop() {
				if got := c.rawSearch(key + " xyzzy-plugh"); strings.Count(got, " ") != 1+n/100 { // "* SEARCH" and the hits
					b.Fatalf("SEARCH %s: %d hits", key, strings.Count(got, " ")-1)
				}
			}
		})
	}
}

// BenchmarkFetchEnvelopeFirst10k times what the harness's "FETCH 1:*
// (ENVELOPE) (first)" row does: on a maildir of 10,000 messages written
// by another program, the first SELECT, a FETCH 1:* FLAGS, then the
// timed FETCH 1:* ENVELOPE, which reads every message's header, while
// the full-text index build that the SELECT started runs beside it
// (fts) or without one (nofts). cpu-ns/op is the whole process's CPU
// time during the FETCH: the build's share shows as the difference.
func BenchmarkFetchEnvelopeFirst10k(b *testing.B) {
	const n = 10_000
	for _, fts := range []bool{true, false} {
		b.Run(map[bool]string{true: "fts", false: "nofts"}[fts], func(b *testing.B) {
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				e := startServerStore(b, func(root string, o *storage.Options) {
					if fts {
						o.FullText = &storage.FullText{Dir: filepath.Join(root, "fts"), Extract: imap.FullTextDoc, Derive: imap.HeaderCache}
					}
				}, nil, nil)
				fillMaildir(b, e, n)
				c := e.raw()
				c.login("alice")
				c.ok("s SELECT INBOX")
				c.ok("f FETCH 1:* (FLAGS)")
				b.StartTimer()
				start := cpuNow()
				if got := len(c.ok("e FETCH 1:* (ENVELOPE)")); got < n {
					b.Fatalf("%d lines", got)
				}
				cpu += cpuNow() - start
				b.StopTimer()
				c.do("l LOGOUT")
				// The build stops when the store closes, and Close
				// waits for it to write its files: before the test's
				// directory goes.
				e.store.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuNow returns the CPU time the process has used.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
