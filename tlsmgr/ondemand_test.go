package tlsmgr

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
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

	// A refused name gets the default certificate without waiting for an
	// order: no longer than a name already obtained, which is served again
	// without counting.
	start := time.Now()
	if got := servedLeaf(t, addr, "attacker99.example.org").DNSNames; len(got) != 1 || got[0] != testDomain {
		t.Errorf("a name over the limit got %v; want the default %s", got, testDomain)
	}
	refused := time.Since(start)
	start = time.Now()
	verifyServed(t, addr, testDomain, testDomain, p.Roots)
	if granted := time.Since(start); refused > 10*granted+time.Second {
		t.Errorf("a name over the limit held its handshake %v; a name obtained took %v", refused, granted)
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
	const v6a, v6b = "[2001:db8::1]:1000", "[2001:db8::2]:1000"        // one /64
	const v6c, v6d = "[2001:db8:0:ff::1]:1000", "[2001:db8:1::1]:1000" // v6a's /48, another /48
	const c, d = "192.0.2.200:1000", "198.51.100.1:1000"               // a's /24, another /24
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
		{"per address: an IPv6 client by its /48", OnDemandLimits{}, nil, []step{
			{v6a, "n1.example.org", 0, true},
			{v6c, "n2.example.org", time.Minute, true}, // another /64 of the /48
			{v6c, "n3.example.org", 2 * time.Minute, false},
			{v6d, "n3.example.org", 3 * time.Minute, true},
		}},
		{"a network has half of per-day", OnDemandLimits{PerAddress: -1, PerDay: 5}, nil, []step{
			{a, "n1.example.org", 0, true},
			{c, "n2.example.org", time.Minute, true},
			{a2, "n3.example.org", 2 * time.Minute, true}, // 3 of 5, rounded up
			{c, "n4.example.org", 3 * time.Minute, false},
			{v6a, "n4.example.org", 3 * time.Minute, true},
			{v6c, "n5.example.org", 4 * time.Minute, true},
			{d, "n6.example.org", 5 * time.Minute, false},           // per-day: 5 in all
			{c, "n6.example.org", 24*time.Hour + time.Minute, true}, // n1's day is over
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
			{d, "n2.example.org", time.Hour, true},
			{a, "n3.example.org", 2 * time.Hour, true},
			{d, "n4.example.org", 3 * time.Hour, false},
			{d, "n4.example.org", 24*time.Hour + time.Minute, true}, // n1's day is over
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

// bareGate is an onDemandGate with nothing stored, on a clock the test
// moves.
func bareGate(limits OnDemandLimits, now *time.Time) *onDemandGate {
	return &onDemandGate{
		allow:  AllowList([]string{"*.example.org"}),
		limits: limits.resolve(),
		held:   func(context.Context, string) bool { return false },
		kept:   func(context.Context) int { return 0 },
		now:    func() time.Time { return *now },
		log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// The per-address limit used to count an IPv6 /64, and an ordinary IPv6
// customer has a /56 or /48 (256 or 65,536 /64s): one such client took
// the whole day's on-demand-per-day (20) in a minute, from 10 /64s, and
// every other client's new name was refused for 24 hours. An IPv6 client
// counts by its /48 now, and one network has at most half of the day.
func TestOnDemandPerDayTakenByOneNetwork(t *testing.T) {
	now := time.Now()
	g := bareGate(OnDemandLimits{}, &now)
	for i := range DefaultOnDemandPerDay {
		ctx := helloFrom(fmt.Sprintf("[2001:db8:1:%x::1]:40000", i/DefaultOnDemandPerAddress))
		g.decide(ctx, fmt.Sprintf("made-up-%d.example.org", i))
	}
	now = now.Add(time.Minute)
	if err := g.decide(helloFrom("198.51.100.9:40000"), "legit.example.org"); err != nil {
		t.Errorf("after one /48 asked for %d made-up names, another client's first name is refused: %v", DefaultOnDemandPerDay, err)
	}
}

// gateWithAHangingListing is a gate on an empty storage whose first
// listing hangs: listing is closed when it starts, and it returns once
// release is closed.
func gateWithAHangingListing(limits OnDemandLimits) (g *onDemandGate, listing, release chan struct{}) {
	listing, release = make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	g = &onDemandGate{
		allow:  AllowList([]string{"*.example.org"}),
		limits: limits.resolve(),
		held:   func(context.Context, string) bool { return false },
		kept: func(context.Context) int {
			if calls.Add(1) == 1 {
				close(listing)
				<-release
			}
			return 0
		},
		now: time.Now,
		log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	return g, listing, release
}

// The gate reads the storage without its lock: a decision whose listing
// hangs (a remote storage that is slow) does not hold up another name's.
func TestOnDemandStorageIOOutsideTheLock(t *testing.T) {
	g, listing, release := gateWithAHangingListing(OnDemandLimits{PerAddress: -1})
	slow := make(chan error, 1)
	go func() { slow <- g.decide(helloFrom("192.0.2.1:1000"), "n1.example.org") }()
	<-listing
	other := make(chan error, 1)
	go func() { other <- g.decide(helloFrom("192.0.2.2:1000"), "n2.example.org") }()
	select {
	case err := <-other:
		if err != nil {
			t.Errorf("another name, while a listing hangs: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("another name's decision waited for a listing that hangs")
	}
	close(release)
	if err := <-slow; err != nil {
		t.Errorf("the name whose listing was slow: %v", err)
	}
	if len(g.granted) != 2 {
		t.Errorf("%d names granted; want 2", len(g.granted))
	}
}

// A storage that cannot be listed counts as full (onDemandKept), also
// when orders are under way: their count does not overflow it into room.
func TestOnDemandKeptSaturates(t *testing.T) {
	var full atomic.Bool
	g := &onDemandGate{
		allow:  AllowList([]string{"*.example.org"}),
		limits: OnDemandLimits{PerAddress: -1, MaxCertificates: 2}.resolve(),
		held:   func(context.Context, string) bool { return false },
		kept: func(context.Context) int {
			if full.Load() {
				return math.MaxInt
			}
			return 0
		},
		now: time.Now,
		log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if err := g.decide(helloFrom("192.0.2.1:1000"), "n1.example.org"); err != nil {
		t.Fatal(err)
	}
	full.Store(true)
	if err := g.decide(helloFrom("192.0.2.2:1000"), "n2.example.org"); err == nil {
		t.Error("a name was granted while the storage could not be listed and an order was under way")
	}
}

// Orders granted while a decision read the storage count as under way in
// it: a burst of names cannot all pass MaxCertificates together.
func TestOnDemandGrantsDuringAListingCount(t *testing.T) {
	g, listing, release := gateWithAHangingListing(OnDemandLimits{PerAddress: -1, MaxCertificates: 2})
	slow := make(chan error, 1)
	go func() { slow <- g.decide(helloFrom("192.0.2.1:1000"), "n1.example.org") }()
	<-listing
	others := make(chan error, 1)
	go func() {
		for _, name := range []string{"n2.example.org", "n3.example.org"} {
			if err := g.decide(helloFrom("192.0.2.2:1000"), name); err != nil {
				others <- fmt.Errorf("%s: %w", name, err)
				return
			}
		}
		others <- nil
	}()
	select {
	case err := <-others:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("other names' decisions waited for a listing that hangs")
	}
	close(release)
	if err := <-slow; err == nil {
		t.Error("a name was granted past on-demand-max-certificates: the orders granted while it listed the storage were not counted")
	}
}
