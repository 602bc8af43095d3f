package harness

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/mailgate/mailgate/bench/internal/corpus"
	"github.com/mailgate/mailgate/bench/internal/server"
)

// SortThreadParams configure the SORT and THREAD comparison (bench/run
// --sort): mailgate against Dovecot on one corpus, every answer compared
// between them.
type SortThreadParams struct {
	MailgateBin string
	N           int    // messages in INBOX
	Seed        uint64 // the corpus's seed
	Runs        int    // warm repetitions of each timed command
	Timeout     time.Duration
	WorkDir     string
	Keep        bool
	Progress    io.Writer `json:"-"`
}

// SortThreadFull is the comparison on n messages.
func SortThreadFull(n int) SortThreadParams {
	return SortThreadParams{N: n, Seed: 1, Runs: 5, Timeout: 10 * time.Minute}
}

// SortThreadSmoke is the same code on a small mailbox.
func SortThreadSmoke() SortThreadParams {
	return SortThreadParams{N: 300, Seed: 1, Runs: 2, Timeout: time.Minute}
}

// sortThreadTimed are the commands measured; sortThreadCompared are only
// compared between the servers, once.
var (
	sortThreadTimed    = []string{"SORT (DATE) UTF-8 ALL", "THREAD REFERENCES UTF-8 ALL"}
	sortThreadCompared = []string{
		"SORT (SUBJECT) UTF-8 ALL", "SORT (REVERSE SUBJECT) UTF-8 ALL",
		"SORT (FROM) UTF-8 ALL", "SORT (TO) UTF-8 ALL", "SORT (CC) UTF-8 ALL",
		"SORT (SIZE) UTF-8 ALL", "SORT (ARRIVAL) UTF-8 ALL", "SORT (REVERSE DATE) UTF-8 ALL",
		"SORT (DISPLAYFROM) UTF-8 ALL", "SORT (DISPLAYTO) UTF-8 ALL",
		"SORT (SUBJECT REVERSE DATE) UTF-8 ALL", "UID SORT (FROM REVERSE SIZE) UTF-8 UNSEEN",
		"SORT (SUBJECT) UTF-8 FROM " + quote(corpus.SearchFrom),
		"THREAD ORDEREDSUBJECT UTF-8 ALL", "UID THREAD REFERENCES UTF-8 ALL",
		"THREAD REFERENCES UTF-8 SEEN", "THREAD REFS UTF-8 ALL", "UID THREAD REFS UTF-8 SEEN",
		"SORT RETURN (MIN MAX COUNT ALL) (SUBJECT) UTF-8 ALL", "UID SORT RETURN (ALL) (REVERSE DATE) UTF-8 UNSEEN",
		"SORT RETURN (PARTIAL 1:100) (DATE) UTF-8 ALL", "UID SEARCH RETURN (PARTIAL 20:70) UNSEEN",
	}
)

// SortThreadRow is one timed command on one server, in milliseconds.
type SortThreadRow struct {
	Server  string    `json:"server"`
	Command string    `json:"command"`
	First   float64   `json:"first_ms"` // the first ever, on a fresh mailbox
	Cold    float64   `json:"cold_ms"`  // the first after a restart
	Warm    []float64 `json:"warm_ms"`  // repeated on a running server
	Median  float64   `json:"warm_median_ms"`
}

// SortThreadReport is what RunSortThread found.
type SortThreadReport struct {
	Started  time.Time         `json:"started"`
	Params   SortThreadParams  `json:"params"`
	Versions map[string]string `json:"versions"`
	Load     [2][3]float64     `json:"load"` // before and after
	Rows     []SortThreadRow   `json:"rows"`
	Compared int               `json:"compared"` // answers compared with Dovecot's
	Skipped  map[string]string `json:"skipped,omitempty"`
	Errors   []string          `json:"errors,omitempty"`
}

// OK says mailgate ran and every answer was right.
func (r *SortThreadReport) OK() bool {
	_, ran := r.Versions["mailgate"]
	return ran && len(r.Errors) == 0
}

// stServer is one server of the comparison and its session.
type stServer struct {
	srv     server.Server
	w       *wire
	answers map[string][]byte // command → its SORT or THREAD line
}

