package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailgate/mailgate/bench/internal/corpus"
	"github.com/mailgate/mailgate/bench/internal/server"
	"github.com/mailgate/mailgate/lmtp/lmtptest"
)

// LMTPParams configure the LMTP delivery comparison (bench/run --lmtp):
// mailgate's LMTP against Dovecot's, on the same storage format.
type LMTPParams struct {
	MailgateBin string
	// Messages is how many messages each row delivers per run.
	Messages int
	// Runs is how many times each row is measured; the report gives the
	// median.
	Runs int
	// Senders are the rows' numbers of concurrent senders, each on its
	// own connection.
	Senders []int
	// Formats are the storage formats compared: "maildir", "mbox".
	Formats  []string
	WorkDir  string
	Keep     bool
	Progress io.Writer
}

// LMTPFull is the full comparison: 2,000 messages per row, 3 runs.
func LMTPFull() LMTPParams {
	return LMTPParams{Messages: 2000, Runs: 3, Senders: []int{1, 10}, Formats: []string{"maildir", "mbox"}}
}

// LMTPSmoke is the same code on a few messages.
func LMTPSmoke() LMTPParams {
	return LMTPParams{Messages: 40, Runs: 1, Senders: []int{1, 10}, Formats: []string{"maildir", "mbox"}}
}

// lmtpMessageSize is the size of each message, as issue 12 asks.
const lmtpMessageSize = 4096

// LMTPRow is one measured row: a server, a format, a number of senders.
type LMTPRow struct {
	Server  string    `json:"server"`
	Format  string    `json:"format"`
	Senders int       `json:"senders"`
	Samples []float64 `json:"samples"` // messages per second, one per run
	Median  float64   `json:"median"`
}

// LMTPReport is what RunLMTP measured.
type LMTPReport struct {
	Started  time.Time         `json:"started"`
	Params   LMTPParams        `json:"params"`
	Versions map[string]string `json:"versions"`
	Rows     []LMTPRow         `json:"rows"`
	Skipped  map[string]string `json:"skipped,omitempty"`
	Errors   []string          `json:"errors,omitempty"`
}

// lmtpServer is a server of the comparison with its LMTP address.
type lmtpServer interface {
	server.Server
	LMTPAddr() string
}

// RunLMTP measures LMTP delivery of 4 KiB messages into one user's INBOX,
// for every format and number of senders, on mailgate and on Dovecot
// (skipped when not installed), and checks that every message was stored
// exactly once. A delivery is counted when its 250 arrives, which both
// servers give only once the message is on disk.
func RunLMTP(ctx context.Context, p LMTPParams) (*LMTPReport, error) {
	if p.Progress == nil {
		p.Progress = io.Discard
	}
	rep := &LMTPReport{Started: time.Now(), Params: p, Versions: map[string]string{}, Skipped: map[string]string{}}
	work, cleanup, err := workDir(p.WorkDir, "mailgate-bench-lmtp-", p.Keep)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	logf := func(format string, args ...any) { fmt.Fprintf(p.Progress, "bench: "+format+"\n", args...) }
	for _, format := range p.Formats {
		mbox := format == "mbox"
		for _, srv := range []lmtpServer{
			&server.Mailgate{Bin: p.MailgateBin, LMTP: true, Mbox: mbox},
			&server.Dovecot{LMTP: true, Mbox: mbox},
		} {
			name := strings.TrimSuffix(srv.Name(), "-mbox")
			if err := srv.Available(); err != nil {
				rep.Skipped[name] = err.Error()
				logf("%s skipped: %v", name, err)
				continue
			}
			dir := filepath.Join(work, name+"-"+format)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return rep, err
			}
			if err := lmtpServerRows(ctx, p, rep, srv, name, format, dir, logf); err != nil {
				rep.Errors = append(rep.Errors, fmt.Sprintf("%s %s: %v", name, format, err))
				logf("%s %s: %v", name, format, err)
			}
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
		}
	}
	if _, ok := rep.Versions["mailgate"]; !ok {
		return rep, errors.New("mailgate did not run")
	}
	return rep, nil
}

// workDir makes the directory a comparison's servers live in: dir, or a
// new temporary one named after pattern when dir is "". cleanup removes
// it unless keep.
func workDir(dir, pattern string, keep bool) (work string, cleanup func(), err error) {
	work = dir
	if work == "" {
		if work, err = os.MkdirTemp("", pattern); err != nil {
			return "", nil, err
		}
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return "", nil, err
	}
	cleanup = func() {}
	if !keep {
		cleanup = func() { os.RemoveAll(work) }
	}
	if err := os.Chmod(work, 0o755); err != nil {
		cleanup()
		return "", nil, err
	}
	return work, cleanup, nil
}

