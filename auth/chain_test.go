package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"testing"
)

// table is a password back-end for the chain's rule: name -> password,
// with "!" for a locked user; down makes it fail as a server that is down.
type table struct {
	users map[string]string
	down  bool
	asked int
}

func (b *table) Authenticate(_ context.Context, name, password string) (*User, error) {
	b.asked++
	if b.down {
		return nil, unavailable("table", errors.New("connection refused"))
	}
	pw, ok := b.users[name]
	switch {
	case !ok:
		return nil, ErrNoUser
	case pw == "!" || pw != password:
		return nil, ErrBadCredentials
	}
	return &User{Name: name}, nil
}

// TestChainRule: the first back-end that knows the user decides; unknown
// users pass on; a back-end that is down gives ErrUnavailable unless a
// later one knows the user.
func TestChainRule(t *testing.T) {
	type backend struct {
		users map[string]string
		down  bool
	}
	ann := map[string]string{"ann": "ann pw"}
	ann2 := map[string]string{"ann": "other pw"}
	locked := map[string]string{"ann": "!"}
	none := map[string]string{}
	tests := []struct {
		name     string
		backends []backend
		login    string
		password string
		want     error // nil for success
		asked    []int
		by       string // the back-end that decided
	}{
		{"first knows, right password", []backend{{ann, false}, {ann2, false}}, "ann", "ann pw", nil, []int{1, 0}, "b0"},
		{"first knows, wrong password decides", []backend{{ann, false}, {ann2, false}}, "ann", "other pw", ErrBadCredentials, []int{1, 0}, "b0"},
		{"locked in the first decides", []backend{{locked, false}, {ann, false}}, "ann", "ann pw", ErrBadCredentials, []int{1, 0}, "b0"},
		{"unknown passes on", []backend{{none, false}, {ann2, false}}, "ann", "other pw", nil, []int{1, 1}, "b1"},
		{"nobody knows", []backend{{none, false}, {none, false}}, "ann", "x", ErrNoUser, []int{1, 1}, ""},
		{"down, nobody else knows", []backend{{ann, true}, {none, false}}, "ann", "ann pw", ErrUnavailable, []int{1, 1}, ""},
		{"down, a later one knows and accepts", []backend{{none, true}, {ann, false}}, "ann", "ann pw", nil, []int{1, 1}, "b1"},
		{"down, a later one knows and refuses", []backend{{none, true}, {ann, false}}, "ann", "bad", ErrBadCredentials, []int{1, 1}, "b1"},
		{"down after an unknown", []backend{{none, false}, {ann, true}}, "ann", "ann pw", ErrUnavailable, []int{1, 1}, ""},
		{"empty password asks nobody", []backend{{map[string]string{"ann": ""}, false}}, "ann", "", ErrNoUser, []int{0}, ""},
		{"bad name asks nobody", []backend{{ann, false}}, "../ann", "ann pw", ErrNoUser, []int{0}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var bs []Backend
			var tables []*table
			for i, b := range tt.backends {
				tb := &table{users: b.users, down: b.down}
				tables = append(tables, tb)
				bs = append(bs, Backend{Name: fmt.Sprint("b", i), Authenticator: tb})
			}
			c := NewChain(slog.New(slog.DiscardHandler), bs...)
			u, by, err := c.AuthenticateBy(context.Background(), tt.login, tt.password)
			if by != tt.by {
				t.Errorf("decided by %q, want %q", by, tt.by)
			}
			switch {
			case tt.want == nil && (err != nil || u == nil || u.Name != tt.login):
				t.Errorf("got %v, %v; want user %s", u, err, tt.login)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Errorf("got %v, %v; want %v", u, err, tt.want)
			}
			if errors.Is(err, ErrUnavailable) && errors.Is(err, ErrBadCredentials) {
				t.Errorf("%v is both unavailable and bad credentials", err)
			}
			for i, tb := range tables {
				if tb.asked != tt.asked[i] {
					t.Errorf("back-end %d asked %d times, want %d", i, tb.asked, tt.asked[i])
				}
			}
		})
	}
}

