package auth

import (
	"container/list"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/mailgate/mailgate/internal/clienthost"
)

// ThrottleOptions tune a Throttle. Each zero field takes its default.
type ThrottleOptions struct {
	// Delay is the pause before answering the second failure from an
	// address within Window; each further failure doubles it. The first
	// failure is answered at once. Default 500ms.
	Delay time.Duration
	// MaxDelay caps the pause; a login refused because of a block is
	// answered after exactly MaxDelay. Default 4s.
	MaxDelay time.Duration
	// Limit is the number of failures for one user name from one address
	// within Window that blocks that pair. Default 10.
	Limit int
	// AddressLimit is the number of failures from one address, whatever
	// the user names, within Window that blocks the address for every
	// user (password spraying). Default 5 times Limit.
	AddressLimit int
	// Window is how long failures are remembered, counted from the first
	// one. Default 10 minutes.
	Window time.Duration
	// BlockFor is how long a block lasts. Default 15 minutes.
	BlockFor time.Duration
	// MaxEntries caps the addresses and pairs remembered that are not
	// blocked; past it the one that failed least recently is forgotten.
	// Blocks in force are kept apart, up to MaxEntries of them, and are
	// never forgotten before they end; a block past those is kept as an
	// ordinary entry. The Throttle so remembers at most 2*MaxEntries
	// keys (about 300 bytes each). Default 10000.
	MaxEntries int
	// Logger hears of every block, every refusal during one and every
	// block lifted; nil means slog.Default().
	Logger *slog.Logger
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
	if o.AddressLimit <= 0 {
		o.AddressLimit = 5 * o.Limit
	}
	if o.Window <= 0 {
		o.Window = 10 * time.Minute
	}
	if o.BlockFor <= 0 {
		o.BlockFor = 15 * time.Minute
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = 10000
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Throttle slows down and then blocks logins that keep failing. It counts
// failures per user name and client address, so that an attacker
// elsewhere cannot lock a user out of their own address, and per address
// over every user name, so that trying one password on many accounts is
// blocked too.
//
// A frontend asks Blocked before it checks a password, and when the login
// is blocked it answers a failure after Refusal's delay without checking
// (so that the answer tells nothing about the password). Otherwise it
// calls Failure when the check fails, waiting the delay returned before
// answering, and Success when it succeeds. Attempt does all of this
// around an Authenticator, for LOGIN and SASL alike.
//
// IPv4-mapped IPv6 addresses count as IPv4, and IPv6 addresses count per
// /64, since one host commonly holds a whole /64. Memory is bounded by
// MaxEntries, in a way that failures from many other addresses cannot
// lift a block in force (see ThrottleOptions.MaxEntries). The zero value
// is usable, with the defaults of ThrottleOptions; a Throttle is safe for
// concurrent use, and one Throttle serves every listener of a gateway.
type Throttle struct {
	opts ThrottleOptions
	mu   sync.Mutex
	seen map[throttleKey]*list.Element // of *failures, in lru or kept
	// lru holds the entries that may be forgotten, most recent failure
	// first: those not blocked, and blocks started while kept was full.
	lru list.List
	// kept holds blocks in force, at most MaxEntries, in the order they
	// started (so, BlockFor being the same for all, the order they end):
	// they are forgotten only once they have ended.
	kept list.List
	// fullLogged is when a block that found kept full was last logged.
	fullLogged time.Time
}

// throttleKey names what failures are counted under: an address and a
// user name, or an address alone (user "").
type throttleKey struct {
	addr netip.Addr
	user string
}

// failures is what a Throttle remembers of one key.
type failures struct {
	key          throttleKey
	count        int       // failures since first
	first, last  time.Time // of the failures counted
	blockedUntil time.Time // zero when not blocked
	users        []string  // for an address: the user names tried, at most maxUsersNoted
	kept         bool      // in Throttle.kept rather than Throttle.lru
}

// maxUsersNoted bounds the user names an address entry remembers for the log.
const maxUsersNoted = 8

// Block describes a block in force.
type Block struct {
	Addr     netip.Addr // the address, or its /64 for IPv6
	User     string     // the user name; "" when the whole address is blocked
	Until    time.Time
	Failures int
	Users    []string // the user names tried from the address (address blocks)
}

// NewThrottle returns a Throttle; opts may be nil.
func NewThrottle(opts *ThrottleOptions) *Throttle {
	t := &Throttle{}
	if opts != nil {
		t.opts = *opts
	}
	return t
}

// HostAddr maps a client's address to the address that stands for its
// host wherever clients are counted (the login throttle, the gateway's
// per-address connection limits): an IPv4 address (IPv4-mapped ones
// included) is itself, an IPv6 address counts as its /64, since one host
// commonly holds a whole /64.
func HostAddr(addr netip.Addr) netip.Addr {
	return clienthost.Key(addr, clienthost.HostBits)
}

// Blocked tells whether a login as user from addr is blocked now, and for
// how much longer. A blocked answer is logged as a refusal.
func (t *Throttle) Blocked(addr netip.Addr, user string) (blocked bool, retryAfter time.Duration) {
	o := t.opts.withDefaults()
	now := o.Now()
	a := HostAddr(addr)
	t.mu.Lock()
	var until time.Time
	var who string
	for _, k := range []throttleKey{{a, user}, {a, ""}} {
		if el, ok := t.seen[k]; ok {
			if f := el.Value.(*failures); now.Before(f.blockedUntil) && f.blockedUntil.After(until) {
				until, who = f.blockedUntil, k.user
			}
		}
	}
	t.mu.Unlock()
	if until.IsZero() {
		return false, 0
	}
	scope := "user"
	if who == "" {
		scope = "address"
	}
	o.Logger.Info("auth: login refused during a block", "address", a.String(), "user", user, "blocked", scope, "until", until.Format(time.RFC3339))
	return true, until.Sub(now)
}

// Refusal is how long to wait before answering a login refused because
// of a block: always the same, so that the time tells nothing.
func (t *Throttle) Refusal() time.Duration { return t.opts.withDefaults().MaxDelay }

// Failure records a failed login as user from addr (user "" when the
// client named none). It returns how long to wait before answering and
// whether the login is now blocked.
func (t *Throttle) Failure(addr netip.Addr, user string) (delay time.Duration, blocked bool) {
	o := t.opts.withDefaults()
	now := o.Now()
	a := HostAddr(addr)
	t.mu.Lock()
	var started []Block
	unkept := false // a block started that kept had no room for
	// A failure that named no user (a malformed SASL exchange) counts
	// against the address alone.
	pair := &failures{}
	if user != "" {
		var pairBlocked bool
		if pair, pairBlocked = t.count(o, now, throttleKey{a, user}, o.Limit); pairBlocked {
			started = append(started, pair.block())
			unkept = unkept || !pair.kept
		}
	}
	whole, wholeBlocked := t.count(o, now, throttleKey{a, ""}, o.AddressLimit)
	if user != "" && !slices.Contains(whole.users, user) && len(whole.users) < maxUsersNoted {
		whole.users = append(whole.users, user)
	}
	if wholeBlocked {
		started = append(started, whole.block())
		unkept = unkept || !whole.kept
	}
	full := 0 // blocks kept, when this failure must log that there is no room for more
	if unkept && (now.Sub(t.fullLogged) >= time.Minute || now.Before(t.fullLogged)) {
		t.fullLogged, full = now, t.kept.Len()
	}
	delay = backoff(whole.count, o.Delay, o.MaxDelay)
	blocked = now.Before(pair.blockedUntil) || now.Before(whole.blockedUntil)
	if blocked {
		delay = o.MaxDelay
	}
	t.evict(o, now)
	t.mu.Unlock()
	if full > 0 {
		o.Logger.Error("auth: the throttle keeps as many blocks as it can; new ones may be forgotten before they end",
			"blocks", full, "max-entries", o.MaxEntries)
	}
	for _, b := range started {
		if b.User != "" {
			o.Logger.Warn("auth: blocking logins of a user from an address", "address", b.Addr.String(), "user", b.User,
				"failures", b.Failures, "until", b.Until.Format(time.RFC3339))
		} else {
			o.Logger.Warn("auth: blocking logins from an address", "address", b.Addr.String(), "users", b.Users,
				"failures", b.Failures, "until", b.Until.Format(time.RFC3339))
		}
	}
	return delay, blocked
}

// count records one failure under k and blocks k when it reaches limit,
// reporting whether this failure started the block; t.mu is held.
func (t *Throttle) count(o ThrottleOptions, now time.Time, k throttleKey, limit int) (f *failures, started bool) {
	if t.seen == nil {
		t.seen = map[throttleKey]*list.Element{}
	}
	if el, ok := t.seen[k]; ok {
		f = el.Value.(*failures)
		if !f.kept {
			t.lru.MoveToFront(el)
		}
	} else {
		f = &failures{key: k}
		t.seen[k] = t.lru.PushFront(f)
	}
	f.last = now
	if now.Before(f.blockedUntil) {
		return f, false
	}
	if !f.blockedUntil.IsZero() || f.count == 0 || now.Sub(f.first) >= o.Window || now.Before(f.first) {
		if f.kept {
			// Its block has ended: it may be forgotten again.
			t.kept.Remove(t.seen[k])
			t.seen[k] = t.lru.PushFront(f)
		}
		*f = failures{key: k, first: now, last: now} // a fresh start
	}
	f.count++
	if f.count >= limit {
		f.blockedUntil = now.Add(o.BlockFor)
		t.keep(o, now, f)
		return f, true
	}
	return f, false
}

// keep moves f, whose block has just started, from lru to kept, where
// failures from other addresses cannot push it out. When kept already
// holds MaxEntries blocks, ended ones are dropped first; if it is still
// full, f stays in lru: its block holds until other failures push it out.
// t.mu is held.
func (t *Throttle) keep(o ThrottleOptions, now time.Time, f *failures) {
	t.dropEnded(now)
	if t.kept.Len() >= o.MaxEntries {
		return
	}
	t.lru.Remove(t.seen[f.key])
	f.kept = true
	t.seen[f.key] = t.kept.PushBack(f)
}

// dropEnded forgets the kept blocks that have ended. t.mu is held.
func (t *Throttle) dropEnded(now time.Time) {
	for el := t.kept.Front(); el != nil; el = t.kept.Front() {
		f := el.Value.(*failures)
		if now.Before(f.blockedUntil) {
			return
		}
		t.kept.Remove(el)
		delete(t.seen, f.key)
	}
}

// forget drops the entry of el. t.mu is held.
func (t *Throttle) forget(el *list.Element) {
	f := el.Value.(*failures)
	if f.kept {
		t.kept.Remove(el)
	} else {
		t.lru.Remove(el)
	}
	delete(t.seen, f.key)
}

func (f *failures) block() Block {
	return Block{Addr: f.key.addr, User: f.key.user, Until: f.blockedUntil, Failures: f.count, Users: slices.Clone(f.users)}
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

// Success forgets the failures of user from addr, after a successful
// login. The address's count over all users stays: one account an
// attacker knows must not reset the count of its guesses at others.
func (t *Throttle) Success(addr netip.Addr, user string) {
	k := throttleKey{HostAddr(addr), user}
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.seen[k]; ok {
		t.forget(el)
	}
}

// Unblock lifts the blocks of addr and forgets its failures: those of
// user alone, or every one of the address when user is "". An invalid
// addr lifts every block. It returns how many blocks were lifted.
func (t *Throttle) Unblock(addr netip.Addr, user string) int {
	o := t.opts.withDefaults()
	now := o.Now()
	a := netip.Addr{}
	if addr.IsValid() {
		a = HostAddr(addr)
	}
	t.mu.Lock()
	var lifted []Block
	for k, el := range t.seen {
		if a.IsValid() && k.addr != a {
			continue
		}
		if user != "" && k.user != user && k.user != "" {
			continue
		}
		f := el.Value.(*failures)
		if now.Before(f.blockedUntil) {
			lifted = append(lifted, f.block())
		}
		t.forget(el)
	}
	t.mu.Unlock()
	for _, b := range lifted {
		o.Logger.Warn("auth: block lifted", "address", b.Addr.String(), "user", b.User)
	}
	return len(lifted)
}

// Blocks returns the blocks in force, the longest-lasting first.
func (t *Throttle) Blocks() []Block {
	o := t.opts.withDefaults()
	now := o.Now()
	t.mu.Lock()
	var out []Block
	for _, l := range []*list.List{&t.kept, &t.lru} {
		for el := l.Front(); el != nil; el = el.Next() {
			if f := el.Value.(*failures); now.Before(f.blockedUntil) {
				out = append(out, f.block())
			}
		}
	}
	t.mu.Unlock()
	slices.SortStableFunc(out, func(x, y Block) int { return y.Until.Compare(x.Until) })
	return out
}

// evict drops the kept blocks that have ended and, from the least
// recent end of lru, the entries that no longer matter and those past
// MaxEntries. Kept blocks in force are never dropped. t.mu is held.
func (t *Throttle) evict(o ThrottleOptions, now time.Time) {
	t.dropEnded(now)
	for el := t.lru.Back(); el != nil; el = t.lru.Back() {
		f := el.Value.(*failures)
		stale := now.Sub(f.last) >= o.Window && !now.Before(f.blockedUntil)
		if !stale && t.lru.Len() <= o.MaxEntries {
			return
		}
		t.forget(el)
	}
}

// Len returns how many addresses and pairs the Throttle remembers.
func (t *Throttle) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lru.Len() + t.kept.Len()
}