// lmtpServerRows starts srv, measures its rows and checks what it stored.
func lmtpServerRows(ctx context.Context, p LMTPParams, rep *LMTPReport, srv lmtpServer, name, format, dir string, logf func(string, ...any)) error {
	target, err := srv.Setup(ctx, dir)
	if err != nil {
		return err
	}
	if err := srv.Start(ctx); err != nil {
		return err
	}
	defer srv.Stop()
	rep.Versions[name] = srv.Version()
	delivered := 0
	for _, senders := range p.Senders {
		row := LMTPRow{Server: name, Format: format, Senders: senders}
		for run := range p.Runs {
			rate, err := deliverLMTP(ctx, srv.LMTPAddr(), senders, p.Messages, fmt.Sprintf("%d-%d", senders, run))
			if err != nil {
				return fmt.Errorf("%d senders: %w\n%s", senders, err, srv.Log())
			}
			delivered += p.Messages
			row.Samples = append(row.Samples, rate)
		}
		row.Median = median(row.Samples)
		logf("%s %s, %d senders: %.0f messages/s (%v)", name, format, senders, row.Median, row.Samples)
		rep.Rows = append(rep.Rows, row)
	}
	n, err := countStored(target)
	if err != nil {
		return err
	}
	if n != delivered {
		return fmt.Errorf("%d messages acknowledged, %d stored in %s", delivered, n, target.Path)
	}
	return nil
}

// lmtpBenchMessage returns a 4 KiB message whose subject is unique.
func lmtpBenchMessage(id string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: s@example.net\r\nTo: bench@bench.test\r\nSubject: bench %s\r\n\r\n", id)
	for b.Len() < lmtpMessageSize-80 {
		b.WriteString("a line of a benchmark message, about seventy octets long, as mail is\r\n")
	}
	return b.String()
}

// deliverLMTP delivers n messages to bench from senders concurrent
// connections and returns the messages per second.
func deliverLMTP(ctx context.Context, addr string, senders, n int, tag string) (float64, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	start := time.Now()
	for range senders {
		wg.Go(func() {
			c, err := lmtptest.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for {
				k := next.Add(1)
				if k > int64(n) || ctx.Err() != nil {
					return
				}
				res, err := lmtptest.Send(c, "s@example.net", []string{"bench@bench.test"}, lmtpBenchMessage(fmt.Sprintf("%s-%d", tag, k)))
				if err == nil && res.Data["bench@bench.test"] != "250" {
					err = fmt.Errorf("delivery refused: %v %v", res.Rcpt, res.Data)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return float64(n) / elapsed.Seconds(), ctx.Err()
}

// countStored counts the messages in a maildir (new and cur) or an mbox
// file (its From_ lines; the benchmark's bodies have none).
func countStored(t corpus.Target) (int, error) {
	if t.Format == corpus.Mbox {
		data, err := os.ReadFile(t.Path)
		if err != nil {
			return 0, err
		}
		n := bytes.Count(data, []byte("\nFrom "))
		if bytes.HasPrefix(data, []byte("From ")) {
			n++
		}
		return n, nil
	}
	n := 0
	for _, sub := range []string{"new", "cur"} {
		entries, err := os.ReadDir(filepath.Join(t.Path, sub))
		if err != nil {
			return 0, err
		}
		n += len(entries)
	}
	return n, nil
}

// OK reports whether every server that ran stored what it acknowledged.
func (r *LMTPReport) OK() bool { return len(r.Errors) == 0 }

// WriteTable prints the rows, mailgate beside Dovecot, with the ratio.
func (r *LMTPReport) WriteTable(w io.Writer) {
	p := &r.Params
	fmt.Fprintf(w, "\nLMTP delivery: %d-byte messages to one user, %d per run, median of %d runs, messages/s (higher is better)\n",
		lmtpMessageSize, p.Messages, p.Runs)
	for _, name := range []string{"mailgate", "dovecot"} {
		if v, ok := r.Versions[name]; ok {
			fmt.Fprintf(w, "  %-9s %s\n", name, v)
		} else if why, ok := r.Skipped[name]; ok {
			fmt.Fprintf(w, "  %-9s skipped: %s\n", name, why)
		}
	}
	fmt.Fprintf(w, "%-8s %8s %12s %12s %10s\n", "format", "senders", "mailgate", "dovecot", "mg/dovecot")
	for _, format := range p.Formats {
		for _, senders := range p.Senders {
			mg, dc := r.rate("mailgate", format, senders), r.rate("dovecot", format, senders)
			ratio := "-"
			if mg > 0 && dc > 0 {
				ratio = fmt.Sprintf("%.2fx", mg/dc)
			}
			fmt.Fprintf(w, "%-8s %8d %12s %12s %10s\n", format, senders, rateText(mg), rateText(dc), ratio)
		}
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "ERROR: %s\n", firstLineOf(e))
	}
}

func (r *LMTPReport) rate(name, format string, senders int) float64 {
	for _, row := range r.Rows {
		if row.Server == name && row.Format == format && row.Senders == senders {
			return row.Median
		}
	}
	return 0
}

func rateText(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", v)
}

// WriteJSON writes the report into dir as <timestamp>-lmtp.json and
// returns its path.
func (r *LMTPReport) WriteJSON(dir string) (string, error) {
	return writeJSON(dir, r.Started.UTC().Format("20060102T150405Z")+"-lmtp.json", r)
}
