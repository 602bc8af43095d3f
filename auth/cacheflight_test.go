package auth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// flightTest is a users file whose verifications are counted and held
// until release is closed.
type flightTest struct {
	u        *UsersFile
	verified atomic.Int32
	release  chan struct{}
}

func newFlightTest(t *testing.T) *flightTest {
	t.Helper()
	path := writeUsers(t, "alice:"+cheapHash(t, "alice pw")+"\n")
	u, err := LoadUsersFile(path, "/data", &UsersFileOptions{CacheTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ft := &flightTest{u: u, release: make(chan struct{})}
	u.verifying = func(*passwordHash) {
		ft.verified.Add(1)
		<-ft.release
	}
	return ft
}

// waitFlights waits until the users file's cache has flights checks
// under way with waiters logins waiting for them in all.
func (ft *flightTest) waitFlights(t *testing.T, flights, waiters int) {
	t.Helper()
	waitFlights(t, ft.u.cache, flights, waiters)
}

// waitFlights waits until c has flights checks under way with waiters
// logins waiting for them in all.
func waitFlights(t *testing.T, c *loginCache, flights, waiters int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		n, w := len(c.flights), 0
		for _, f := range c.flights {
			w += f.waiters
		}
		c.mu.Unlock()
		if n == flights && w == waiters {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d checks under way with %d waiting, want %d with %d", n, w, flights, waiters)
		}
		time.Sleep(time.Millisecond)
	}
}

// login starts a login of alice and returns where its error comes.
func (ft *flightTest) login(ctx context.Context, password string) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := ft.u.Authenticate(ctx, "alice", password)
		done <- err
	}()
	return done
}

// TestLoginCacheOneVerification: concurrent logins of one user with the
// same password, before the cache has an entry, cost one verification; a
// different password never shares another's.
func TestLoginCacheOneVerification(t *testing.T) {
	for _, tc := range []struct {
		name             string
		right, wrong     int
		wantVerification int32
	}{
		{"six with the right password", 6, 0, 1},
		{"three right, three wrong", 3, 3, 2},
		{"six with the same wrong password", 0, 6, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ft := newFlightTest(t)
			ctx := context.Background()
			var right, wrong []<-chan error
			for range tc.right {
				right = append(right, ft.login(ctx, "alice pw"))
			}
			for range tc.wrong {
				wrong = append(wrong, ft.login(ctx, "alice pwd"))
			}
			flights := min(tc.right, 1) + min(tc.wrong, 1)
			ft.waitFlights(t, flights, tc.right+tc.wrong-flights)
			close(ft.release)
			for _, done := range right {
				if err := <-done; err != nil {
					t.Errorf("right password: %v", err)
				}
			}
			for _, done := range wrong {
				if err := <-done; !errors.Is(err, ErrBadCredentials) {
					t.Errorf("wrong password: %v, want ErrBadCredentials", err)
				}
			}
			if n := ft.verified.Load(); n != tc.wantVerification {
				t.Errorf("%d verifications, want %d", n, tc.wantVerification)
			}
		})
	}
}

// TestLoginCacheWaitEnds: a login waiting for another's check is not
// failed by the end of that one's context (it verifies itself), and its
// own context's end frees it at once, as ErrUnavailable.
func TestLoginCacheWaitEnds(t *testing.T) {
	t.Run("the first login's context ends", func(t *testing.T) {
		ft := newFlightTest(t)
		ctx, cancel := context.WithCancel(context.Background())
		first := ft.login(ctx, "alice pw")
		ft.waitFlights(t, 1, 0)
		second := ft.login(context.Background(), "alice pw")
		ft.waitFlights(t, 1, 1)
		cancel()
		close(ft.release)
		if err := <-first; !errors.Is(err, ErrUnavailable) {
			t.Errorf("the login whose context ended: %v, want ErrUnavailable", err)
		}
		if err := <-second; err != nil {
			t.Errorf("the login that waited for it: %v", err)
		}
		if n := ft.verified.Load(); n != 2 {
			t.Errorf("%d verifications, want 2", n)
		}
	})
	t.Run("the waiting login's context ends", func(t *testing.T) {
		ft := newFlightTest(t)
		first := ft.login(context.Background(), "alice pw")
		ft.waitFlights(t, 1, 0)
		ctx, cancel := context.WithCancel(context.Background())
		second := ft.login(ctx, "alice pw")
		ft.waitFlights(t, 1, 1)
		cancel()
		if err := <-second; !errors.Is(err, ErrUnavailable) || !errors.Is(err, errNoVerifySlot) {
			t.Errorf("the waiting login whose context ended: %v, want ErrUnavailable (no place to verify)", err)
		}
		close(ft.release)
		if err := <-first; err != nil {
			t.Errorf("the first login: %v", err)
		}
	})
}

// TestLoginCacheCheckPanics: a verification that panics lets those
// waiting for it verify themselves, rather than wait for ever.
func TestLoginCacheCheckPanics(t *testing.T) {
	c := newLoginCache(time.Hour, "test")
	now := time.Unix(1_700_000_000, 0)
	started, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() { recover() }()
		c.check(context.Background(), "alice", "h", "pw", now, func() (bool, error) {
			close(started)
			<-release
			panic("verification failed")
		})
	}()
	<-started
	done := make(chan bool, 1)
	go func() {
		ok, _ := c.check(context.Background(), "alice", "h", "pw", now, func() (bool, error) { return true, nil })
		done <- ok
	}()
	waitFlights(t, c, 1, 1)
	close(release)
	wg.Wait()
	select {
	case ok := <-done:
		if !ok {
			t.Error("the check after a panicking one failed")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the check waiting for a panicking one never ended")
	}
}
