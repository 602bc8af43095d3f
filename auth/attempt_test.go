package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"testing"
	"time"
)

// countingFake counts the passwords it checks.
type countingFake struct {
	fakeAuth
	checks int
}

func (c *countingFake) Authenticate(ctx context.Context, name, password string) (*User, error) {
	c.checks++
	return c.fakeAuth.Authenticate(ctx, name, password)
}

// While a user name is blocked, an Attempt refuses it before the
// password is checked, through LOGIN and every SASL mechanism, and asks
// the frontend to wait exactly Refusal.
func TestAttemptBlocked(t *testing.T) {
	addr := netip.MustParseAddr("192.0.2.7")
	th := NewThrottle(&ThrottleOptions{Limit: 2, MaxDelay: 3 * time.Second, Logger: slog.New(slog.DiscardHandler)})
	users := &countingFake{fakeAuth: fakeAuth{"alice": "pw", "bob": "pw"}}
	attempt := func() *Attempt { return &Attempt{Authenticator: users, Throttle: th, Addr: addr} }
	for range 2 {
		a := attempt()
		_, err := a.Authenticate(context.Background(), "alice", "wrong")
		if !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
		a.Finish(err)
	}
	checks := users.checks
	a := attempt()
	if _, err := a.Authenticate(context.Background(), "alice", "pw"); !errors.Is(err, ErrBlocked) {
		t.Fatalf("right password during the block: %v", err)
	} else if d := a.Finish(err); d != th.Refusal() {
		t.Errorf("refusal delay %v, want %v", d, th.Refusal())
	}
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		a := attempt()
		srv, _ := NewSASLServer(context.Background(), mech, a)
		var err error
		for _, resp := range map[string][]string{"PLAIN": {"\x00alice\x00pw"}, "LOGIN": {"alice", "pw"}}[mech] {
			_, _, err = srv.Next([]byte(resp))
		}
		if !errors.Is(err, ErrBlocked) || a.Name() != "alice" {
			t.Errorf("%s during the block: %v (name %q)", mech, err, a.Name())
		}
	}
	if users.checks != checks {
		t.Errorf("%d passwords checked during the block", users.checks-checks)
	}
	a = attempt()
	u, err := a.Authenticate(context.Background(), "bob", "pw")
	if err != nil || u.Name != "bob" || a.Finish(nil) != 0 {
		t.Errorf("bob from the same address: %v, %v", u, err)
	}
}

// A failure that named no user counts once, against the address.
func TestFailureWithoutUser(t *testing.T) {
	addr := netip.MustParseAddr("192.0.2.8")
	th := NewThrottle(&ThrottleOptions{Limit: 1, AddressLimit: 2, Logger: slog.New(slog.DiscardHandler)})
	if _, blocked := th.Failure(addr, ""); blocked {
		t.Fatal("one failure without a user name blocked the address")
	}
	if _, blocked := th.Failure(addr, ""); !blocked {
		t.Fatal("two failures without a user name did not block the address")
	}
	if b := th.Blocks(); len(b) != 1 || b[0].User != "" || b[0].Failures != 2 {
		t.Errorf("blocks %+v", b)
	}
}
