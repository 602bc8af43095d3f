package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/mailgate/mailgate/bench/internal/server"
)

// sessions counts how many whole short sessions per second one client
// gets through in a row: connect, LOGIN, SELECT INBOX, FETCH 1:* (FLAGS)
// (checked), LOGOUT. It runs on the server's normal service, and for a
// server that can serve a session per process (server.Inetd), again
// through a small accept loop that starts that process for every
// connection, as inetd does: the case where every session is a cold
// start. A server without such a mode gets its normal figure in the
// inetd row too, noted, so that the row compares mailgate's inetd mode
// with the other servers as they are normally run.
func (r *runner) sessions(ctx context.Context) error {
	r.settle()
	rate, err := r.sessionRate(ctx, r.s.Addr())
	if err != nil {
		return err
	}
	r.add("session", rate)
	in, ok := r.s.(server.Inetd)
	if !ok {
		r.add("session_inetd", rate)
		r.note("session_inetd", "its normal service: it has no process-per-session mode here")
		r.logf("%s: %.1f sessions/s", r.s.Name(), rate)
		return nil
	}
	addr, stop, err := inetdLoop(in, func(err error) { r.wrong("session, a process per session: %v", err) })
	if err != nil {
		return err
	}
	defer stop()
	irate, err := r.sessionRate(ctx, addr)
	if err != nil {
		return fmt.Errorf("inetd mode: %w", err)
	}
	r.add("session_inetd", irate)
	r.logf("%s: %.1f sessions/s, %.1f/s with a process per session", r.s.Name(), rate, irate)
	return nil
}

// sessionRate runs sessions against addr for ConnSetupTime, at most
// ConnSetups of them, and returns sessions per second. The sessions are
// bare ones (see wire), as in the bulk read rows: go-imap's client spends
// longer decoding 10,000 FETCH responses than either server spends
// answering them, and the row would measure the client. SELECT's EXISTS
// and every FETCH answer are checked in every session.
func (r *runner) sessionRate(ctx context.Context, addr string) (float64, error) {
	t := time.Now()
	n := 0
	for n < r.p.ConnSetups && time.Since(t) < r.p.ConnSetupTime {
		if err := r.session(ctx, addr); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(t).Seconds(), nil
}

// session runs one whole short session on a bare connection and checks
// its answers, LOGOUT's included.
func (r *runner) session(ctx context.Context, addr string) error {
	w, err := dialWire(ctx, addr, r.p.OpTimeout)
	if err != nil {
		return err
	}
	defer w.close() // without a second LOGOUT once logout ran
	if err := w.do("LOGIN "+quote(r.s.Username())+" "+quote(server.Password), nil); err != nil {
		return err
	}
	exists, err := w.selectInbox()
	if err != nil {
		return err
	}
	if exists != r.e.n {
		r.wrong("session: SELECT: %d EXISTS, want %d", exists, r.e.n)
	}
	got, seen, err := w.fetchFlags()
	if err != nil {
		return err
	}
	if got != r.e.n || seen != r.e.seen {
		r.wrong("session: FETCH 1:* (FLAGS): %d messages, %d \\Seen; want %d, %d", got, seen, r.e.n, r.e.seen)
	}
	if err := w.logout(); err != nil {
		r.wrong("session: %v", err)
	}
	return nil
}

// inetdLoop listens on a loopback port and, for every connection,
// starts the server's per-session command with the connection as its
// standard input and output. A connection that gets no process, and a
// process that exits other than with status 0 (a session ends with
// LOGOUT), is reported to failed. stop closes the listener and waits for
// the sessions' processes.
func inetdLoop(in server.Inetd, failed func(error)) (addr string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	name, args := in.InetdCommand()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			f, err := conn.(*net.TCPConn).File()
			conn.Close()
			if err != nil {
				failed(fmt.Errorf("accepted connection: %w", err))
				continue
			}
			cmd := exec.Command(name, args...)
			cmd.Stdin, cmd.Stdout, cmd.Stderr = f, f, os.Stderr
			if err := cmd.Start(); err != nil {
				f.Close()
				failed(fmt.Errorf("starting %s: %w", name, err))
				continue
			}
			f.Close()
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := cmd.Wait(); err != nil {
					failed(fmt.Errorf("session process %s: %w", filepath.Base(name), err))
				}
			}()
		}
	}()
	return ln.Addr().String(), func() {
		ln.Close()
		wg.Wait()
	}, nil
}
