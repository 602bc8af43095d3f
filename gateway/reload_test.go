package gateway_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/gateway"
	"github.com/mailgate/mailgate/tlsmgr/tlsmgrtest"
)

// freeAddr returns a loopback address with a port that was free a moment
// ago, for a listener that must be named before the gateway opens it.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// reloadable is a gateway whose configuration the test changes: Reload
// reads the text given to reload last.
type reloadable struct {
	g        *gateway.Gateway
	dir      string   // the data directory
	addrs    []string // every listener's, in the order they listen
	password string   // of gateway.FirstUser in the default users file

	mu   sync.Mutex
	text string
}

// startReloadable runs a gateway on text (with data-dir set to a new
// directory) until the end of the test, and waits for its first
// listeners (the [[server]] ones, then [proxy-auth]'s) to listen.
func startReloadable(t *testing.T, listeners int, text string) *reloadable {
	t.Helper()
	r := &reloadable{dir: t.TempDir(), text: text}
	cfg, err := r.parse()
	if err != nil {
		t.Fatal(err)
	}
	if r.password, err = gateway.EnsureUser(filepath.Join(r.dir, "users")); err != nil {
		t.Fatal(err)
	}
	ready := make(chan net.Addr, 16)
	r.g, err = gateway.New(cfg, gateway.Options{
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Ready:      func(a net.Addr) { ready <- a },
		LoadConfig: r.parse,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.g.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	for range listeners {
		select {
		case a := <-ready:
			r.addrs = append(r.addrs, a.String())
		case err := <-done:
			t.Fatalf("Run: %v", err)
		}
	}
	return r
}

// parse parses the text in force, as Options.LoadConfig.
func (r *reloadable) parse() (*config.Config, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return config.Parse([]byte("data-dir = "+quote(r.dir)+"\n"+r.text), "test.toml")
}

// reload puts text in the file and reloads.
func (r *reloadable) reload(text string) error {
	r.mu.Lock()
	r.text = text
	r.mu.Unlock()
	return r.g.Reload()
}

// proxiedGreeting connects to addr, sends a PROXY header naming client
// 203.0.113.9, and returns the line the server answers first.
func proxiedGreeting(t *testing.T, addr string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "PROXY TCP4 203.0.113.9 127.0.0.1 40000 143\r\n")
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	l, _ := bufio.NewReader(c).ReadString('\n')
	return l
}

// askAuthHTTP sends nginx's auth_http request for gateway.FirstUser to
// addr and returns the HTTP status and the Auth-Status and Auth-Server
// headers. Each call names another client, so that no answer waits for
// the login throttle.
func askAuthHTTP(t *testing.T, addr, secret, password string) (code int, status, server string) {
	req, _ := http.NewRequest("GET", "http://"+addr+"/auth", nil)
	for k, v := range map[string]string{"X-Auth-Key": secret, "Auth-Method": "plain", "Auth-User": gateway.FirstUser,
		"Auth-Pass": password, "Auth-Protocol": "imap", "Auth-Login-Attempt": "1", "Client-IP": nextClient()} {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Error(err)
		return 0, "", ""
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Auth-Status"), resp.Header.Get("Auth-Server")
}

var clients struct {
	sync.Mutex
	n int
}

// nextClient returns a client address not used before in this process.
func nextClient() string {
	clients.Lock()
	defer clients.Unlock()
	clients.n++
	return fmt.Sprintf("10.%d.%d.%d", clients.n>>16&255, clients.n>>8&255, clients.n&255)
}

// TestReloadDropsTrustedProxy: an operator takes a proxy out of
// [[server]] trusted-proxies (it was compromised, or the address moved
// to another host) and reloads: PROXY headers from that address are no
// longer believed, so its clients cannot pick their own address past
// [[acl]], the login throttle and the per-address limits. The listener
// reads trusted-proxies from the live configuration at each accept.
func TestReloadDropsTrustedProxy(t *testing.T) {
	const acl = "[[acl]]\naction = \"deny\"\nfrom = \"127.0.0.0/8\"\n"
	const trusting = acl + "[[server]]\naddress = \"127.0.0.1:0\"\ntrusted-proxies = [\"127.0.0.0/8\"]\n"
	const notTrusting = acl + "[[server]]\naddress = \"127.0.0.1:0\"\n"
	r := startReloadable(t, 1, trusting)
	if l := proxiedGreeting(t, r.addrs[0]); !strings.HasPrefix(l, "* OK") {
		t.Fatalf("through the trusted proxy, before the reload: %q", l)
	}
	if err := r.reload(notTrusting); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if l := proxiedGreeting(t, r.addrs[0]); strings.HasPrefix(l, "* OK") {
		t.Errorf("after trusted-proxies was emptied and reloaded, a PROXY header from 127.0.0.1 still sets the client's address (greeting %q, past the [[acl]] deny of 127.0.0.0/8)", l)
	}
}

// TestReloadAddsTrustedProxy: a proxy added to trusted-proxies by a
// reload is believed from the next connection, on a listener that
// trusted none at start; removing it again applies too.
func TestReloadAddsTrustedProxy(t *testing.T) {
	// The client that the PROXY header names is denied: a greeting of
	// "* BYE" says the header was believed, "* OK" that it was not.
	const acl = "[[acl]]\naction = \"deny\"\nfrom = \"203.0.113.0/24\"\n"
	const notTrusting = acl + "[[server]]\naddress = \"127.0.0.1:0\"\n"
	const trusting = acl + "[[server]]\naddress = \"127.0.0.1:0\"\ntrusted-proxies = [\"127.0.0.1\"]\n"
	r := startReloadable(t, 1, notTrusting)
	for i, step := range []struct {
		text, want string
	}{
		{notTrusting, "* OK"},
		{trusting, "* BYE"},
		{notTrusting, "* OK"},
	} {
		if i > 0 {
			if err := r.reload(step.text); err != nil {
				t.Fatalf("step %d: Reload: %v", i, err)
			}
		}
		if l := proxiedGreeting(t, r.addrs[0]); !strings.HasPrefix(l, step.want) {
			t.Errorf("step %d: greeting %q, want %s", i, l, step.want)
		}
	}
}

// proxyAuthText is a configuration with a [[server]] and [proxy-auth]
// on authAddr and socketmapAddr, with secret, one node named node at
// imap, and users from usersFile ("" for the default one).
func proxyAuthText(authAddr, socketmapAddr, secret, node, imap, usersFile string) string {
	s := "[[server]]\naddress = \"127.0.0.1:0\"\n"
	if usersFile != "" {
		s += "[auth]\nusers-file = " + quote(usersFile) + "\n"
	}
	return s + "[proxy-auth]\nlisten = " + quote(authAddr) + "\nsocketmap-listen = " + quote(socketmapAddr) +
		"\nsecret = " + quote(secret) + "\ncheck-timeout = \"0s\"\n[[proxy-auth.node]]\nname = " + quote(node) +
		"\nimap = " + quote(imap) + "\nlmtp = \"127.0.0.1:24\"\n"
}

// socketmapLookup asks Postfix's socketmap at addr one question.
func socketmapLookup(t *testing.T, addr, request string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "%d:%s,", len(request), request)
	r := bufio.NewReader(c)
	n := 0
	if _, err := fmt.Fscanf(r, "%d:", &n); err != nil {
		t.Fatalf("socketmap %q: %v", request, err)
	}
	b := make([]byte, n+1)
	if _, err := io.ReadFull(r, b); err != nil {
		t.Fatalf("socketmap %q: %v", request, err)
	}
	return string(b[:n])
}

// TestReloadReachesProxyAuth: a reload reaches [proxy-auth] (nginx's
// auth_http and Postfix's socketmap): after the operator rotates the
// secret, moves the users file (the old password no longer works) and
// renames and moves the node, the old secret is refused, the new one
// routes logins to the new address, the old password fails, and the
// socketmap names the new node.
func TestReloadReachesProxyAuth(t *testing.T) {
	authAddr, smAddr := freeAddr(t), freeAddr(t)
	r := startReloadable(t, 3, proxyAuthText(authAddr, smAddr, "old-secret", "a", "10.0.0.1:143", ""))
	if code, st, srv := askAuthHTTP(t, authAddr, "old-secret", r.password); code != 200 || st != "OK" || srv != "10.0.0.1" {
		t.Fatalf("before the reload: %d %q %q", code, st, srv)
	}
	if got := socketmapLookup(t, smAddr, "node "+gateway.FirstUser+"@example.org"); got != "OK a" {
		t.Fatalf("socketmap before the reload: %q", got)
	}
	users := filepath.Join(t.TempDir(), "users")
	password, err := gateway.EnsureUser(users)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.reload(proxyAuthText(authAddr, smAddr, "new-secret", "b", "10.0.0.2:143", users)); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if code, st, _ := askAuthHTTP(t, authAddr, "old-secret", r.password); code != http.StatusForbidden || st == "OK" {
		t.Errorf("after the secret was rotated and reloaded, the old secret: %d %q; want 403", code, st)
	}
	if code, st, srv := askAuthHTTP(t, authAddr, "new-secret", password); st != "OK" || srv != "10.0.0.2" {
		t.Errorf("after the reload, the new secret and node: %d, Auth-Status %q, Auth-Server %q; want OK from 10.0.0.2", code, st, srv)
	}
	if _, st, _ := askAuthHTTP(t, authAddr, "new-secret", r.password); st == "OK" {
		t.Error("after users-file was changed and reloaded, the password of the old file still logs in")
	}
	if got := socketmapLookup(t, smAddr, "node "+gateway.FirstUser+"@example.org"); got != "OK b" {
		t.Errorf("socketmap after the reload: %q, want OK b", got)
	}
}

// TestReloadProxyAuthOneStateAtATime: logins that arrive while reloads
// swap [proxy-auth] back and forth are each answered from one
// configuration: secret A routes to node A with users file A's password,
// or is refused as a wrong secret; it never passes with node B, or checks
// the password against users file B.
func TestReloadProxyAuthOneStateAtATime(t *testing.T) {
	authAddr, smAddr := freeAddr(t), freeAddr(t)
	dir := t.TempDir()
	type side struct{ secret, imap, users, password string }
	sides := [2]side{{"secret-a", "10.0.0.1:143", filepath.Join(dir, "a"), ""}, {"secret-b", "10.0.0.2:143", filepath.Join(dir, "b"), ""}}
	for i := range sides {
		var err error
		if sides[i].password, err = gateway.EnsureUser(sides[i].users); err != nil {
			t.Fatal(err)
		}
	}
	text := func(s side) string { return proxyAuthText(authAddr, smAddr, s.secret, "n", s.imap, s.users) }
	r := startReloadable(t, 3, text(sides[0]))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[string]int{}
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				s := sides[(w+i)%2]
				code, st, srv := askAuthHTTP(t, authAddr, s.secret, s.password)
				host, _, _ := strings.Cut(s.imap, ":")
				switch {
				case code == http.StatusForbidden:
					mu.Lock()
					seen["refused"]++
					mu.Unlock()
				case st == "OK" && srv == host:
					mu.Lock()
					seen["routed"]++
					mu.Unlock()
				default:
					t.Errorf("%s during reloads: %d, Auth-Status %q, Auth-Server %q: a mix of two configurations", s.secret, code, st, srv)
				}
			}
		})
	}
	for i := 1; i <= 20; i++ {
		if err := r.reload(text(sides[i%2])); err != nil {
			t.Errorf("Reload %d: %v", i, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	t.Logf("answers during the reloads: %v", seen)
	if seen["routed"] == 0 {
		t.Error("no login was routed during the reloads")
	}
}

// TestReloadFailingHalfwayKeepsEverything: a configuration that passes
// the checks but whose users file cannot be read changes nothing: not
// the [proxy-auth] secret and node, not trusted-proxies, not a
// [[server]]'s limits, whatever the file says besides.
func TestReloadFailingHalfwayKeepsEverything(t *testing.T) {
	authAddr, smAddr := freeAddr(t), freeAddr(t)
	// The client that the PROXY header names is denied: "* BYE" says
	// the header was believed.
	const acl = "[[acl]]\naction = \"deny\"\nfrom = \"203.0.113.0/24\"\n"
	before := acl + strings.Replace(proxyAuthText(authAddr, smAddr, "old-secret", "a", "10.0.0.1:143", ""),
		"[[server]]\naddress = \"127.0.0.1:0\"\n", "[[server]]\naddress = \"127.0.0.1:0\"\ntrusted-proxies = [\"127.0.0.1\"]\n", 1)
	r := startReloadable(t, 3, before)
	if l := proxiedGreeting(t, r.addrs[0]); !strings.HasPrefix(l, "* BYE") {
		t.Fatalf("through the trusted proxy, before the reload: %q", l)
	}
	after := acl + strings.Replace(proxyAuthText(authAddr, smAddr, "new-secret", "b", "10.0.0.2:143", filepath.Join(r.dir, "missing")),
		"[[server]]\naddress = \"127.0.0.1:0\"\n", "[[server]]\naddress = \"127.0.0.1:0\"\nlogin-timeout = \"1s\"\n", 1)
	err := r.reload(after)
	if err == nil || !strings.Contains(err.Error(), "users:") {
		t.Fatalf("a reload with a users file that does not exist: %v; want it refused on the users file", err)
	}
	if code, st, srv := askAuthHTTP(t, authAddr, "old-secret", r.password); code != 200 || st != "OK" || srv != "10.0.0.1" {
		t.Errorf("after a failed reload, the old secret and node: %d %q %q; want OK from 10.0.0.1", code, st, srv)
	}
	if code, _, _ := askAuthHTTP(t, authAddr, "new-secret", r.password); code != http.StatusForbidden {
		t.Errorf("after a failed reload, the new secret: %d; want 403", code)
	}
	if got := socketmapLookup(t, smAddr, "node "+gateway.FirstUser+"@example.org"); got != "OK a" {
		t.Errorf("socketmap after a failed reload: %q, want OK a", got)
	}
	if l := proxiedGreeting(t, r.addrs[0]); !strings.HasPrefix(l, "* BYE") {
		t.Errorf("after a failed reload, the trusted proxy is no longer believed: %q", l)
	}
	c, err := net.Dial("tcp", r.addrs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// An allowed client, through the proxy, waits longer than 1s.
	fmt.Fprintf(c, "PROXY TCP4 198.51.100.7 127.0.0.1 40000 143\r\n")
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	if l, _ := br.ReadString('\n'); !strings.HasPrefix(l, "* OK") {
		t.Fatalf("greeting %q", l)
	}
	c.SetReadDeadline(time.Now().Add(2500 * time.Millisecond))
	if l, err := br.ReadString('\n'); !isTimeout(err) {
		t.Errorf("after a failed reload, login-timeout = \"1s\" is in force: %q, %v", l, err)
	}
}

// TestReloadAddingServerKeepsLiveLimits: a reload that adds a [[server]]
// applies the live settings of the listeners that stay, matched by
// address: here login-timeout, lowered to 1s in the same reload that
// adds a listener (which waits for a restart).
func TestReloadAddingServerKeepsLiveLimits(t *testing.T) {
	r := startReloadable(t, 1, "[[server]]\naddress = \"127.0.0.1:0\"\n")
	if err := r.reload("[[server]]\naddress = \"127.0.0.2:0\"\n[[server]]\naddress = \"127.0.0.1:0\"\nlogin-timeout = \"1s\"\n"); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	c, err := net.Dial("tcp", r.addrs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	br.ReadString('\n') // the greeting
	c.SetReadDeadline(time.Now().Add(4 * time.Second))
	if l, err := br.ReadString('\n'); !strings.HasPrefix(l, "* BYE") {
		t.Errorf("login-timeout = \"1s\" on the first [[server]], reloaded together with a new [[server]], is not in force (no BYE after 4 s: %q, %v)", l, err)
	}
}

// TestReloadRaisesConnectionsPerAddress: max-connections-per-address
// applies from the next connection after a reload.
func TestReloadRaisesConnectionsPerAddress(t *testing.T) {
	const server = "[[server]]\naddress = \"127.0.0.1:0\"\nmax-connections-per-address = "
	r := startReloadable(t, 1, server+"1\n")
	first, c := greeting(t, r.addrs[0])
	defer c.Close()
	if !strings.HasPrefix(first, "* OK") {
		t.Fatalf("first connection: %q", first)
	}
	if l, _ := greeting(t, r.addrs[0]); !strings.Contains(l, "Too many connections from your address") {
		t.Fatalf("second connection with max-connections-per-address = 1: %q", l)
	}
	if err := r.reload(server + "4\n"); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if l, _ := greeting(t, r.addrs[0]); !strings.HasPrefix(l, "* OK") {
		t.Errorf("second connection after max-connections-per-address was raised to 4: %q", l)
	}
}

// TestReloadRefusesAMixThatDoesNotHold: the settings that apply at once
// must hold together with the old values of those that wait for a
// restart. EXTERNAL needs [tls] ca-file: a reload that adds both would
// put EXTERNAL in force without the CA, and is refused as a whole.
func TestReloadRefusesAMixThatDoesNotHold(t *testing.T) {
	ca := tlsmgrtest.NewCA(t, "test CA")
	p := writePair(t, ca, t.TempDir())
	r := startReloadable(t, 1, "[[server]]\naddress = \"127.0.0.1:0\"\n")
	err := r.reload("login-disabled = true\n[[server]]\naddress = \"127.0.0.1:0\"\n" + tlsSection(p) +
		"ca-file = " + quote(p.cert) + "\n[auth]\nmechanisms = [\"PLAIN\", \"EXTERNAL\"]\n")
	if err == nil || !strings.Contains(err.Error(), "EXTERNAL needs [tls] ca-file") || !strings.Contains(err.Error(), "restart") {
		t.Fatalf("Reload of EXTERNAL with a new [tls] ca-file: %v; want it refused, saying to restart", err)
	}
	c, err := net.Dial("tcp", r.addrs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	if l, _ := br.ReadString('\n'); !strings.HasPrefix(l, "* OK") {
		t.Fatalf("greeting %q", l)
	}
	if l := command(t, c, br, "a CAPABILITY"); !strings.HasPrefix(l, "a OK") {
		t.Fatalf("CAPABILITY: %q", l)
	}
	if l := command(t, c, br, "b LOGIN "+gateway.FirstUser+" "+quote(r.password)); !strings.HasPrefix(l, "b OK") {
		t.Errorf("after a refused reload, login-disabled from it is in force: %q", l)
	}
}

// isTimeout reports whether err is a deadline that passed.
func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
