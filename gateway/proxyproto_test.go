package gateway

import (
	"io"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pires/go-proxyproto"
)

// A trusted proxy's connection carries the client's address from its
// PROXY header, v1 or v2; one without a header is closed; others pass
// as they are, a header included.
func TestProxyListener(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := newProxyListener(raw, trusting("127.0.0.1/32"), slog.New(slog.DiscardHandler))
	defer ln.Close()
	client := &net.TCPAddr{IP: net.ParseIP("192.0.2.44"), Port: 5555}
	for _, version := range []byte{1, 2} {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		h := proxyproto.HeaderProxyFromAddrs(version, client, c.RemoteAddr())
		h.WriteTo(c)
		c.Write([]byte("a1 CAPABILITY\r\n"))
		got, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		if a := remoteAddr(got); a != netip.MustParseAddr("192.0.2.44") {
			t.Errorf("v%d: remote %v", version, a)
		}
		buf := make([]byte, 15)
		if _, err := io.ReadFull(got, buf); err != nil || string(buf) != "a1 CAPABILITY\r\n" {
			t.Errorf("v%d: read %q, %v", version, buf, err)
		}
		if _, ok := got.(interface{ NetConn() net.Conn }); !ok {
			t.Errorf("v%d: no NetConn for session processes", version)
		}
		got.Close()
		c.Close()
	}
	// A trusted address that sends no header is dropped, without
	// holding up the next connection.
	silent, _ := net.Dial("tcp", raw.Addr().String())
	defer silent.Close()
	bad, _ := net.Dial("tcp", raw.Addr().String())
	bad.Write([]byte("a1 LOGIN x y\r\n"))
	good, _ := net.Dial("tcp", raw.Addr().String())
	proxyproto.HeaderProxyFromAddrs(1, client, good.RemoteAddr()).WriteTo(good)
	start := time.Now()
	got, err := ln.Accept()
	if err != nil || remoteAddr(got) != netip.MustParseAddr("192.0.2.44") {
		t.Fatalf("after a silent and a bad connection: %v %v", got, err)
	}
	if d := time.Since(start); d > proxyHeaderTimeout/2 {
		t.Errorf("a silent proxy connection held up Accept for %v", d)
	}
	got.Close()
	bad.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := bad.Read(make([]byte, 1)); err == nil {
		t.Error("a trusted connection without a header was not closed")
	}

	// An untrusted address is taken as it is.
	other, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	oln := newProxyListener(other, trusting("10.0.0.0/8"), slog.New(slog.DiscardHandler))
	defer oln.Close()
	c, _ := net.Dial("tcp", other.Addr().String())
	defer c.Close()
	proxyproto.HeaderProxyFromAddrs(1, client, c.RemoteAddr()).WriteTo(c)
	got, err = oln.Accept()
	if err != nil || remoteAddr(got) != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("untrusted: %v %v", got, err)
	}
	got.Close()
	oln.Close()
	if _, err := oln.Accept(); err == nil {
		t.Error("Accept after Close")
	}
}

// trusting returns a fixed list of trusted proxies.
func trusting(prefixes ...string) func() []netip.Prefix {
	var ps []netip.Prefix
	for _, p := range prefixes {
		ps = append(ps, netip.MustParsePrefix(p))
	}
	return func() []netip.Prefix { return ps }
}
