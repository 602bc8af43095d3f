package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/mailgate/mailgate/imap"
	"golang.org/x/sys/unix"
)

// The gateway's Prometheus metrics ([metrics] listen, issue 11 section 6).
// Each Gateway has a registry of its own, so that several gateways (tests,
// programs that embed one) never share a counter. What is a state (the
// sessions, the blocks, the certificates) is read from its source at
// each scrape, never counted beside it, so that it cannot drift.
//
// Labels are bounded: frontends and results are a handful of fixed
// words, and a command name is one of the commands the IMAP server knows
// (imap.KnownCommand), every other name the client sends counting as
// "other": a client cannot grow the series by inventing commands. Users
// and addresses are never labels.

// metrics are a gateway's counters; a nil *metrics counts nothing.
type metrics struct {
	reg      *registry
	logins   *family
	commands *family
	latency  *family
	lmtp     *family
	in, out  *series // mailgate_bytes_total's two series
}

// newMetrics registers g's metrics in a registry of their own.
func newMetrics(g *Gateway) *metrics {
	reg := &registry{}
	m := &metrics{
		reg: reg,
		logins: reg.counterVec("mailgate_logins_total",
			"Logins by frontend and result: ok, failed (wrong credentials or a refused user), blocked (the login throttle), unavailable (no back-end could answer), limit (max-sessions-per-user).",
			"frontend", "result"),
		commands: reg.counterVec("mailgate_commands_total",
			"Commands answered, by frontend, command (unknown names as \"other\") and answer (OK, NO, BAD).",
			"frontend", "command", "result"),
		latency: reg.histogramVec("mailgate_command_duration_seconds",
			"How long commands took to answer, by frontend and command (IDLE and AUTHENTICATE include the client's time).",
			[]float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
			"frontend", "command"),
		lmtp: reg.counterVec("mailgate_lmtp_deliveries_total",
			"LMTP copies delivered or refused, by result: delivered, temporary (4xx), permanent (5xx).",
			"result"),
	}
	bytes := reg.counterVec("mailgate_bytes_total",
		"Bytes on clients' connections, as sent on the wire (TLS included), by direction (in, out). Sessions in session processes are counted when they end.",
		"direction")
	for _, r := range []string{"ok", "failed", "blocked", "unavailable", "limit"} {
		m.logins.with("imap", r) // present from the start, at 0
	}
	m.in, m.out = bytes.with("in"), bytes.with("out")
	reg.collected("mailgate_login_blocks",
		"Login throttle blocks in force (addresses, and users from an address).",
		"gauge", nil, func(emit func(float64, ...string)) { emit(float64(len(g.throttle.Blocks()))) })
	reg.collected("mailgate_storage_rescans_total",
		"Times an open mailbox was read again after a change found by notification or polling, or a resync.",
		"counter", nil, func(emit func(float64, ...string)) { emit(float64(g.store.Rescans())) })
	reg.collected("mailgate_sessions",
		"Live sessions, by frontend and state (login: not logged in yet; authenticated; selected), in the daemon and in session processes.",
		"gauge", []string{"frontend", "state"}, g.collectSessions)
	reg.collected("mailgate_certificate_expiry_timestamp_seconds",
		"When each certificate served stops being valid (Unix time), by name and source (file, acme).",
		"gauge", []string{"name", "source"}, g.collectCertExpiries)
	return m
}

func (m *metrics) login(frontend, result string) {
	if m != nil {
		m.logins.with(frontend, result).inc()
	}
}

func (m *metrics) command(frontend, name string, took time.Duration, result string) {
	if m == nil {
		return
	}
	name = commandLabel(name)
	switch result {
	case "OK", "NO", "BAD":
	default:
		result = "other"
	}
	m.commands.with(frontend, name, result).inc()
	m.latency.with(frontend, name).observe(m.latency, took.Seconds())
}

func (m *metrics) delivered(result string) {
	if m != nil {
		m.lmtp.with(result).inc()
	}
}

// commandLabel is name as a label: itself when the IMAP server knows the
// command, else "other".
func commandLabel(name string) string {
	if imap.KnownCommand(name) {
		return name
	}
	return "other"
}

