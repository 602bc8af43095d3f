package harness

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mailgate/mailgate/bench/internal/corpus"
	"github.com/mailgate/mailgate/bench/internal/server"
)

// Report is everything one benchmark invocation found; it is what the
// JSON file holds.
type Report struct {
	Started  time.Time       `json:"started"`
	Seconds  float64         `json:"seconds"`
	Host     Host            `json:"host"`
	Params   Params          `json:"params"`
	Corpus   CorpusStats     `json:"corpus"`
	Rows     []Def           `json:"rows"`
	Servers  []*ServerResult `json:"servers"`
	Load     []StepLoad      `json:"load"`
	WorkDir  string          `json:"work_dir,omitempty"`
	Problems []string        `json:"problems,omitempty"` // harness-level failures
}

// Host describes the machine.
type Host struct {
	CPUs      int     `json:"cpus"`
	MemGiB    float64 `json:"mem_gib"`
	Kernel    string  `json:"kernel"`
	GoVersion string  `json:"go"`
	NoFile    uint64  `json:"nofile"`
}

// CorpusStats summarises the generated mailbox.
type CorpusStats struct {
	Messages   int            `json:"messages"`
	Bytes      int64          `json:"bytes"`
	MedianSize int64          `json:"median_size"`
	Largest    int64          `json:"largest"`
	Kinds      map[string]int `json:"kinds"`
	Seconds    float64        `json:"write_seconds"`
}

// ServerResult is one server's outcome.
type ServerResult struct {
	Name    string   `json:"name"`
	Version string   `json:"version,omitempty"`
	Status  string   `json:"status"` // "ok", "failed" or "skipped"
	Reason  string   `json:"reason,omitempty"`
	Errors  []string `json:"errors,omitempty"`
	// Known are wrong answers that are known defects of this (reference)
	// server; they do not fail the run.
	Known   []string          `json:"known_defects,omitempty"`
	Metrics map[string]*Value `json:"metrics"`
	Seconds float64           `json:"seconds"`
}

// OK tells whether every server that ran answered correctly, and mailgate
// ran.
func (r *Report) OK() bool {
	if len(r.Problems) > 0 {
		return false
	}
	ranMailgate := false
	for _, s := range r.Servers {
		if s.Status == "failed" || len(s.Errors) > 0 {
			return false
		}
		if s.Name == "mailgate" && s.Status == "ok" {
			ranMailgate = true
		}
	}
	return ranMailgate
}

// Known servers, in report order.
func servers(p *Params) []server.Server {
	all := []server.Server{
		&server.Mailgate{Bin: p.MailgateBin, SHACrypt: p.MailgateSHACrypt},
		&server.Mailgate{Bin: p.MailgateBin, SHACrypt: p.MailgateSHACrypt, Mbox: true},
		&server.Dovecot{},
		&server.Dovecot{Fast: true},
		&server.Imap4d{},
	}
	if len(p.Servers) == 0 {
		return all
	}
	var out []server.Server
	for _, s := range all {
		for _, name := range p.Servers {
			if s.Name() == name {
				out = append(out, s)
			}
		}
	}
	return out
}

// ServerNames lists the servers the harness knows.
func ServerNames() []string {
	return []string{"mailgate", "mailgate-mbox", "dovecot", "dovecot-fast", "imap4d"}
}

