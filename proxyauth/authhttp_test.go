package proxyauth

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mailgate/mailgate/auth"
)

// authFixture is an auth_http endpoint over real HTTP, for users alice
// (pattern on node a) and bob (pattern on node b), whose IMAP addresses
// are live listeners unless down.
type authFixture struct {
	url      string
	a, b     net.Listener
	throttle *auth.Throttle
}

func newAuthFixture(t *testing.T, opts AuthOptions) *authFixture {
	t.Helper()
	dir := t.TempDir()
	users := filepath.Join(dir, "users")
	os.WriteFile(users, []byte("alice:{PLAIN}secret a%b:::::\nbob:{PLAIN}hunter2:::::\n"), 0o600)
	uf, err := auth.LoadUsersFile(users, dir, &auth.UsersFileOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	f := &authFixture{}
	for _, l := range []*net.Listener{&f.a, &f.b} {
		if *l, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { (*l).Close() })
	}
	ns := []Node{
		{Name: "a", IMAP: netip.MustParseAddrPort(f.a.Addr().String()), Users: []string{"alice"}},
		{Name: "b", IMAP: netip.MustParseAddrPort(f.b.Addr().String()), Users: []string{"bob"}},
	}
	if opts.Owners, err = NewOwners(ns, "", nil); err != nil {
		t.Fatal(err)
	}
	opts.Authenticator = auth.NewChain(nil, auth.Backend{Name: "users-file", Authenticator: uf})
	f.throttle = auth.NewThrottle(&auth.ThrottleOptions{Limit: 3, Logger: slog.New(slog.DiscardHandler)})
	opts.Throttle = f.throttle
	opts.Logger = slog.New(slog.DiscardHandler)
	srv := httptest.NewServer(NewAuthHTTP(&opts))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// ask sends an auth_http request as nginx does (escaped user and
// password) and returns the answer's headers.
func (f *authFixture) ask(t *testing.T, headers map[string]string) (int, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", f.url+"/auth", nil)
	base := map[string]string{"Auth-Method": "plain", "Auth-Protocol": "imap", "Auth-Login-Attempt": "1", "Client-IP": "192.0.2.7"}
	for k, v := range base {
		req.Header.Set(k, v)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

func TestAuthHTTP(t *testing.T) {
	f := newAuthFixture(t, AuthOptions{CheckTimeout: time.Second})
	for _, tc := range []struct {
		name    string
		headers map[string]string
		status  string
		server  net.Listener
		wait    string
	}{
		{"alice to a", map[string]string{"Auth-User": "alice", "Auth-Pass": "secret%20a%25b"}, "OK", f.a, ""},
		{"bob to b", map[string]string{"Auth-User": "bob", "Auth-Pass": "hunter2"}, "OK", f.b, ""},
		{"login method", map[string]string{"Auth-Method": "login", "Auth-User": "bob", "Auth-Pass": "hunter2"}, "OK", f.b, ""},
		{"wrong password", map[string]string{"Auth-User": "bob", "Auth-Pass": "nope", "Client-IP": "192.0.2.8"}, statusInvalid, nil, "1"},
		{"unknown user", map[string]string{"Auth-User": "carol", "Auth-Pass": "x", "Client-IP": "192.0.2.9"}, statusInvalid, nil, "1"},
		{"last attempt", map[string]string{"Auth-User": "bob", "Auth-Pass": "nope", "Auth-Login-Attempt": "5", "Client-IP": "192.0.2.10"}, statusInvalid, nil, ""},
		{"cram-md5", map[string]string{"Auth-Method": "cram-md5", "Auth-User": "bob", "Auth-Pass": "x"}, statusUnsupported, nil, ""},
		{"smtp", map[string]string{"Auth-Protocol": "smtp", "Auth-User": "bob", "Auth-Pass": "hunter2"}, "Protocol not served", nil, ""},
		{"bad client ip", map[string]string{"Auth-User": "bob", "Auth-Pass": "hunter2", "Client-IP": "nowhere"}, statusTemporary, nil, "1"},
		{"bad escape", map[string]string{"Auth-User": "bob", "Auth-Pass": "%zz"}, statusTemporary, nil, "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, h := f.ask(t, tc.headers)
			if code != 200 || h.Get("Auth-Status") != tc.status {
				t.Fatalf("%d Auth-Status %q; want %q", code, h.Get("Auth-Status"), tc.status)
			}
			if tc.server != nil {
				ap := netip.MustParseAddrPort(tc.server.Addr().String())
				if h.Get("Auth-Server") != ap.Addr().String() || h.Get("Auth-Port") != itoa(ap.Port()) {
					t.Errorf("routed to %s:%s; want %s", h.Get("Auth-Server"), h.Get("Auth-Port"), ap)
				}
			}
			if h.Get("Auth-Wait") != tc.wait {
				t.Errorf("Auth-Wait %q; want %q", h.Get("Auth-Wait"), tc.wait)
			}
		})
	}
}

func itoa(p uint16) string { return strconv.Itoa(int(p)) }

// Failures from one Client-IP are throttled; another address is not.
func TestAuthHTTPThrottle(t *testing.T) {
	f := newAuthFixture(t, AuthOptions{})
	for range 3 {
		f.ask(t, map[string]string{"Auth-User": "bob", "Auth-Pass": "nope"})
	}
	if blocked, _ := f.throttle.Blocked(netip.MustParseAddr("192.0.2.7"), "bob"); !blocked {
		t.Fatal("three failures did not block bob from 192.0.2.7")
	}
	// The right password is refused during the block, with the
	// throttle's full delay as Auth-Wait.
	_, h := f.ask(t, map[string]string{"Auth-User": "bob", "Auth-Pass": "hunter2"})
	if h.Get("Auth-Status") != statusInvalid || h.Get("Auth-Wait") != "4" {
		t.Errorf("during the block: %q wait %q", h.Get("Auth-Status"), h.Get("Auth-Wait"))
	}
	_, h = f.ask(t, map[string]string{"Auth-User": "bob", "Auth-Pass": "hunter2", "Client-IP": "198.51.100.1"})
	if h.Get("Auth-Status") != "OK" {
		t.Errorf("from another address: %q", h.Get("Auth-Status"))
	}
}

// The users of a node that is down hear so; the others are unaffected.
func TestAuthHTTPNodeDown(t *testing.T) {
	f := newAuthFixture(t, AuthOptions{CheckTimeout: time.Second})
	f.a.Close()
	_, h := f.ask(t, map[string]string{"Auth-User": "alice", "Auth-Pass": "secret%20a%25b"})
	if got := h.Get("Auth-Status"); got != "[UNAVAILABLE] Mail server unavailable, try again later" || h.Get("Auth-Wait") == "" {
		t.Errorf("alice with a down: %q wait %q", got, h.Get("Auth-Wait"))
	}
	_, h = f.ask(t, map[string]string{"Auth-User": "bob", "Auth-Pass": "hunter2"})
	if h.Get("Auth-Status") != "OK" {
		t.Errorf("bob with a down: %q", h.Get("Auth-Status"))
	}
}

func TestAuthHTTPSecret(t *testing.T) {
	f := newAuthFixture(t, AuthOptions{Secret: "s3cret"})
	if code, _ := f.ask(t, map[string]string{"Auth-User": "bob", "Auth-Pass": "hunter2"}); code != http.StatusForbidden {
		t.Errorf("without X-Auth-Key: %d", code)
	}
	if code, _ := f.ask(t, map[string]string{"Auth-User": "bob", "Auth-Pass": "hunter2", "X-Auth-Key": "wrong"}); code != http.StatusForbidden {
		t.Errorf("with a wrong X-Auth-Key: %d", code)
	}
	if _, h := f.ask(t, map[string]string{"Auth-User": "bob", "Auth-Pass": "hunter2", "X-Auth-Key": "s3cret"}); h.Get("Auth-Status") != "OK" {
		t.Errorf("with X-Auth-Key: %q", h.Get("Auth-Status"))
	}
}