// collectSessions emits the sessions of the book, by frontend and
// state, read at each scrape.
func (g *Gateway) collectSessions(emit func(float64, ...string)) {
	type key struct{ frontend, state string }
	counts := map[key]int{}
	for _, st := range []string{"login", "authenticated", "selected"} {
		counts[key{"imap", st}] = 0
	}
	for _, r := range g.book.List() {
		counts[key{r.Frontend, r.State()}]++
	}
	for k, n := range counts {
		emit(float64(n), k.frontend, k.state)
	}
}

// collectCertExpiries emits the certificates' expiry, read at each
// scrape.
func (g *Gateway) collectCertExpiries(emit func(float64, ...string)) {
	seen := map[[2]string]bool{}
	for _, mgr := range g.certs.all {
		for _, e := range mgr.Expiries() {
			if k := [2]string{e.Name, e.Source}; !seen[k] {
				seen[k] = true
				emit(float64(e.NotAfter.Unix()), e.Name, e.Source)
			}
		}
	}
}

// MetricsHandler returns the HTTP handler that serves the gateway's
// metrics in Prometheus's format, for a program that embeds the gateway
// and serves them itself; nil in a session process.
func (g *Gateway) MetricsHandler() http.Handler {
	if g.metrics == nil {
		return nil
	}
	return g.metrics.reg
}

// The metrics endpoint's bounds. Every local user reaches it (it listens
// on loopback), so what one connection may hold is short, and how many
// it may hold at once is few: a scraper makes one request now and then.
// Connections over the cap wait in the kernel's backlog, costing the
// daemon no descriptor.
const (
	metricsMaxConns    = 8
	metricsIdleTimeout = 5 * time.Second  // between two requests of a connection
	metricsReadTimeout = 10 * time.Second // a whole request
)

// serveMetrics serves /metrics on [metrics] listen until ctx is done.
func (g *Gateway) serveMetrics(ctx context.Context) (stop func(), err error) {
	addr := g.conf().Metrics.Listen
	if addr == "" || g.metrics == nil {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("[metrics] listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", g.MetricsHandler())
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: metricsReadTimeout,
		ReadTimeout:       metricsReadTimeout,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       metricsIdleTimeout,
		MaxHeaderBytes:    16 << 10,
	}
	g.log.Info("mailgate: serving metrics", "address", ln.Addr().String(), "path", "/metrics")
	ln = capConnections(ln, metricsMaxConns)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			g.log.Error("mailgate: metrics endpoint stopped", "err", err)
		}
	}()
	return func() {
		c, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(c)
	}, nil
}

// meteredConn counts a client connection's bytes for the metrics. The
// bytes of a session that went on in a session process do not pass
// through it: at Close, the kernel's count (TCP_INFO) adds them.
type meteredConn struct {
	net.Conn
	m       *metrics
	in, out atomic.Uint64
	closed  atomic.Bool
	passed  atomic.Bool // the descriptor went to a session process
}

func (c *meteredConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.in.Add(uint64(n))
		c.m.in.v.add(float64(n))
	}
	return n, err
}

func (c *meteredConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if n > 0 {
		c.out.Add(uint64(n))
		c.m.out.v.add(float64(n))
	}
	return n, err
}

// NetConn returns the connection below, as tls.Conn's does.
func (c *meteredConn) NetConn() net.Conn { return c.Conn }

// handedOver records that the connection's descriptor went to a session
// process, whose traffic bypasses Read and Write.
func (c *meteredConn) handedOver() { c.passed.Store(true) }

// CloseWrite ends the sending side, when the connection below can.
func (c *meteredConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

func (c *meteredConn) Close() error {
	if c.closed.CompareAndSwap(false, true) && c.passed.Load() {
		c.countUnseen()
	}
	return c.Conn.Close()
}

// countUnseen adds what the kernel counted on a TCP connection beyond
// what passed through Read and Write (give or take the byte that a FIN
// counts).
func (c *meteredConn) countUnseen() {
	tc, ok := c.Conn.(*net.TCPConn)
	if !ok {
		return
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return
	}
	var info *unix.TCPInfo
	raw.Control(func(fd uintptr) {
		info, _ = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	})
	if info == nil {
		return
	}
	if in := c.in.Load(); info.Bytes_received > in {
		c.m.in.v.add(float64(info.Bytes_received - in))
	}
	if out := c.out.Load(); info.Bytes_acked > out {
		c.m.out.v.add(float64(info.Bytes_acked - out))
	}
}