// RunSortThread loads one corpus into mailgate and Dovecot, runs each
// timed command first, after a restart and warm (the servers taking
// turns), checks SORT (DATE) against the corpus, and compares every
// answer of mailgate with Dovecot's.
func RunSortThread(ctx context.Context, p SortThreadParams) (*SortThreadReport, error) {
	if p.Progress == nil {
		p.Progress = io.Discard
	}
	rep := &SortThreadReport{Started: time.Now(), Params: p, Versions: map[string]string{}, Skipped: map[string]string{}}
	rep.Load[0] = loadAverage()
	work, cleanup, err := workDir(p.WorkDir, "mailgate-bench-sort-", p.Keep)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	logf := func(format string, args ...any) { fmt.Fprintf(p.Progress, "bench: "+format+"\n", args...) }
	c := corpus.New(corpus.Spec{N: p.N, Seed: p.Seed, BigSizes: []int{}})
	var live []*stServer
	var targets []corpus.Target
	for _, srv := range []server.Server{&server.Mailgate{Bin: p.MailgateBin}, &server.Dovecot{}} {
		if err := srv.Available(); err != nil {
			rep.Skipped[srv.Name()] = err.Error()
			logf("%s skipped: %v", srv.Name(), err)
			continue
		}
		dir := filepath.Join(work, srv.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return rep, err
		}
		t, err := srv.Setup(ctx, dir)
		if err != nil {
			return rep, fmt.Errorf("%s: %w", srv.Name(), err)
		}
		rep.Versions[srv.Name()] = srv.Version()
		live = append(live, &stServer{srv: srv, answers: map[string][]byte{}})
		targets = append(targets, t)
	}
	logf("writing %d messages for %d servers", p.N, len(live))
	if err := c.Write(targets, nil); err != nil {
		return rep, fmt.Errorf("writing the corpus: %w", err)
	}
	defer func() {
		for _, s := range live {
			s.stop()
		}
	}()
	start := func() error {
		for _, s := range live {
			if err := s.start(ctx, p.Timeout); err != nil {
				return err
			}
		}
		return nil
	}
	if err := start(); err != nil {
		return rep, err
	}
	rows := make(map[*stServer][]*SortThreadRow)
	for _, s := range live {
		for _, cmd := range sortThreadTimed {
			row := &SortThreadRow{Server: s.srv.Name(), Command: cmd}
			rows[s] = append(rows[s], row)
		}
	}
	// Each timed command: first, cold (after a restart), then warm; the
	// servers take turns command by command.
	for phase := range 2 + p.Runs {
		if phase == 1 {
			for _, s := range live {
				s.stop()
			}
			if err := start(); err != nil {
				return rep, err
			}
		}
		for i, cmd := range sortThreadTimed {
			for _, s := range live {
				d, err := s.run(cmd)
				if err != nil {
					return rep, fmt.Errorf("%s: %w\n%s", s.srv.Name(), err, s.srv.Log())
				}
				row := rows[s][i]
				switch phase {
				case 0:
					row.First = d
				case 1:
					row.Cold = d
				default:
					row.Warm = append(row.Warm, d)
				}
			}
		}
	}
	for _, s := range live {
		for _, row := range rows[s] {
			row.Median = median(row.Warm)
			logf("%s: %s: first %.1f ms, cold %.1f ms, warm %.1f ms (%v)", row.Server, row.Command, row.First, row.Cold, row.Median, row.Warm)
			rep.Rows = append(rep.Rows, *row)
		}
	}
	for _, cmd := range sortThreadCompared {
		for _, s := range live {
			if _, err := s.run(cmd); err != nil {
				return rep, fmt.Errorf("%s: %w", s.srv.Name(), err)
			}
		}
	}
	rep.Load[1] = loadAverage()
	// SORT (DATE): the corpus's Date is also the internal date; ties go
	// by sequence number.
	want := make([]int, len(c.Msgs))
	for i := range want {
		want[i] = i
	}
	slices.SortStableFunc(want, func(a, b int) int { return cmp.Compare(c.Msgs[a].Date.Unix(), c.Msgs[b].Date.Unix()) })
	wantLine := []byte("* SORT")
	for _, i := range want {
		wantLine = strconv.AppendInt(append(wantLine, ' '), int64(i+1), 10)
	}
	for _, s := range live {
		if got := s.answers[sortThreadTimed[0]]; !bytes.Equal(got, wantLine) {
			rep.Errors = append(rep.Errors, fmt.Sprintf("%s: %s: %s", s.srv.Name(), sortThreadTimed[0], firstDifference(got, wantLine)))
		}
	}
	if len(live) == 2 {
		mg, dc := live[0], live[1]
		for _, cmd := range append(slices.Clone(sortThreadTimed), sortThreadCompared...) {
			rep.Compared++
			if a, b := mg.answers[cmd], dc.answers[cmd]; !bytes.Equal(a, b) {
				rep.Errors = append(rep.Errors, fmt.Sprintf("%s: mailgate and Dovecot differ: %s", cmd, firstDifference(a, b)))
			}
		}
	}
	if _, ok := rep.Versions["mailgate"]; !ok {
		return rep, errors.New("mailgate did not run")
	}
	return rep, nil
}

