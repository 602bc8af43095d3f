package harness

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/bench/internal/corpus"
)

// fakeServer is a server.Server for the harness's own checks: the test
// process stands for the server's processes.
type fakeServer struct{ addr string }

func (f *fakeServer) Name() string                { return "fake" }
func (f *fakeServer) Available() error            { return nil }
func (f *fakeServer) Stop() error                 { return nil }
func (f *fakeServer) Addr() string                { return f.addr }
func (f *fakeServer) Username() string            { return "bench" }
func (f *fakeServer) PID() int                    { return os.Getpid() }
func (f *fakeServer) Version() string             { return "fake 1" }
func (f *fakeServer) Log() string                 { return "" }
func (f *fakeServer) Start(context.Context) error { return nil }
func (f *fakeServer) Setup(context.Context, string) (corpus.Target, error) {
	return corpus.Target{}, nil
}

// scriptedIMAP serves every connection on a loopback port: a greeting,
// then for each command the answer answer gives (untagged lines, then
// the tagged status; "" closes the connection without one).
func scriptedIMAP(t *testing.T, answer func(command string) (untagged []string, status string)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				io.WriteString(conn, "* OK fake IMAP\r\n")
				br := bufio.NewReader(conn)
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					tag, command, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
					untagged, status := answer(command)
					var b bytes.Buffer
					for _, u := range untagged {
						b.WriteString("* " + u + "\r\n")
					}
					if status != "" {
						b.WriteString(tag + " " + status + "\r\n")
					}
					conn.Write(b.Bytes())
					if status == "" || strings.HasPrefix(command, "LOGOUT") {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// testRunner is a runner on the fake server at addr, whose mailbox has
// two messages, one \Seen.
func testRunner(addr string) *runner {
	p := Smoke()
	p.OpTimeout = 5 * time.Second
	return &runner{p: &p, e: &expect{n: 2, seen: 1}, s: &fakeServer{addr: addr},
		res: &ServerResult{Name: "fake", Metrics: map[string]*Value{}}, logf: func(string, ...any) {}}
}

// TestSessionChecksLogout: the session row counts a LOGOUT that fails,
// or that has no BYE, as a wrong answer.
func TestSessionChecksLogout(t *testing.T) {
	for _, c := range []struct {
		name     string
		untagged []string
		status   string
		want     string // in the error; "" for none
	}{
		{"BYE and OK", []string{"BYE logging out"}, "OK LOGOUT done", ""},
		{"OK without BYE", nil, "OK LOGOUT done", "without an untagged BYE"},
		{"NO", []string{"BYE logging out"}, "NO cannot log out", "LOGOUT: NO cannot log out"},
		{"BAD", nil, "BAD what", "LOGOUT: BAD what"},
		{"connection closed", []string{"BYE logging out"}, "", "LOGOUT: EOF"},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr := scriptedIMAP(t, func(command string) ([]string, string) {
				switch {
				case strings.HasPrefix(command, "SELECT"):
					return []string{"2 EXISTS"}, "OK [READ-WRITE] SELECT done"
				case strings.HasPrefix(command, "FETCH"):
					return []string{`1 FETCH (FLAGS (\Seen))`, "2 FETCH (FLAGS ())"}, "OK FETCH done"
				case strings.HasPrefix(command, "LOGOUT"):
					return c.untagged, c.status
				}
				return nil, "OK done"
			})
			r := testRunner(addr)
			if err := r.session(context.Background(), addr); err != nil {
				t.Fatalf("session: %v", err)
			}
			errs := strings.Join(r.res.Errors, "\n")
			switch {
			case c.want == "" && errs != "":
				t.Errorf("a good session was counted wrong: %s", errs)
			case c.want != "" && !strings.Contains(errs, c.want):
				t.Errorf("errors %q; want one with %q", errs, c.want)
			}
		})
	}
}

// inetdCommand is a server.Inetd with a given command.
type inetdCommand struct {
	name string
	args []string
}

func (c inetdCommand) InetdCommand() (string, []string) { return c.name, c.args }

