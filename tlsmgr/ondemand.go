package tlsmgr

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/mailgate/mailgate/internal/clienthost"
)

// OnDemandLimits bound on-demand issuance ([tls.acme] on-demand-per-address,
// on-demand-per-day, on-demand-max-certificates). With "*.example.org"
// and DNS that answers for every name below it, any client chooses the
// names: without limits it could make the server order certificates
// without end, against the ACME account's own limits (Let's Encrypt's 50
// certificates per registered domain a week) and its disk. Only new names
// count: a name whose certificate is in the storage is loaded and renewed
// freely. A name a limit refuses gets the default certificate (the static
// one, or the first domain's) at once, or a failed handshake when there
// is none. A zero field is its default; a negative one is no limit.
type OnDemandLimits struct {
	// PerAddress is how many new names one client host may have
	// certificates ordered for in an hour. An IPv6 client counts by its
	// /48, the block one customer is commonly given. Default 2.
	PerAddress int
	// PerDay is how many new names may have certificates ordered in a
	// day, all clients together. One network (an IPv4 /24, an IPv6 /48)
	// may take at most half of them (rounded up), so that it cannot
	// leave none to the others. Default 20.
	PerDay int
	// MaxCertificates is how many on-demand certificates the storage may
	// hold; beyond it, no new name gets one. Default 100.
	MaxCertificates int
}

// The defaults of OnDemandLimits.
const (
	DefaultOnDemandPerAddress      = 2
	DefaultOnDemandPerDay          = 20
	DefaultOnDemandMaxCertificates = 100
)

// orderTime is how long an order granted to a new name counts as under way
// (certmagic gives up an on-demand order after 180 s): until its
// certificate is in the storage, it counts against MaxCertificates.
const orderTime = 200 * time.Second

// onDemandGate is the on-demand decision function: the configured one,
// then the limits on new names. It is safe for concurrent use.
type onDemandGate struct {
	allow  func(ctx context.Context, name string) error
	limits OnDemandLimits // resolved: 0 is no limit
	// held reports whether name's certificate is in the storage; kept
	// counts the on-demand certificates there.
	held func(ctx context.Context, name string) bool
	kept func(ctx context.Context) int
	now  func() time.Time
	log  *slog.Logger

	mu      sync.Mutex
	granted []grant              // new names granted in the last day, oldest first
	grants  uint64               // how many were ever granted: the seq of the last
	logged  map[string]time.Time // when each kind of refusal (and host) was last logged
}

// grant is one new name granted an order.
type grant struct {
	name string
	host netip.Addr   // the client's address, an IPv6 one as its /48
	net  netip.Prefix // the client's network, for its share of PerDay
	at   time.Time
	seq  uint64 // the grant's number, from 1
}

// resolve turns the zero fields into defaults and the negative ones into
// 0, no limit.
func (l OnDemandLimits) resolve() OnDemandLimits {
	pick := func(v, def int) int {
		switch {
		case v == 0:
			return def
		case v < 0:
			return 0
		}
		return v
	}
	return OnDemandLimits{
		PerAddress:      pick(l.PerAddress, DefaultOnDemandPerAddress),
		PerDay:          pick(l.PerDay, DefaultOnDemandPerDay),
		MaxCertificates: pick(l.MaxCertificates, DefaultOnDemandMaxCertificates),
	}
}

// decide is certmagic's OnDemandConfig.DecisionFunc. It runs before a
// name missing from the cache is loaded from the storage or ordered, and
// before an on-demand certificate is renewed. The storage is read without
// g.mu held (a remote storage may take its time), so that a decision
// waits for no other's I/O.
func (g *onDemandGate) decide(ctx context.Context, name string) error {
	if err := g.allow(ctx, name); err != nil {
		return err
	}
	if g.held(ctx, name) {
		return nil
	}
	host := clientHost(ctx)
	network := clientNetwork(host)
	now := g.now()
	// The limits kept in memory first: a client they refuse costs no
	// storage I/O, however many names it makes up.
	g.mu.Lock()
	g.forget(now)
	err := g.overLimits(now, name, host, network)
	g.mu.Unlock()
	if err != nil {
		return err
	}
	stored, asOf := g.stored(ctx, now)
	g.mu.Lock()
	defer g.mu.Unlock()
	// Looked at again: others may have been granted names meanwhile.
	if err := g.overLimits(now, name, host, network); err != nil {
		return err
	}
	if n := g.limits.MaxCertificates; n > 0 {
		kept := stored
		for _, gr := range g.granted {
			if kept < n && gr.seq > asOf && now.Sub(gr.at) < orderTime {
				kept++ // granted since stored counted: under way
			}
		}
		if kept >= n {
			return g.refuse(now, "max-certificates", slog.LevelWarn,
				"tls: on-demand certificate refused: the certificates kept are at on-demand-max-certificates",
				name, host, n)
		}
	}
	g.grants++
	g.granted = append(g.granted, grant{name: name, host: host, net: network, at: now, seq: g.grants})
	return nil
}