// TestUnavailableNotThrottled: a login that failed because the back-end
// was down is neither counted nor delayed; a wrong password is.
func TestUnavailableNotThrottled(t *testing.T) {
	th := NewThrottle(&ThrottleOptions{Limit: 1, AddressLimit: 1, Logger: slog.New(slog.DiscardHandler)})
	addr := netip.MustParseAddr("192.0.2.7")
	down := NewChain(slog.New(slog.DiscardHandler), Backend{Name: "ldap", Authenticator: &table{down: true}})
	for range 5 {
		a := &Attempt{Authenticator: down, Throttle: th, Addr: addr}
		_, err := a.Authenticate(context.Background(), "ann", "pw")
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("got %v, want ErrUnavailable", err)
		}
		if d := a.Finish(err); d != 0 {
			t.Fatalf("an unavailable back-end delayed the answer by %v", d)
		}
	}
	if blocked, _ := th.Blocked(addr, "ann"); blocked {
		t.Fatal("an unavailable back-end blocked the user")
	}
	up := NewChain(slog.New(slog.DiscardHandler), Backend{Name: "table", Authenticator: &table{users: map[string]string{"ann": "pw"}}})
	a := &Attempt{Authenticator: up, Throttle: th, Addr: addr}
	_, err := a.Authenticate(context.Background(), "ann", "wrong")
	a.Finish(err)
	if blocked, _ := th.Blocked(addr, "ann"); !blocked {
		t.Fatal("a wrong password with limit 1 did not block")
	}
}

// TestUsersFileUnknownUser: the users file tells an unknown user (the
// chain asks the next back-end) from a wrong password or a locked account
// (it decides).
func TestUsersFileUnknownUser(t *testing.T) {
	path := writeUsers(t, "ann:"+cheapHash(t, "pw")+"\nbob:*\n")
	u, err := LoadUsersFile(path, "/data", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := u.Authenticate(ctx, "carl", "pw"); !errors.Is(err, ErrNoUser) {
		t.Errorf("unknown: %v, want ErrNoUser", err)
	}
	for _, name := range []string{"ann", "bob"} {
		if _, err := u.Authenticate(ctx, name, "wrong"); !errors.Is(err, ErrBadCredentials) || errors.Is(err, ErrNoUser) {
			t.Errorf("%s: %v, want ErrBadCredentials only", name, err)
		}
	}
}

// identTable is a table that can also name users without a password.
type identTable struct{ table }

func (b *identTable) Identify(_ context.Context, name string) (*User, error) {
	_, err := b.Authenticate(context.Background(), name, b.users[name])
	if err != nil {
		return nil, err
	}
	return &User{Name: name}, nil
}

// TestChainIdentify: names proven without a password (EXTERNAL,
// OAUTHBEARER, preauth) are looked up by the chain's rule, in the
// back-ends that can identify; the users file says ErrNoUser for a name
// it lacks so that later back-ends are asked.
func TestChainIdentify(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	path := writeUsers(t, "ann:"+cheapHash(t, "pw")+"\nbob:*\n")
	users, err := LoadUsersFile(path, "/data", nil)
	if err != nil {
		t.Fatal(err)
	}
	later := &identTable{table{users: map[string]string{"carl": "x", "ann": "y"}}}
	down := &identTable{table{down: true}}
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		chain *Chain
		user  string
		want  error // nil: found
	}{
		{"first decides", NewChain(log, Backend{"users-file", users}, Backend{"t", later}), "ann", nil},
		{"locked is final", NewChain(log, Backend{"users-file", users}, Backend{"t", later}), "bob", ErrBadCredentials},
		{"unknown passes on", NewChain(log, Backend{"users-file", users}, Backend{"t", later}), "carl", nil},
		{"nobody knows", NewChain(log, Backend{"users-file", users}, Backend{"t", later}), "dave", ErrNoUser},
		{"down, nobody knows", NewChain(log, Backend{"t", down}, Backend{"users-file", users}), "dave", ErrUnavailable},
		{"down, a later one knows", NewChain(log, Backend{"t", down}, Backend{"users-file", users}), "ann", nil},
		{"password-only back-ends are skipped", NewChain(log, Backend{"p", &table{users: map[string]string{"eve": "x"}}}), "eve", ErrNoUser},
	} {
		u, err := tc.chain.Identify(ctx, tc.user)
		if tc.want == nil && (err != nil || u.Name != tc.user) || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: Identify(%s) = %v, %v; want %v", tc.name, tc.user, u, err, tc.want)
		}
	}
}