// Run runs the benchmark. The error is for the harness itself failing;
// servers' failures and wrong answers are in the report (see OK).
func Run(ctx context.Context, p Params) (*Report, error) {
	if p.Progress == nil {
		p.Progress = io.Discard
	}
	// A thousand IDLE clients need two thousand descriptors; the servers
	// inherit the limit.
	nofile := RaiseNoFile(65536)
	rep := &Report{Started: time.Now(), Params: p, Rows: Defs(&p), Host: host(nofile)}
	defer func() { rep.Seconds = time.Since(rep.Started).Seconds() }()
	work := p.WorkDir
	if work == "" {
		d, err := os.MkdirTemp("", "mailgate-bench-")
		if err != nil {
			return nil, err
		}
		work = d
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	if p.Keep {
		rep.WorkDir = work
	} else {
		defer os.RemoveAll(work)
	}
	if err := os.Chmod(work, 0o755); err != nil {
		return nil, err
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(p.Progress, "bench: "+format+"\n", args...)
	}

	c := corpus.New(corpus.Spec{N: p.N, Seed: p.Seed, BigSizes: p.BigSizes})

	// Set every server up and start it once on its empty account, so that
	// a server that is missing or refuses its configuration is known
	// before gigabytes are written for it.
	var live []server.Server
	var targets []corpus.Target
	results := map[server.Server]*ServerResult{}
	for _, s := range servers(&p) {
		res := &ServerResult{Name: s.Name(), Status: "ok", Metrics: map[string]*Value{}}
		results[s] = res
		rep.Servers = append(rep.Servers, res)
		if err := s.Available(); err != nil {
			res.Status, res.Reason = "skipped", err.Error()
			logf("%s: skipped: %v", s.Name(), err)
			continue
		}
		res.Version = s.Version()
		dir := filepath.Join(work, s.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		t, err := s.Setup(ctx, dir)
		if err == nil {
			if err = s.Start(ctx); err == nil {
				err = s.Stop()
			}
		}
		if err != nil {
			if server.IsSkip(err) {
				res.Status, res.Reason = "skipped", err.Error()
				logf("%s: skipped: %v", s.Name(), err)
			} else {
				res.Status, res.Reason = "failed", err.Error()
				logf("%s: failed to start: %v", s.Name(), err)
			}
			continue
		}
		live = append(live, s)
		targets = append(targets, t)
	}
	if len(live) == 0 {
		return rep, nil
	}

	logf("writing %d messages (seed %d) for %s", p.N, p.Seed, names(live))
	t0 := time.Now()
	every := max(p.N/10, 1000)
	err := c.Write(targets, func(done int) {
		if done%every == 0 {
			logf("  %d/%d messages written", done, p.N)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("writing the corpus: %w", err)
	}
	rep.Corpus = stats(c, time.Since(t0))
	logf("corpus: %d messages, %.1f MB, median %d bytes, largest %.1f MB, written in %.1fs",
		rep.Corpus.Messages, float64(rep.Corpus.Bytes)/1e6, rep.Corpus.MedianSize, float64(rep.Corpus.Largest)/1e6, rep.Corpus.Seconds)
	exp := newExpect(c, &p)

	// The state every first-phase repetition starts from: the servers'
	// directories as the corpus left them.
	fresh := map[server.Server]*freshState{}
	for _, s := range live {
		st, err := noteFresh(filepath.Join(work, s.Name()))
		if err != nil {
			return nil, err
		}
		fresh[s] = st
	}

	// The servers run side by side, and take turns row by row (each
	// repetition of a phase is a turn of its own), so that the noise of a
	// loaded machine falls on all of them alike rather than on whichever
	// ran while it was busy.
	var runners []*runner
	for _, s := range live {
		r := &runner{p: &p, c: c, e: exp, s: s, res: results[s], logf: logf, fresh: fresh[s]}
		if err := s.Start(ctx); err != nil {
			r.res.Status, r.res.Reason = "failed", err.Error()
			continue
		}
		runners = append(runners, r)
	}
	defer func() {
		for _, r := range runners {
			r.s.Stop()
		}
	}()
	plans := make([][]step, len(runners))
	for i, r := range runners {
		plans[i] = r.steps()
	}
	for i := range steps(&p) {
		if ctx.Err() != nil {
			break
		}
		var name string
		before := loadAverage()
		for j, r := range runners {
			if ctx.Err() != nil || r.broken {
				continue
			}
			st := plans[j][i]
			name = st.name
			t := time.Now()
			r.step(ctx, st)
			r.res.Seconds += time.Since(t).Seconds()
		}
		rep.Load = append(rep.Load, StepLoad{Step: name, Before: before, After: loadAverage()})
	}
	for _, r := range runners {
		if len(r.res.Errors) > 0 && r.res.Status == "ok" {
			r.res.Status = "failed"
		}
		logf("%s: done in %.1fs, %d errors", r.s.Name(), r.res.Seconds, len(r.res.Errors))
	}
	return rep, ctx.Err()
}

// StepLoad is the machine's load average (1, 5 and 15 minutes) before
// and after one step of the run, all servers' turns included.
type StepLoad struct {
	Step   string     `json:"step"`
	Before [3]float64 `json:"before"`
	After  [3]float64 `json:"after"`
}

// loadAverage reads /proc/loadavg; zeros where it cannot.
func loadAverage() [3]float64 {
	var l [3]float64
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return l
	}
	for i, f := range strings.Fields(string(b)) {
		if i == 3 {
			break
		}
		l[i], _ = strconv.ParseFloat(f, 64)
	}
	return l
}

func names(ss []server.Server) string {
	var n []string
	for _, s := range ss {
		n = append(n, s.Name())
	}
	return strings.Join(n, ", ")
}

func stats(c *corpus.Corpus, d time.Duration) CorpusStats {
	st := CorpusStats{Messages: len(c.Msgs), Kinds: map[string]int{}, Seconds: d.Seconds()}
	sizes := make([]float64, 0, len(c.Msgs))
	for _, m := range c.Msgs {
		st.Bytes += m.Size
		st.Largest = max(st.Largest, m.Size)
		st.Kinds[m.Kind.String()]++
		sizes = append(sizes, float64(m.Size))
	}
	st.MedianSize = int64(median(sizes))
	return st
}

func host(nofile uint64) Host {
	h := Host{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), NoFile: nofile}
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) == nil {
		h.MemGiB = float64(si.Totalram) * float64(si.Unit) / (1 << 30)
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		h.Kernel = strings.TrimSpace(string(b))
	}
	return h
}

// RaiseNoFile raises the open-files limit towards want and returns the
// limit in force.
func RaiseNoFile(want uint64) uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	if lim.Cur >= want {
		return lim.Cur
	}
	if lim.Max < want {
		// Only root may raise the hard limit; try, then settle for it.
		l := syscall.Rlimit{Cur: want, Max: want}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l) == nil {
			return want
		}
		want = lim.Max
	}
	l := syscall.Rlimit{Cur: want, Max: lim.Max}
	if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l) != nil {
		return lim.Cur
	}
	return want
}