func (s *stServer) start(ctx context.Context, timeout time.Duration) error {
	if err := s.srv.Start(ctx); err != nil {
		return fmt.Errorf("%s: %w", s.srv.Name(), err)
	}
	w, err := dialWire(ctx, s.srv.Addr(), timeout)
	if err != nil {
		return fmt.Errorf("%s: %w", s.srv.Name(), err)
	}
	s.w = w
	if err := w.do("LOGIN "+quote(s.srv.Username())+" "+quote(server.Password), nil); err != nil {
		return fmt.Errorf("%s: %w", s.srv.Name(), err)
	}
	if err := w.do("SELECT INBOX", nil); err != nil {
		return fmt.Errorf("%s: %w", s.srv.Name(), err)
	}
	return nil
}

func (s *stServer) stop() {
	if s.w != nil {
		s.w.close()
		s.w = nil
	}
	s.srv.Stop()
}

// run sends cmd, keeps its SORT, THREAD or ESEARCH line and returns how long the
// answer took in milliseconds.
func (s *stServer) run(cmd string) (float64, error) {
	var line []byte
	t := time.Now()
	err := s.w.do(cmd, func(resp []byte) {
		switch {
		case bytes.HasPrefix(resp, []byte("* SORT")), bytes.HasPrefix(resp, []byte("* THREAD")):
			line = append([]byte(nil), bytes.TrimRight(resp, " ")...)
		case bytes.HasPrefix(resp, []byte("* ESEARCH (TAG ")):
			// The tags are the sessions' own.
			if i := bytes.IndexByte(resp, ')'); i > 0 {
				line = normalESearch(resp[i+1:])
			}
		}
	})
	d := ms(time.Since(t))
	if err != nil {
		return 0, err
	}
	if line == nil {
		return 0, fmt.Errorf("%s: no SORT, THREAD or ESEARCH response", cmd)
	}
	s.answers[cmd] = line
	return d, nil
}

// normalESearch gives the data of an ESEARCH response after its tag with
// its items sorted by name: servers list them in different orders.
func normalESearch(data []byte) []byte {
	fields := bytes.Fields(data)
	var items []string
	uid := false
	for i := 0; i < len(fields); i++ {
		name := string(fields[i])
		if name == "UID" {
			uid = true
			continue
		}
		var value []byte
		for i+1 < len(fields) {
			i++
			value = append(append(value, ' '), fields[i]...)
			if !bytes.HasPrefix(value, []byte(" (")) || bytes.HasSuffix(value, []byte(")")) {
				break
			}
		}
		items = append(items, name+string(value))
	}
	slices.Sort(items)
	out := []byte("* ESEARCH")
	if uid {
		out = append(out, " UID"...)
	}
	for _, it := range items {
		out = append(append(out, ' '), it...)
	}
	return out
}

// firstDifference shows where two answers part.
func firstDifference(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-60)
	clip := func(x []byte) string { return string(x[from:min(len(x), i+60)]) }
	return fmt.Sprintf("at byte %d: %q vs %q", i, clip(a), clip(b))
}

// WriteTable prints the timed rows, mailgate beside Dovecot.
func (r *SortThreadReport) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "\nSORT and THREAD: %d messages, warm median of %d runs (min-max), ms; load %.2f → %.2f\n",
		r.Params.N, r.Params.Runs, r.Load[0][0], r.Load[1][0])
	for _, name := range []string{"mailgate", "dovecot"} {
		if v, ok := r.Versions[name]; ok {
			fmt.Fprintf(w, "  %-9s %s\n", name, v)
		} else if why, ok := r.Skipped[name]; ok {
			fmt.Fprintf(w, "  %-9s skipped: %s\n", name, why)
		}
	}
	fmt.Fprintf(w, "%-30s %-9s %10s %10s %22s\n", "command", "server", "first", "cold", "warm")
	for _, row := range r.Rows {
		lo, hi := slices.Min(row.Warm), slices.Max(row.Warm)
		fmt.Fprintf(w, "%-30s %-9s %10.1f %10.1f %8.1f (%.1f-%.1f)\n", row.Command, row.Server, row.First, row.Cold, row.Median, lo, hi)
	}
	fmt.Fprintf(w, "%d answers compared with Dovecot's\n", r.Compared)
	for _, e := range r.Errors {
		fmt.Fprintf(w, "ERROR: %s\n", e)
	}
}

// WriteJSON writes the report into dir as <timestamp>-sort.json and
// returns its path.
func (r *SortThreadReport) WriteJSON(dir string) (string, error) {
	return writeJSON(dir, r.Started.UTC().Format("20060102T150405Z")+"-sort.json", r)
}