// TestInetdLoopReportsFailures: a session process that cannot start, or
// that exits with a failure, is reported; one that exits with 0 is not.
func TestInetdLoopReportsFailures(t *testing.T) {
	sh, err := lookSh()
	if err != nil {
		t.Skip(err)
	}
	for _, c := range []struct {
		name string
		cmd  inetdCommand
		want string
	}{
		{"exit 0", inetdCommand{sh, []string{"-c", "exit 0"}}, ""},
		{"exit 3", inetdCommand{sh, []string{"-c", "exit 3"}}, "exit status 3"},
		{"killed", inetdCommand{sh, []string{"-c", "kill -9 $$"}}, "signal: killed"},
		{"no such program", inetdCommand{"/nonexistent/mailgate", nil}, "starting /nonexistent/mailgate"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			var failures []string
			addr, stop, err := inetdLoop(c.cmd, func(err error) {
				mu.Lock()
				defer mu.Unlock()
				failures = append(failures, err.Error())
			})
			if err != nil {
				t.Fatal(err)
			}
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				stop()
				t.Fatal(err)
			}
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			io.Copy(io.Discard, conn) // until the process (or the loop) closes it
			conn.Close()
			stop()
			got := strings.Join(failures, "\n")
			switch {
			case c.want == "" && got != "":
				t.Errorf("a clean exit was reported: %s", got)
			case c.want != "" && !strings.Contains(got, c.want):
				t.Errorf("failures %q; want one with %q", got, c.want)
			}
		})
	}
}

func lookSh() (string, error) {
	_, err := os.Stat("/bin/sh")
	return "/bin/sh", err
}

// TestCPUFigureMissing: a CPU time that cannot be read gives no sample,
// only a reason, and the table shows the reason and scores nothing.
func TestCPUFigureMissing(t *testing.T) {
	if _, err := startCPU(nil).perByte(1000); err == nil {
		t.Error("a CPU time of no process gave a figure")
	}
	if _, err := startCPU([]int{os.Getpid()}).perByte(0); err == nil {
		t.Error("a CPU time per byte of nothing sent gave a figure")
	}

	p := Smoke()
	rep := &Report{Params: p, Rows: Defs(&p)}
	for _, name := range []string{"mailgate", "dovecot"} {
		rep.Servers = append(rep.Servers, &ServerResult{Name: name, Status: "ok", Metrics: map[string]*Value{}})
	}
	r := &runner{p: &p, s: &fakeServer{}, res: rep.Servers[0], logf: func(string, ...any) {}}
	_, err := startCPU([]int{-1}).perByte(1000)
	r.addMeasured("big_cpu", 0, err)
	r.addMeasured("fetch_body_cpu.warm", 0, err)
	r.addMeasured("fetch_body_cpu.warm", 2, nil)
	// mailgate's figure of 0 on the cold row: no ratio, no pass.
	r.add("fetch_body_cpu.cold", 0)
	for _, key := range []string{"big_cpu", "fetch_body_cpu.warm", "fetch_body_cpu.cold"} {
		rep.Servers[1].Metrics[key] = &Value{Samples: []float64{4}, Median: 4}
	}
	if v := rep.Servers[0].Metrics["big_cpu"]; len(v.Samples) != 0 || len(v.Missing) != 1 {
		t.Fatalf("big_cpu: %+v; want no sample and one reason", v)
	}
	var b bytes.Buffer
	rep.WriteTable(&b)
	out := b.String()
	rows := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		for _, key := range []string{"FETCH largest message", "(warm)", "(cold)"} {
			if strings.HasPrefix(l, "server CPU per byte") && strings.Contains(l, key) {
				rows[key] = l
			}
		}
	}
	if l := rows["FETCH largest message"]; !strings.Contains(l, " -* ") || !strings.HasSuffix(strings.TrimSpace(l), " -") {
		t.Errorf("largest message row, no figure: %q; want -* and no ratio", l)
	}
	if l := rows["(warm)"]; !strings.Contains(l, " 2.00* ") || !strings.Contains(l, " 0.50") {
		t.Errorf("warm row, one of two runs: %q; want 2.00* and the ratio 0.50", l)
	}
	if l := rows["(cold)"]; !strings.HasSuffix(strings.TrimSpace(l), " -") {
		t.Errorf("cold row, a figure of 0: %q; want no ratio", l)
	}
	for _, want := range []string{
		"mailgate, server CPU per byte, FETCH largest message: no figure in any of 1 runs, left out of the ratios and scored in the bar as without a figure: server CPU time of process -1",
		"no figure in 1 of 2 runs, the median is of the others",
		// Only the warm row is scored: 2 against 4 is 2x better. The
		// other two are counted and named, not dropped.
		"1 rows pass, 0 within 1.1x, 0 behind, 2 without a figure",
		"  no figure  server CPU per byte, FETCH largest message (mailgate: none of 1 runs gave one: server CPU time of process -1",
		"  no figure  server CPU per byte, UID FETCH 1000 msgs BODY.PEEK[] (cold) (mailgate: a median of 0)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestFetchSeq(t *testing.T) {
	for resp, want := range map[string]int64{
		"* 12 FETCH (FLAGS ())":          12,
		"* 1 FETCH (UID 4 MODSEQ (9))":   1,
		"* 12 EXISTS":                    -1,
		"* FETCH (FLAGS ())":             -1,
		"* 99999999999 FETCH (FLAGS ())": -1,
	} {
		n, ok := fetchSeq([]byte(resp))
		if ok != (want >= 0) || (ok && int64(n) != want) {
			t.Errorf("fetchSeq(%q) = %d, %v; want %d", resp, n, ok, want)
		}
	}
}