// runner measures one server.
type runner struct {
	p    *Params
	c    *corpus.Corpus
	e    *expect
	s    server.Server
	res  *ServerResult
	logf func(format string, args ...any)

	mu     sync.Mutex
	seen   map[string]int // error messages already recorded
	broken bool           // the server died and did not start again

	// fresh is the server's directory as the corpus left it, put back
	// before every first-phase repetition.
	fresh *freshState
	// parked: the server was stopped at the end of its turn on purpose
	// (see first); the next step that needs it starts it again.
	parked bool
}

// step is one turn of a server in the run.
type step struct {
	name string
	fn   func(context.Context) error
	// starts: fn starts the server itself, even when it is parked.
	starts bool
}

// steps lists the turns of a run, the same for every server: the read
// phases (each cold and warm repetition a turn of its own), then the
// writes and the loads.
func steps(p *Params) []step {
	return (&runner{p: p}).steps()
}

func (r *runner) steps() []step {
	var out []step
	for i := 0; i < r.p.FirstRuns; i++ {
		out = append(out, step{name: fmt.Sprintf("first %d", i+1), fn: r.first, starts: true})
	}
	out = append(out, step{name: "full-text index", fn: r.ftsBuild, starts: true})
	for i := 0; i < r.p.ColdRuns; i++ {
		out = append(out, step{name: fmt.Sprintf("cold %d", i+1), fn: func(ctx context.Context) error {
			if err := r.restart(ctx); err != nil {
				return err
			}
			return r.readPhase(ctx, "cold")
		}})
	}
	for i := 0; i < r.p.WarmRuns; i++ {
		out = append(out, step{name: fmt.Sprintf("warm %d", i+1), fn: func(ctx context.Context) error { return r.readPhase(ctx, "warm") }})
	}
	out = append(out,
		step{name: "login", fn: r.logins},
		step{name: "connection setup", fn: r.connSetup},
		step{name: "sessions", fn: r.sessions},
		step{name: "store", fn: r.store},
		step{name: "copy and move", fn: r.copies},
		step{name: "qresync", fn: r.qresync},
		step{name: "append", fn: r.appends},
		step{name: "mixed", fn: r.mixedAll},
		step{name: "idle", fn: r.idle},
		step{name: "big message", fn: r.bigMessage},
	)
	if len(r.p.Steps) == 0 {
		return out
	}
	var chosen []step
	for _, st := range out {
		for _, prefix := range r.p.Steps {
			if strings.HasPrefix(st.name, prefix) {
				chosen = append(chosen, st)
				break
			}
		}
	}
	return chosen
}

