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
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
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
	reg      *prometheus.Registry
	logins   *prometheus.CounterVec
	commands *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	bytes    *prometheus.CounterVec
	in, out  prometheus.Counter // bytes' two series
	lmtp     *prometheus.CounterVec
}

// newMetrics registers g's metrics in a registry of their own.
func newMetrics(g *Gateway) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mailgate_logins_total",
			Help: "Logins by frontend and result: ok, failed (wrong credentials or a refused user), blocked (the login throttle), unavailable (no back-end could answer), limit (max-sessions-per-user).",
		}, []string{"frontend", "result"}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mailgate_commands_total",
			Help: "Commands answered, by frontend, command (unknown names as \"other\") and answer (OK, NO, BAD).",
		}, []string{"frontend", "command", "result"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mailgate_command_duration_seconds",
			Help:    "How long commands took to answer, by frontend and command (IDLE and AUTHENTICATE include the client's time).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"frontend", "command"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mailgate_bytes_total",
			Help: "Bytes on clients' connections, as sent on the wire (TLS included), by direction (in, out). Sessions in session processes are counted when they end.",
		}, []string{"direction"}),
		lmtp: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mailgate_lmtp_deliveries_total",
			Help: "LMTP copies delivered or refused, by result: delivered, temporary (4xx), permanent (5xx).",
		}, []string{"result"}),
	}
	for _, r := range []string{"ok", "failed", "blocked", "unavailable", "limit"} {
		m.logins.WithLabelValues("imap", r) // present from the start, at 0
	}
	m.in, m.out = m.bytes.WithLabelValues("in"), m.bytes.WithLabelValues("out")
	m.reg.MustRegister(m.logins, m.commands, m.latency, m.bytes, m.lmtp, gatewayState{g},
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "mailgate_login_blocks",
			Help: "Login throttle blocks in force (addresses, and users from an address).",
		}, func() float64 { return float64(len(g.throttle.Blocks())) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "mailgate_storage_rescans_total",
			Help: "Times an open mailbox was read again after a change found by notification or polling, or a resync.",
		}, func() float64 { return float64(g.store.Rescans()) }),
	)
	return m
}

func (m *metrics) login(frontend, result string) {
	if m != nil {
		m.logins.WithLabelValues(frontend, result).Inc()
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
	m.commands.WithLabelValues(frontend, name, result).Inc()
	m.latency.WithLabelValues(frontend, name).Observe(took.Seconds())
}

func (m *metrics) delivered(result string) {
	if m != nil {
		m.lmtp.WithLabelValues(result).Inc()
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

// gatewayState is the collector of what is read at each scrape: the
// sessions of the book, by frontend and state, and the certificates'
// expiry.
type gatewayState struct{ g *Gateway }

var (
	sessionsDesc = prometheus.NewDesc("mailgate_sessions",
		"Live sessions, by frontend and state (login: not logged in yet; authenticated; selected), in the daemon and in session processes.",
		[]string{"frontend", "state"}, nil)
	certExpiryDesc = prometheus.NewDesc("mailgate_certificate_expiry_timestamp_seconds",
		"When each certificate served stops being valid (Unix time), by name and source (file, acme).",
		[]string{"name", "source"}, nil)
)

func (s gatewayState) Describe(ch chan<- *prometheus.Desc) {
	ch <- sessionsDesc
	ch <- certExpiryDesc
}

func (s gatewayState) Collect(ch chan<- prometheus.Metric) {
	type key struct{ frontend, state string }
	counts := map[key]int{}
	for _, st := range []string{"login", "authenticated", "selected"} {
		counts[key{"imap", st}] = 0
	}
	for _, r := range s.g.book.List() {
		counts[key{r.Frontend, r.State()}]++
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(sessionsDesc, prometheus.GaugeValue, float64(n), k.frontend, k.state)
	}
	seen := map[[2]string]bool{}
	for _, mgr := range s.g.certs.all {
		for _, e := range mgr.Expiries() {
			if k := [2]string{e.Name, e.Source}; !seen[k] {
				seen[k] = true
				ch <- prometheus.MustNewConstMetric(certExpiryDesc, prometheus.GaugeValue, float64(e.NotAfter.Unix()), e.Name, e.Source)
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
	return promhttp.HandlerFor(g.metrics.reg, promhttp.HandlerOpts{ErrorLog: nil, Registry: g.metrics.reg})
}

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
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	g.log.Info("mailgate: serving metrics", "address", ln.Addr().String(), "path", "/metrics")
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
		c.m.in.Add(float64(n))
	}
	return n, err
}

func (c *meteredConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if n > 0 {
		c.out.Add(uint64(n))
		c.m.out.Add(float64(n))
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
		c.m.in.Add(float64(info.Bytes_received - in))
	}
	if out := c.out.Load(); info.Bytes_acked > out {
		c.m.out.Add(float64(info.Bytes_acked - out))
	}
}