// TestBarNoFigure: a row that Dovecot measures but on which mailgate or
// the better Dovecot has no figure is counted and named in the bar, never
// dropped; a row Dovecot does not measure at all is not scored.
func TestBarNoFigure(t *testing.T) {
	row := Def{"big_cpu", "server CPU per byte, FETCH largest message", "ns/B", false}
	fig := func(x float64) *Value { return &Value{Samples: []float64{x}, Median: x} }
	lost := &Value{Missing: []string{"server CPU time of process 9: gone", "again"}}
	for _, c := range []struct {
		name string
		// mailgate, dovecot, dovecot-fast; a server whose entry is
		// missing did not run.
		vals map[string]*Value
		ran  []string
		want []string
		not  string // a line the bar must not have; "" for none
	}{
		{"every figure", map[string]*Value{"mailgate": fig(1), "dovecot": fig(2), "dovecot-fast": fig(3)},
			[]string{"mailgate", "dovecot", "dovecot-fast"},
			[]string{"1 rows pass, 0 within 1.1x, 0 behind, 0 without a figure"}, "no figure"},
		{"mailgate lost every run", map[string]*Value{"mailgate": lost, "dovecot": fig(2), "dovecot-fast": fig(3)},
			[]string{"mailgate", "dovecot", "dovecot-fast"},
			[]string{"0 rows pass, 0 within 1.1x, 0 behind, 1 without a figure",
				"  no figure  server CPU per byte, FETCH largest message (mailgate: none of 2 runs gave one: server CPU time of process 9: gone (and 1 more))"}, ""},
		{"mailgate's median is 0", map[string]*Value{"mailgate": fig(0), "dovecot": fig(2), "dovecot-fast": fig(3)},
			[]string{"mailgate", "dovecot", "dovecot-fast"},
			[]string{"0 rows pass, 0 within 1.1x, 0 behind, 1 without a figure", "(mailgate: a median of 0)"}, ""},
		{"mailgate did not measure it", map[string]*Value{"dovecot": fig(2), "dovecot-fast": fig(3)},
			[]string{"mailgate", "dovecot", "dovecot-fast"},
			[]string{"1 without a figure", "(mailgate: not measured)"}, ""},
		{"both Dovecots lost every run", map[string]*Value{"mailgate": fig(1), "dovecot": lost, "dovecot-fast": {}},
			[]string{"mailgate", "dovecot", "dovecot-fast"},
			[]string{"1 without a figure", "(dovecot: none of 2 runs gave one: server CPU time of process 9: gone (and 1 more); dovecot-fast: no sample)"}, "mailgate:"},
		{"one Dovecot lost its runs", map[string]*Value{"mailgate": fig(1), "dovecot": lost, "dovecot-fast": fig(3)},
			[]string{"mailgate", "dovecot", "dovecot-fast"},
			[]string{"1 rows pass, 0 within 1.1x, 0 behind, 0 without a figure"}, "no figure"},
		{"only one Dovecot ran, without a figure", map[string]*Value{"mailgate": fig(1), "dovecot": lost},
			[]string{"mailgate", "dovecot"},
			[]string{"better than dove): 0 rows pass, 0 within 1.1x, 0 behind, 1 without a figure", "(dovecot: none of 2 runs"}, ""},
		{"Dovecot does not measure it", map[string]*Value{"mailgate": fig(1)},
			[]string{"mailgate", "dovecot", "dovecot-fast"},
			[]string{"0 rows pass, 0 within 1.1x, 0 behind, 0 without a figure"}, "no figure"},
		{"both lost it", map[string]*Value{"mailgate": lost, "dovecot": {}, "dovecot-fast": {}},
			[]string{"mailgate", "dovecot", "dovecot-fast"},
			[]string{"1 without a figure", "(mailgate: none of 2 runs gave one: server CPU time of process 9: gone (and 1 more); dovecot: no sample; dovecot-fast: no sample)"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			byName := map[string]*ServerResult{}
			for _, name := range c.ran {
				res := &ServerResult{Name: name, Metrics: map[string]*Value{}}
				if v := c.vals[name]; v != nil {
					res.Metrics[row.Key] = v
				}
				byName[name] = res
			}
			var b bytes.Buffer
			writeBar(&b, byName, []Def{row})
			out := b.String()
			for _, want := range c.want {
				if !strings.Contains(out, want) {
					t.Errorf("bar lacks %q:\n%s", want, out)
				}
			}
			if c.not != "" && strings.Contains(out, c.not) {
				t.Errorf("bar has %q:\n%s", c.not, out)
			}
		})
	}
}
