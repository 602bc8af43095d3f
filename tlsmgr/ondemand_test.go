package tlsmgr

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
)

// With on-demand = ["*.example.org"] (the README's example) and DNS that
// answers for every name under example.org (a wildcard record, as the
// test's DNS stub does), one client that only opens TLS handshakes with
// made-up server names used to get a certificate for each, kept for ever
// in the ACME storage: certmagic's only brake was its 10 orders a minute
// per account, shared with the managed domains' renewals. Now a client
// host gets two new names an hour; the others get the default
// certificate at once.
func TestOnDemandIsBoundedPerClient(t *testing.T) {
	p, m, events := newHTTP01Manager(t, func(o *Options) {
		o.ACME.OnDemand = AllowList([]string{"*.example.org"})
	})
	addr := serveTLS(t, m.TLSConfig("imap"))
	startManager(t, m)
	waitObtained(t, events, testDomain)

	const names = 8
	var wg sync.WaitGroup
	for i := range names {
		wg.Go(func() {
			c, err := tls.DialWithDialer(&net.Dialer{Timeout: 60 * time.Second}, "tcp", addr, &tls.Config{
				ServerName: fmt.Sprintf("attacker%d.example.org", i), RootCAs: p.Roots, NextProtos: []string{"imap"},
			})
			if err == nil {
				c.Close()
			}
		})
	}
	wg.Wait()
	var issued []string
	filepath.WalkDir(m.opts.ACME.Storage, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".crt") && strings.Contains(path, "attacker") {
			issued = append(issued, filepath.Base(path))
		}
		return nil
	})
	t.Logf("certificates obtained for the client's made-up names: %d of %d", len(issued), names)
	if len(issued) > DefaultOnDemandPerAddress {
		t.Errorf("one client obtained %d certificates for names of its choice (%v); want at most %d", len(issued), issued, DefaultOnDemandPerAddress)
	}

	// A refused name gets the default certificate without waiting, and a
	// name already obtained is served again without counting.
	start := time.Now()
	if got := servedLeaf(t, addr, "attacker99.example.org").DNSNames; len(got) != 1 || got[0] != testDomain {
		t.Errorf("a name over the limit got %v; want the default %s", got, testDomain)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a name over the limit held its handshake %v", d)
	}
	for _, crt := range issued {
		name := strings.TrimSuffix(crt, ".crt")
		verifyServed(t, addr, name, name, p.Roots)
	}
}

// fakeConn is a connection that only has a remote address.
type fakeConn struct {
	net.Conn
	remote net.Addr
}

func (c fakeConn) RemoteAddr() net.Addr { return c.remote }

// helloFrom is a handshake's context as certmagic gives it to the
// decision function, from the client address addr.
func helloFrom(addr string) context.Context {
	hello := &tls.ClientHelloInfo{Conn: fakeConn{remote: net.TCPAddrFromAddrPort(netip.MustParseAddrPort(addr))}}
	return context.WithValue(context.Background(), certmagic.ClientHelloInfoCtxKey, hello)
}

// The limits, one by one, on a gate whose clock and storage the test
// keeps.
func TestOnDemandGate(t *testing.T) {
	type step struct {
		from  string        // the client's address
		name  string        // the name asked for
		after time.Duration // since the first step
		ok    bool
	}
	const a, a2, b = "192.0.2.1:1000", "192.0.2.1:2000", "192.0.2.2:1000"
	const v6a, v6b = "[2001:db8::1]:1000", "[2001:db8::2]:1000" // one /64
	for _, tc := range []struct {
		name   string
		limits OnDemandLimits
		stored []string // names whose certificates are in the storage
		steps  []step
	}{
		{"per address an hour", OnDemandLimits{}, nil, []step{
			{a, "n1.example.org", 0, true},
			{a2, "n2.example.org", time.Minute, true}, // another port, the same host
			{a, "n3.example.org", 2 * time.Minute, false},
			{b, "n3.example.org", 3 * time.Minute, true},
			{a, "n4.example.org", 61 * time.Minute, true}, // n1's hour is over
			{v6a, "n5.example.org", 62 * time.Minute, true},
			{v6b, "n6.example.org", 62 * time.Minute, true},
			{v6a, "n7.example.org", 62 * time.Minute, false},
		}},
		{"names in the storage are free", OnDemandLimits{}, []string{"old1.example.org", "old2.example.org", "old3.example.org"}, []step{
			{a, "old1.example.org", 0, true},
			{a, "old2.example.org", 0, true},
			{a, "old3.example.org", 0, true},
			{a, "n1.example.org", 0, true},
		}},
		{"outside the allow list", OnDemandLimits{}, nil, []step{
			{a, "n1.example.net", 0, false},
			{a, "n1.example.org", 0, true},
			{a, "n2.example.org", 0, true},
		}},
		{"per day", OnDemandLimits{PerAddress: -1, PerDay: 3}, nil, []step{
			{a, "n1.example.org", 0, true},
			{b, "n2.example.org", time.Hour, true},
			{a, "n3.example.org", 2 * time.Hour, true},
			{b, "n4.example.org", 3 * time.Hour, false},
			{b, "n4.example.org", 24*time.Hour + time.Minute, true}, // n1's day is over
		}},
		{"certificates kept", OnDemandLimits{PerAddress: -1, MaxCertificates: 3}, []string{"old1.example.org", "old2.example.org"}, []step{
			{a, "n1.example.org", 0, true}, // ordered: counts while under way
			{b, "n2.example.org", time.Minute, false},
			{b, "n2.example.org", 10 * time.Minute, true}, // n1's order failed: it is not kept
			{b, "n3.example.org", 11 * time.Minute, false},
		}},
		{"no limits", OnDemandLimits{PerAddress: -1, PerDay: -1, MaxCertificates: -1}, nil, []step{
			{a, "n1.example.org", 0, true},
			{a, "n2.example.org", 0, true},
			{a, "n3.example.org", 0, true},
			{a, "n4.example.org", 0, true},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t0 := time.Now()
			var now time.Time
			stored := map[string]bool{}
			for _, n := range tc.stored {
				stored[n] = true
			}
			g := &onDemandGate{
				allow:  AllowList([]string{"*.example.org"}),
				limits: tc.limits.resolve(),
				held:   func(_ context.Context, name string) bool { return stored[name] },
				kept:   func(context.Context) int { return len(stored) },
				now:    func() time.Time { return now },
				log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
			}
			for i, s := range tc.steps {
				now = t0.Add(s.after)
				err := g.decide(helloFrom(s.from), s.name)
				if (err == nil) != s.ok {
					t.Errorf("step %d: %s from %s at %v: %v; want allowed %v", i, s.name, s.from, s.after, err, s.ok)
				}
			}
		})
	}
}

// A client refused again and again makes one log line an hour, not one
// a handshake.
func TestOnDemandRefusalsLoggedOnce(t *testing.T) {
	logs := &syncLog{}
	now := time.Now()
	g := &onDemandGate{
		allow:  AllowList([]string{"*.example.org"}),
		limits: OnDemandLimits{PerAddress: 1}.resolve(),
		held:   func(context.Context, string) bool { return false },
		kept:   func(context.Context) int { return 0 },
		now:    func() time.Time { return now },
		log:    slog.New(slog.NewTextHandler(logs, nil)),
	}
	ctx := helloFrom("192.0.2.1:1000")
	for i := range 50 {
		g.decide(ctx, fmt.Sprintf("n%d.example.org", i))
	}
	if n := strings.Count(logs.String(), "on-demand certificate refused"); n != 1 {
		t.Errorf("49 refusals made %d log lines; want 1:\n%s", n, logs.String())
	}
}
