package gateway_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/gateway"
)

// Two gateways in one process (as an embedder may run) keep metrics of
// their own: a login on one moves its counter, not the other's.
func TestMetricsPerGateway(t *testing.T) {
	one := startGateway(t, "[[server]]\naddress = \"127.0.0.1:0\"\n")
	two := startGateway(t, "[[server]]\naddress = \"127.0.0.1:0\"\n")
	c := dial(t, one.addrs[0], "")
	if l := c.cmd("a LOGIN mailgate " + one.password); !strings.HasPrefix(l, "a OK") {
		t.Fatalf("LOGIN: %q", l)
	}
	const ok = `mailgate_logins_total{frontend="imap",result="ok"} `
	for _, tc := range []struct {
		tg   *testGateway
		want string
	}{{one, ok + "1"}, {two, ok + "0"}} {
		srv := httptest.NewServer(tc.tg.g.MetricsHandler())
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		if !strings.Contains(string(body), tc.want+"\n") {
			t.Errorf("want %q in:\n%s", tc.want, body)
		}
	}
}

// scrape sends one GET /metrics on c and reads the answer, leaving the
// connection open (keep-alive).
func scrape(t *testing.T, c net.Conn, r *bufio.Reader) {
	t.Helper()
	fmt.Fprintf(c, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
}

// dialMetrics connects to the metrics endpoint at addr, which opens
// after the gateway's listeners.
func dialMetrics(t *testing.T, addr string) net.Conn {
	t.Helper()
	var c net.Conn
	var err error
	for range 100 {
		if c, err = net.Dial("tcp", addr); err == nil {
			t.Cleanup(func() { c.Close() })
			return c
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal(err)
	return nil
}

// Any local user reaches the metrics endpoint (loopback TCP). A
// connection that made one request and then sits idle in keep-alive is
// closed soon, so that a local user cannot hold descriptors there (seen:
// 420 idle connections of "nobody" ran a daemon out of descriptors, and
// the IMAP listeners stopped accepting).
func TestMetricsDropsIdleConnections(t *testing.T) {
	t.Parallel()
	maddr := freeAddr(t)
	startGateway(t, "[[server]]\naddress = \"127.0.0.1:0\"\n[metrics]\nlisten = \""+maddr+"\"\n")
	c := dialMetrics(t, maddr)
	r := bufio.NewReader(c)
	scrape(t, c, r)
	c.SetReadDeadline(time.Now().Add(15 * time.Second))
	_, err := r.ReadByte()
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Error("an idle keep-alive connection to the metrics endpoint is still open after 15 s")
	}
}

// A client that connects and sends nothing, or half a request, is cut
// off too.
func TestMetricsDropsSilentConnections(t *testing.T) {
	t.Parallel()
	maddr := freeAddr(t)
	startGateway(t, "[[server]]\naddress = \"127.0.0.1:0\"\n[metrics]\nlisten = \""+maddr+"\"\n")
	silent := dialMetrics(t, maddr)
	half := dialMetrics(t, maddr)
	fmt.Fprintf(half, "GET /metrics HTTP/1.1\r\nHost: x\r\n") // no blank line
	for name, c := range map[string]net.Conn{"silent": silent, "half a request": half} {
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		_, err := io.ReadAll(c)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Errorf("%s: the connection is still open after 20 s", name)
		}
	}
}

// The metrics endpoint holds few connections at once, whatever a local
// user does; those over the cap wait in the kernel's backlog, at no
// descriptor's cost.
func TestMetricsCapsConnections(t *testing.T) {
	maddr := freeAddr(t)
	startGateway(t, "[[server]]\naddress = \"127.0.0.1:0\"\n[metrics]\nlisten = \""+maddr+"\"\n")
	dialMetrics(t, maddr).Close()
	checkConnectionCap(t, maddr, gateway.MetricsMaxConns, func(c net.Conn) {
		fmt.Fprintf(c, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
	}, httpAnswered)
}

// Connections that fill the cap and sit idle delay a scraper a few
// seconds, never for good: they are dropped, and the scraper's
// connection, waiting in the backlog, is answered.
func TestMetricsServesAfterIdleClientsFillTheCap(t *testing.T) {
	t.Parallel()
	maddr := freeAddr(t)
	startGateway(t, "[[server]]\naddress = \"127.0.0.1:0\"\n[metrics]\nlisten = \""+maddr+"\"\n")
	for range 16 { // more than the cap
		c := dialMetrics(t, maddr)
		fmt.Fprintf(c, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	c := dialMetrics(t, maddr)
	c.SetDeadline(time.Now().Add(30 * time.Second))
	scrape(t, c, bufio.NewReader(c))
	t.Logf("a scrape behind 16 idle clients took %v", time.Since(start).Round(time.Millisecond))
}
