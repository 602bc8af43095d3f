// Command mailgate-bench compares mailgate with Dovecot and GNU imap4d: it
// generates a mailbox from a seed, writes it into each server's files,
// runs each server on a loopback port, measures it with go-imap's client
// and checks every answer. bench/run is its usual front end; see
// bench/README.md.
//
// Exit status: 0 when every server that ran answered correctly (and
// mailgate ran), 1 otherwise, 2 for a bad command line.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mailgate/mailgate/bench/internal/harness"
)

func main() {
	os.Exit(run())
}

func run() int {
	fs := flag.NewFlagSet("mailgate-bench", flag.ContinueOnError)
	smoke := fs.Bool("smoke", false, "quick correctness run: tiny mailbox, few clients, same code")
	n := fs.Int("n", 10000, "messages in INBOX (full run)")
	seed := fs.Uint64("seed", 1, "corpus seed")
	first := fs.Int("first-runs", 0, "first-access runs, each on the mailbox put back as just written; 0 keeps the mode's default (3, smoke 1)")
	cold := fs.Int("cold-runs", 0, "cold runs (server restarts); 0 keeps the mode's default")
	warm := fs.Int("warm-runs", 0, "warm runs; 0 keeps the mode's default")
	idle := fs.Int("idle-clients", 0, "clients in IDLE for the memory test; 0 keeps the mode's default")
	mixed := fs.Duration("mixed-time", 0, "duration of each mixed workload; 0 keeps the mode's default")
	opTimeout := fs.Duration("op-timeout", 0, "time bound of every single command (a slower answer is an error); 0 keeps the mode's default")
	serversFlag := fs.String("servers", "", "comma-separated servers to run (default all: "+strings.Join(harness.ServerNames(), ",")+")")
	stepsFlag := fs.String("steps", "", "comma-separated steps to run, each a name's beginning (default all: "+strings.Join(harness.StepNames(), ", ")+")")
	bin := fs.String("mailgate-bin", "", "mailgate binary (default: build it with go build)")
	sha := fs.Bool("mailgate-sha512", false, "give mailgate's account the SHA-512-crypt hash the other servers use instead of user add's bcrypt")
	out := fs.String("out", "bench/results", "directory for the JSON results (\"\" writes none)")
	work := fs.String("workdir", "", "directory for the servers' files (default: a new temporary directory)")
	keep := fs.Bool("keep", false, "keep the servers' files")
	quiet := fs.Bool("quiet", false, "no progress lines on standard error")
	sortMode := fs.Bool("sort", false, "compare SORT (DATE) and THREAD=REFERENCES with Dovecot instead, and every SORT and THREAD answer of a set of commands (-n messages)")
	lmtpMode := fs.Bool("lmtp", false, "compare LMTP delivery (4 KB messages, 1 and 10 senders, maildir and mbox) with Dovecot's LMTP instead")
	lmtpMessages := fs.Int("lmtp-messages", 0, "with --lmtp: messages per row and run; 0 keeps the mode's default (2000, smoke 40)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "mailgate-bench: unexpected arguments %q\n", fs.Args())
		return 2
	}
	p := harness.Full(*n)
	if *smoke {
		p = harness.Smoke()
	}
	p.Seed = *seed
	if *first > 0 {
		p.FirstRuns = *first
	}
	if *cold > 0 {
		p.ColdRuns = *cold
	}
	if *warm > 0 {
		p.WarmRuns = *warm
	}
	if *idle > 0 {
		p.IdleClients = *idle
	}
	if *mixed > 0 {
		p.MixedTime = *mixed
	}
	if *opTimeout > 0 {
		p.OpTimeout = *opTimeout
	}
	if *serversFlag != "" {
		for _, s := range strings.Split(*serversFlag, ",") {
			s = strings.TrimSpace(s)
			known := false
			for _, k := range harness.ServerNames() {
				known = known || k == s
			}
			if !known {
				fmt.Fprintf(os.Stderr, "mailgate-bench: unknown server %q (known: %s)\n", s, strings.Join(harness.ServerNames(), ", "))
				return 2
			}
			p.Servers = append(p.Servers, s)
		}
	}
	if *stepsFlag != "" {
		for _, s := range strings.Split(*stepsFlag, ",") {
			if s = strings.TrimSpace(s); s != "" {
				p.Steps = append(p.Steps, s)
			}
		}
	}
	p.MailgateSHACrypt = *sha
	p.WorkDir, p.Keep = *work, *keep
	if !*quiet {
		p.Progress = os.Stderr
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	p.MailgateBin = *bin
	if p.MailgateBin == "" {
		dir, err := os.MkdirTemp("", "mailgate-bench-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "mailgate-bench:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		p.MailgateBin = filepath.Join(dir, "mailgate")
		t := time.Now()
		if err := harness.BuildMailgate(ctx, p.MailgateBin); err != nil {
			fmt.Fprintln(os.Stderr, "mailgate-bench:", err)
			return 1
		}
		if !*quiet {
			fmt.Fprintf(os.Stderr, "bench: built mailgate in %.1fs\n", time.Since(t).Seconds())
		}
	}

	if *sortMode {
		sp := harness.SortThreadFull(p.N)
		if *smoke {
			sp = harness.SortThreadSmoke()
		}
		if *warm > 0 {
			sp.Runs = *warm
		}
		sp.MailgateBin, sp.WorkDir, sp.Keep, sp.Progress = p.MailgateBin, p.WorkDir, p.Keep, p.Progress
		rep, err := harness.RunSortThread(ctx, sp)
		if rep == nil {
			return finish(nil, err, *out)
		}
		return finish(rep, err, *out)
	}

	if *lmtpMode {
		lp := harness.LMTPFull()
		if *smoke {
			lp = harness.LMTPSmoke()
		}
		if *lmtpMessages > 0 {
			lp.Messages = *lmtpMessages
		}
		if *warm > 0 {
			lp.Runs = *warm
		}
		lp.MailgateBin, lp.WorkDir, lp.Keep, lp.Progress = p.MailgateBin, p.WorkDir, p.Keep, p.Progress
		rep, err := harness.RunLMTP(ctx, lp)
		if rep == nil {
			return finish(nil, err, *out)
		}
		return finish(rep, err, *out)
	}

	rep, err := harness.Run(ctx, p)
	if rep == nil {
		return finish(nil, err, *out)
	}
	return finish(rep, err, *out)
}

// report is what a comparison gives: a table, a JSON file, a verdict.
type report interface {
	WriteTable(w io.Writer)
	WriteJSON(dir string) (string, error)
	OK() bool
}

// finish prints rep (when not nil) and writes its JSON into out (unless
// ""), and returns the exit status: 0 when the run went through and rep
// is OK.
func finish(rep report, err error, out string) int {
	if rep != nil {
		rep.WriteTable(os.Stdout)
		if out != "" {
			if path, werr := rep.WriteJSON(out); werr != nil {
				fmt.Fprintln(os.Stderr, "mailgate-bench: writing results:", werr)
			} else {
				fmt.Printf("results: %s\n", path)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mailgate-bench:", err)
		return 1
	}
	if !rep.OK() {
		return 1
	}
	return 0
}
