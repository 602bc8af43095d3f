package bench

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/bench/internal/harness"
)

// TestSmoke runs the benchmark's smoke code path on a tiny mailbox:
// mailgate always, Dovecot and GNU imap4d when they are installed. It
// checks only that every server answered correctly, never timings.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers; skipped with -short")
	}
	ctx, bin := buildMailgate(t)

	p := harness.Smoke()
	p.N = 60
	p.BigSizes = []int{256 << 10}
	p.WarmRuns = 1
	// Twice, so that putting the new mailbox back is tested on every
	// server.
	p.FirstRuns = 2
	p.Logins = 2
	p.ConnSetups = 2
	p.Append1 = 3
	p.AppendClients = 2
	p.AppendEach = 1
	p.MixedClients = []int{2}
	p.MixedTime = 300 * time.Millisecond
	p.IdleClients = 3
	p.MailgateBin = bin
	p.Progress = logWriter{t}

	rep, err := harness.Run(ctx, p)
	if rep != nil {
		logTable(t, rep)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Servers {
		switch {
		case s.Status == "skipped":
			if s.Name == "mailgate" {
				t.Errorf("mailgate was skipped: %s", s.Reason)
			} else {
				t.Logf("%s skipped: %s", s.Name, s.Reason)
			}
		case s.Status != "ok":
			t.Errorf("%s: %s %s", s.Name, s.Status, s.Reason)
		}
		for _, e := range s.Errors {
			t.Errorf("%s: %s", s.Name, e)
		}
	}
	if !rep.OK() {
		t.Error("the smoke comparison failed")
	}
	for _, key := range []string{"select.first", "fetch_envelope.warm", "search_text.cold", "store_flags", "append_1", "idle_rss", "big_rate",
		"session", "session_inetd", "qresync", "noop.cold"} {
		if m := rep.Servers[0].Metrics[key]; m == nil || len(m.Samples) == 0 {
			t.Errorf("mailgate has no %s measurement", key)
		}
	}
	// Every server that ran has a sample of every first run: each was a
	// first access, checked.
	for _, s := range rep.Servers {
		n := 0
		if m := s.Metrics["select.first"]; m != nil {
			n = len(m.Samples)
		}
		if s.Status == "ok" && n != p.FirstRuns {
			t.Errorf("%s: SELECT (first) measured %d times, want %d", s.Name, n, p.FirstRuns)
		}
	}
	// A CPU figure may be missing (less than a clock tick of CPU in a
	// smoke run's small FETCH), but never silently: each run gives a
	// sample or a reason.
	for _, key := range []string{"fetch_body_cpu.warm", "big_cpu"} {
		m := rep.Servers[0].Metrics[key]
		switch {
		case m == nil || len(m.Samples)+len(m.Missing) == 0:
			t.Errorf("mailgate has no %s measurement and no reason why", key)
		case len(m.Missing) > 0:
			t.Logf("mailgate: %s: %d runs without a figure: %q", key, len(m.Missing), m.Missing)
		}
	}
}

// logWriter sends the harness's progress lines to the test log.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// TestLMTPSmoke runs the LMTP comparison's code path (bench/run --lmtp)
// on a few messages: mailgate always, Dovecot's LMTP when installed. It
// checks only that every acknowledged message was stored once.
func TestLMTPSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers; skipped with -short")
	}
	ctx, bin := buildMailgate(t)
	p := harness.LMTPSmoke()
	p.Messages = 12
	p.Senders = []int{1, 3}
	p.MailgateBin = bin
	p.Progress = logWriter{t}
	rep, err := harness.RunLMTP(ctx, p)
	if rep != nil {
		logTable(t, rep)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Errorf("the LMTP comparison failed: %q", rep.Errors)
	}
	if len(rep.Rows) < 4 {
		t.Errorf("%d rows measured; want mailgate's four at least", len(rep.Rows))
	}
}

// buildMailgate builds mailgate for a smoke test, and returns it with a
// context that bounds the test.
func buildMailgate(t *testing.T) (context.Context, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	bin := filepath.Join(t.TempDir(), "mailgate")
	if err := harness.BuildMailgate(ctx, bin); err != nil {
		t.Fatal(err)
	}
	return ctx, bin
}

// logTable logs a run's table.
func logTable(t *testing.T, rep interface{ WriteTable(io.Writer) }) {
	t.Helper()
	var b bytes.Buffer
	rep.WriteTable(&b)
	t.Log(b.String())
}

// TestSortThreadDifferential runs the SORT and THREAD comparison (bench/run
// --sort) on a small corpus: SORT (DATE) is checked against the corpus,
// and every SORT and THREAD answer of mailgate against Dovecot's when
// Dovecot is installed.
func TestSortThreadDifferential(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers; skipped with -short")
	}
	ctx, bin := buildMailgate(t)
	p := harness.SortThreadSmoke()
	p.N = 1000
	p.MailgateBin = bin
	p.Progress = logWriter{t}
	rep, err := harness.RunSortThread(ctx, p)
	if rep != nil {
		logTable(t, rep)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rep.Errors {
		t.Error(e)
	}
	if _, ok := rep.Versions["dovecot"]; ok && rep.Compared == 0 {
		t.Error("no answer was compared with Dovecot's")
	}
}