// StepNames lists the names of the steps of a full run, for --steps.
func StepNames() []string {
	var names []string
	for _, st := range steps(&Params{FirstRuns: 1, ColdRuns: 1, WarmRuns: 1}) {
		names = append(names, strings.TrimSuffix(st.name, " 1"))
	}
	return names
}

// step runs one turn; a failure is recorded, and a server that died is
// started again for the turns after it.
func (r *runner) step(ctx context.Context, st step) {
	t := time.Now()
	if r.parked && !st.starts {
		if err := r.restart(ctx); err != nil {
			r.wrong("%s: start: %v", st.name, err)
			r.broken = true
			return
		}
	}
	if err := st.fn(ctx); err != nil {
		r.wrong("%s: %v", st.name, err)
		if !r.parked && !r.alive() {
			r.wrong("%s: the server died; its output:\n%s", st.name, tail(r.s.Log(), 2000))
			if err := r.restart(ctx); err != nil {
				r.wrong("restart: %v", err)
				r.broken = true
			}
		}
	}
	r.logf("%s: %s done in %.1fs", r.s.Name(), st.name, time.Since(t).Seconds())
}

func (r *runner) alive() bool {
	pid := r.s.PID()
	return pid > 0 && syscall.Kill(pid, 0) == nil
}

// restart stops the server, if it runs, and starts it again.
func (r *runner) restart(ctx context.Context) error {
	t := time.Now()
	if err := r.s.Stop(); err != nil {
		return err
	}
	stopped := time.Since(t)
	if err := r.s.Start(ctx); err != nil {
		return err
	}
	r.parked = false
	if d := time.Since(t); d > 2*time.Second {
		r.logf("%s: slow restart: stopped in %.1fs, started in %.1fs", r.s.Name(), stopped.Seconds(), (d - stopped).Seconds())
	}
	return nil
}

// wrong records a failure or a wrong answer; the same text is kept once,
// with a count.
func (r *runner) wrong(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]int{}
	}
	r.seen[msg]++
	if r.seen[msg] > 1 {
		return
	}
	if why := knownDefect(r.s.Name(), msg); why != "" {
		r.res.Known = append(r.res.Known, msg+" (known defect: "+why+")")
		r.logf("%s: known defect: %s", r.s.Name(), msg)
		return
	}
	r.res.Errors = append(r.res.Errors, msg)
	r.logf("%s: ERROR: %s", r.s.Name(), msg)
}

// add records one sample of a metric.
func (r *runner) add(key string, v float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.res.Metrics[key]
	if m == nil {
		m = &Value{}
		r.res.Metrics[key] = m
	}
	m.Samples = append(m.Samples, v)
	m.Median = median(m.Samples)
}

// addMeasured records v as a sample of key, or, when err says that the
// figure could not be had, the reason instead: the run is then left out
// of the row's median, and the table says why, so that a figure that
// could not be read (a server CPU time of 0) never passes for a good one.
func (r *runner) addMeasured(key string, v float64, err error) {
	if err == nil {
		r.add(key, v)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.res.Metrics[key]
	if m == nil {
		m = &Value{}
		r.res.Metrics[key] = m
	}
	m.Missing = append(m.Missing, err.Error())
	r.logf("%s: %s: no figure for this run: %v", r.s.Name(), key, err)
}

func (r *runner) note(key, note string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m := r.res.Metrics[key]; m != nil {
		m.Note = note
	} else {
		r.res.Metrics[key] = &Value{Note: note}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// connect dials the server and logs in.
func (r *runner) connect(ctx context.Context) (*client, error) {
	c, err := dial(ctx, r.s.Addr(), r.p.OpTimeout)
	if err != nil {
		return nil, err
	}
	if err := c.login(r.s.Username(), server.Password); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