// overLimits returns the refusal of name for a client (host, in network)
// by the limits kept in memory: its new names in an hour, its network's
// share of the day, the day's; nil when none refuses. g.mu is held.
func (g *onDemandGate) overLimits(now time.Time, name string, host netip.Addr, network netip.Prefix) error {
	if n := g.limits.PerAddress; n > 0 {
		recent := 0
		for _, gr := range g.granted {
			if gr.host == host && now.Sub(gr.at) < time.Hour {
				recent++
			}
		}
		if recent >= n {
			return g.refuse(now, "per-address:"+host.String(), slog.LevelInfo,
				"tls: on-demand certificate refused: the client's new names in an hour are at on-demand-per-address",
				name, host, n)
		}
	}
	if n := (g.limits.PerDay + 1) / 2; n > 0 {
		taken := 0
		for _, gr := range g.granted {
			if gr.net == network {
				taken++
			}
		}
		if taken >= n {
			return g.refuse(now, "per-network:"+network.String(), slog.LevelInfo,
				"tls: on-demand certificate refused: the client's network has had half of on-demand-per-day today",
				name, host, n)
		}
	}
	if n := g.limits.PerDay; n > 0 && len(g.granted) >= n {
		return g.refuse(now, "per-day", slog.LevelWarn,
			"tls: on-demand certificate refused: the new names in a day are at on-demand-per-day",
			name, host, n)
	}
	return nil
}

// stored counts, for MaxCertificates, the on-demand certificates in the
// storage and the orders granted within orderTime of now whose
// certificates are not there yet, as of the grant asOf; the grants after
// it count as under way. It reads the storage without g.mu held, so the
// count may be a little stale. Once it reaches MaxCertificates it looks
// no further (a storage that cannot be listed counts as full).
func (g *onDemandGate) stored(ctx context.Context, now time.Time) (n int, asOf uint64) {
	limit := g.limits.MaxCertificates
	if limit <= 0 {
		return 0, 0
	}
	g.mu.Lock()
	asOf = g.grants
	var recent []string
	for _, gr := range g.granted {
		if now.Sub(gr.at) < orderTime {
			recent = append(recent, gr.name)
		}
	}
	g.mu.Unlock()
	n = g.kept(ctx)
	for _, name := range recent {
		if n >= limit {
			break
		}
		if !g.held(ctx, name) {
			n++ // ordered, not stored yet
		}
	}
	return n, asOf
}

// forget drops the grants older than a day, and the refusals logged more
// than an hour ago; g.mu is held.
func (g *onDemandGate) forget(now time.Time) {
	i := 0
	for i < len(g.granted) && now.Sub(g.granted[i].at) >= 24*time.Hour {
		i++
	}
	g.granted = slices.Delete(g.granted, 0, i)
	for k, t := range g.logged {
		if now.Sub(t) >= time.Hour {
			delete(g.logged, k)
		}
	}
}

// refuse returns the refusal of name by a limit of n, logging it if this
// kind of refusal was not logged in the last hour: a client refused
// again and again makes one line an hour. g.mu is held. The refusals
// remembered are bounded: a host is refused only once it was granted
// names, which g.granted bounds.
func (g *onDemandGate) refuse(now time.Time, kind string, level slog.Level, msg, name string, host netip.Addr, n int) error {
	if _, ok := g.logged[kind]; !ok {
		if g.logged == nil {
			g.logged = map[string]time.Time{}
		}
		g.logged[kind] = now
		g.log.Log(context.Background(), level, msg, "name", name, "client", host, "limit", n)
	}
	return fmt.Errorf("on-demand limit reached (%s %d)", kind, n)
}

// clientHost returns the host of the client whose handshake asks, or the
// zero Addr when it is not known. An IPv6 address counts as its /48: a
// customer is commonly given a /56 or a /48, 256 or 65,536 /64s, and
// counting by the /64 let one take the whole day's PerDay in a minute.
func clientHost(ctx context.Context) netip.Addr {
	hello, _ := ctx.Value(certmagic.ClientHelloInfoCtxKey).(*tls.ClientHelloInfo)
	if hello == nil || hello.Conn == nil {
		return netip.Addr{}
	}
	ap, err := netip.ParseAddrPort(hello.Conn.RemoteAddr().String())
	if err != nil {
		return netip.Addr{}
	}
	return clienthost.Key(ap.Addr(), clienthost.SiteBits)
}

// clientNetwork returns the network of a host from clientHost, whose
// grants share half of PerDay: an IPv4 /24, an IPv6 /48. An unknown
// host's is the zero Prefix, one network for all such hosts.
func clientNetwork(host netip.Addr) netip.Prefix {
	bits := clienthost.SiteBits
	if host.Is4() {
		bits = 24
	}
	p, err := host.Prefix(bits)
	if err != nil {
		return netip.Prefix{}
	}
	return p
}
