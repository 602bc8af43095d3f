package auth

import (
	"container/list"
	"net/netip"
	"sync"
	"time"
)

// ThrottleOptions tune a Throttle. Each zero field takes its default.
type ThrottleOptions struct {
	// Delay is the pause before answering the second failure of an address
	// within Window; each further failure doubles it. The first failure is
	// answered at once. Default 500ms.
	Delay time.Duration
	// MaxDelay caps the pause. Default 4s.
	MaxDelay time.Duration
	// Limit is the number of failures within Window that blocks the
	// address. Default 10.
	Limit int
	// Window is how long failures are remembered, counted from the first
	// one. Default 10 minutes.
	Window time.Duration
	// BlockFor is how long an address stays blocked. Default 15 minutes.
	BlockFor time.Duration
	// MaxAddrs caps the addresses remembered; past it the one that failed
	// least recently is forgotten. Default 10000.
	MaxAddrs int
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time
}

// withDefaults returns o with its zero fields set to their defaults.
func (o ThrottleOptions) withDefaults() ThrottleOptions {
	if o.Delay <= 0 {
		o.Delay = 500 * time.Millisecond
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 4 * time.Second
	}
	if o.Limit <= 0 {
		o.Limit = 10
	}
	if o.Window <= 0 {
		o.Window = 10 * time.Minute
	}
	if o.BlockFor <= 0 {
		o.BlockFor = 15 * time.Minute
	}
	if o.MaxAddrs <= 0 {
		o.MaxAddrs = 10000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Throttle slows down and then blocks the remote addresses whose logins keep
// failing. A frontend asks Blocked before it tries a login, calls Failure
// when one fails and waits the delay it returns before answering, and calls
// Success when one succeeds.
//
// IPv4-mapped IPv6 addresses count as IPv4, and IPv6 addresses count per
// /64, since one host commonly holds a whole /64. Memory is bounded by
// MaxAddrs. The zero value is usable, with the defaults of ThrottleOptions;
// a Throttle is safe for concurrent use.
type Throttle struct {
	opts ThrottleOptions
	mu   sync.Mutex
	seen map[netip.Addr]*list.Element // of *failures
	lru  list.List                    // most recent failure first
}

// failures is what a Throttle remembers of one address.
type failures struct {
	addr         netip.Addr
	count        int       // failures since first
	first, last  time.Time // of the failures counted
	blockedUntil time.Time // zero when not blocked
}

// NewThrottle returns a Throttle; opts may be nil.
func NewThrottle(opts *ThrottleOptions) *Throttle {
	t := &Throttle{}
	if opts != nil {
		t.opts = *opts
	}
	return t
}

// throttleKey maps an address to the key its failures count under.
func throttleKey(addr netip.Addr) netip.Addr {
	addr = addr.Unmap().WithZone("")
	if addr.Is6() {
		if p, err := addr.Prefix(64); err == nil {
			return p.Addr()
		}
	}
	return addr
}

// Blocked tells whether addr is blocked now, and for how much longer.
func (t *Throttle) Blocked(addr netip.Addr) (blocked bool, retryAfter time.Duration) {
	o := t.opts.withDefaults()
	now := o.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	el, ok := t.seen[throttleKey(addr)]
	if !ok {
		return false, 0
	}
	f := el.Value.(*failures)
	if now.Before(f.blockedUntil) {
		return true, f.blockedUntil.Sub(now)
	}
	return false, 0
}

// Failure records a failed login from addr. It returns how long to wait
// before answering it and whether addr is now blocked.
func (t *Throttle) Failure(addr netip.Addr) (delay time.Duration, blocked bool) {
	o := t.opts.withDefaults()
	now := o.Now()
	key := throttleKey(addr)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seen == nil {
		t.seen = map[netip.Addr]*list.Element{}
	}
	var f *failures
	if el, ok := t.seen[key]; ok {
		f = el.Value.(*failures)
		t.lru.MoveToFront(el)
	} else {
		f = &failures{addr: key}
		t.seen[key] = t.lru.PushFront(f)
	}
	if now.Before(f.blockedUntil) {
		f.last = now
		return o.MaxDelay, true
	}
	if !f.blockedUntil.IsZero() || f.count == 0 || now.Sub(f.first) >= o.Window || now.Before(f.first) {
		*f = failures{addr: key, first: now} // a fresh start
	}
	f.count++
	f.last = now
	if f.count >= o.Limit {
		f.blockedUntil = now.Add(o.BlockFor)
		blocked = true
	}
	t.evict(o, now)
	return backoff(f.count, o.Delay, o.MaxDelay), blocked
}

// backoff is the delay for the n-th failure: 0 for the first, then base,
// doubling up to max.
func backoff(n int, base, max time.Duration) time.Duration {
	if n <= 1 {
		return 0
	}
	d := base
	for i := 2; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// Success forgets addr's failures, after a successful login from it.
func (t *Throttle) Success(addr netip.Addr) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.seen[throttleKey(addr)]; ok {
		t.lru.Remove(el)
		delete(t.seen, throttleKey(addr))
	}
}

// evict drops, from the least recent end, the entries that no longer matter
// and those past MaxAddrs. t.mu is held.
func (t *Throttle) evict(o ThrottleOptions, now time.Time) {
	for el := t.lru.Back(); el != nil; el = t.lru.Back() {
		f := el.Value.(*failures)
		stale := now.Sub(f.last) >= o.Window && !now.Before(f.blockedUntil)
		if !stale && t.lru.Len() <= o.MaxAddrs {
			return
		}
		t.lru.Remove(el)
		delete(t.seen, f.addr)
	}
}

// Len returns how many addresses the Throttle remembers.
func (t *Throttle) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lru.Len()
}
