package main_test

// Scale-out on existing engines (issue 16): nginx's mail proxy in front
// of two mailgate nodes, with a third mailgate answering nginx's
// auth_http and Postfix's socketmap from one ownership map; Postfix
// delivers over LMTP to the node the map names.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/internal/needs"
	"github.com/mailgate/mailgate/lmtp/lmtptest"
)

const nginxMailModule = "/usr/lib/nginx/modules/ngx_mail_module.so"

// nginxConf is a test-only nginx: no HTTP, one IMAP proxy listener, the
// auth_http endpoint with its shared secret, and a PROXY protocol header
// to the nodes naming the client.
const nginxConf = `load_module {{module}};
daemon off;
master_process off;
worker_processes 1;
pid {{dir}}/nginx.pid;
error_log {{dir}}/error.log info;
events { worker_connections 64; }
mail {
    server_name mail.example.org;
    auth_http {{auth}}/auth;
    auth_http_header X-Auth-Key "test-secret";
    proxy_pass_error_message on;
    server {
        listen {{listen}};
        protocol imap;
        imap_auth plain login;
        proxy_protocol on;
    }
}
`

// startNginx runs nginx on nginxConf with the given addresses, and stops
// it when the test ends. It skips the test when nginx or its mail
// module is missing.
func startNginx(t *testing.T, listen, authAddr string) {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
	}
	if _, err := os.Stat(bin); err != nil {
		needs.Missing(t, "nginx is not installed: apt-get install nginx-light libnginx-mod-mail")
	}
	if _, err := os.Stat(nginxMailModule); err != nil {
		needs.Missing(t, "nginx's mail module is not installed: apt-get install libnginx-mod-mail")
	}
	dir := t.TempDir()
	conf := strings.NewReplacer("{{module}}", nginxMailModule, "{{dir}}", dir, "{{auth}}", authAddr, "{{listen}}", listen).Replace(nginxConf)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", path, "-e", filepath.Join(dir, "error.log"))
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx output:\n%s\nnginx error.log:\n%s", out.String(), log)
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.DialTimeout("tcp", listen, time.Second); err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited: %s\n%s", out.String(), log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("nginx did not listen within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// scaleNode starts a mailgate whose configuration is body (and
// data-dir), sharing the users file users, ready when addr accepts.
func scaleNode(t *testing.T, name, addr, users, body string) *daemon {
	t.Helper()
	dir := t.TempDir()
	cfg := &testConfig{dir: dir, path: filepath.Join(dir, name+".toml"), dataDir: filepath.Join(dir, "data"), addr: addr, sharedUsers: true}
	conf := fmt.Sprintf("data-dir = %q\n%s\n[auth]\nusers-file = %q\n", cfg.dataDir, body, users)
	if err := os.WriteFile(cfg.path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	d, _, err := tryStartDaemon(t, cfg, nil)
	if err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	return d
}

// clientAddress is where TestNginxScaleOut's imaplib clients connect from.
const clientAddress = "127.0.0.3"

// imaplibLogin is what one imaplib login found: the login's error, or
// the INBOX's subjects.
type imaplibLogin struct {
	Error    string   `json:"error"`
	Subjects []string `json:"subjects"`
}

// imaplibThrough logs in with imaplib at addr once for each "user:password"
// of logins, in one Python process.
func imaplibThrough(t *testing.T, addr string, logins ...string) []imaplibLogin {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := append([]string{"testdata/scaleout_imaplib.py", host, port}, logins...)
	cmd := exec.CommandContext(ctx, python3(t), args...)
	// Clients come from 127.0.0.3, nginx from 127.0.0.1.
	cmd.Env = append(os.Environ(), "MG_SOURCE="+clientAddress)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("imaplib: %v\n%s", err, out)
	}
	var res []imaplibLogin
	if err := json.Unmarshal(out, &res); err != nil || len(res) != len(logins) {
		t.Fatalf("imaplib: %v\n%s", err, out)
	}
	return res
}

// appendDirect puts a message with subject into user's INBOX on the
// node at addr, over IMAP.
func appendDirect(t *testing.T, addr, user, password, subject string) {
	t.Helper()
	c := dialIMAPFrom(t, "127.0.0.2", addr)
	c.cmd("a1", fmt.Sprintf("LOGIN %s %s", user, quoted(password)))
	msg := fmt.Sprintf("From: test@example.net\r\nSubject: %s\r\n\r\nbody\r\n", subject)
	c.send(fmt.Sprintf("a2 APPEND INBOX {%d+}\r\n%s\r\n", len(msg), msg))
	if l, err := c.line(5 * time.Second); err != nil || !strings.HasPrefix(l, "a2 OK") {
		t.Fatalf("APPEND as %s: %q %v", user, l, err)
	}
	c.cmd("a3", "LOGOUT")
}

// socketmapAsk asks the socketmap at addr one question.
func socketmapAsk(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "%d:%s,", len(req), req)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	var n int
	if _, err := fmt.Fscanf(r, "%d:", &n); err != nil {
		t.Fatalf("socketmap %q: %v", req, err)
	}
	b := make([]byte, n+1)
	if _, err := r.Read(b); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(string(b), ",")
}

func TestNginxScaleOut(t *testing.T) {
	python3(t)
	start := time.Now()
	step := func(what string) { t.Logf("%v: %s", time.Since(start).Round(time.Millisecond), what) }
	usersDir := t.TempDir()
	users := filepath.Join(usersDir, "users")
	// alice and carol live on node a, bob on node b (patterns); the
	// owners file moves dave to b.
	if err := os.WriteFile(users, []byte("alice:{PLAIN}alice-pw:::::\nbob:{PLAIN}bob-pw:::::\ncarol:{PLAIN}carol-pw:::::\ndave:{PLAIN}dave-pw:::::\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	owners := filepath.Join(usersDir, "owners")
	os.WriteFile(owners, []byte("# moved on 2026-12-05\ndave b\n"), 0o644)

	aIMAP, bIMAP, aLMTP, bLMTP := freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t)
	// nginx (from 127.0.0.1) sends a PROXY header; direct clients of
	// the nodes come from 127.0.0.2.
	node := "[[server]]\naddress = %q\ntrusted-proxies = [\"127.0.0.1\"]\n[lmtp]\nlisten = [%q]\n"
	a := scaleNode(t, "a", aIMAP, users, fmt.Sprintf(node, aIMAP, aLMTP))
	b := scaleNode(t, "b", bIMAP, users, fmt.Sprintf(node, bIMAP, bLMTP))
	authAddr, smAddr := freeAddr(t), freeAddr(t)
	scaleNode(t, "auth", authAddr, users, fmt.Sprintf(`server = []
[proxy-auth]
listen = %q
socketmap-listen = %q
secret = "test-secret"
owners-file = %q
[[proxy-auth.node]]
name = "a"
imap = %q
lmtp = %q
users = ["alice", "c*"]
[[proxy-auth.node]]
name = "b"
imap = %q
lmtp = %q
users = ["bob"]
`, authAddr, smAddr, owners, aIMAP, aLMTP, bIMAP, bLMTP))
	step("nodes up")
	proxy := freeAddr(t)
	startNginx(t, proxy, authAddr)

	step("nginx up")
	// Each node holds its own users' mail; through nginx, each user
	// sees their own node's INBOX.
	appendDirect(t, aIMAP, "alice", "alice-pw", "alice on a")
	appendDirect(t, aIMAP, "carol", "carol-pw", "carol on a")
	appendDirect(t, bIMAP, "bob", "bob-pw", "bob on b")
	appendDirect(t, bIMAP, "dave", "dave-pw", "dave on b")
	appendDirect(t, aIMAP, "bob", "bob-pw", "bob's stray mail on a") // never seen through the proxy
	// A wrong password is refused by the proxy, with the auth
	// endpoint's words.
	res := imaplibThrough(t, proxy, "alice:alice-pw", "carol:carol-pw", "bob:bob-pw", "dave:dave-pw", "alice:wrong")
	for i, want := range []string{"alice on a", "carol on a", "bob on b", "dave on b"} {
		if r := res[i]; r.Error != "" || len(r.Subjects) != 1 || r.Subjects[0] != want {
			t.Errorf("login %d through nginx: %+v; want [%q]", i, r, want)
		}
	}
	if r := res[4]; !strings.Contains(r.Error, "Invalid login or password") {
		t.Errorf("wrong password through nginx: %+v", r)
	}
	// The nodes saw the client's address, from nginx's PROXY header.
	for _, d := range []*daemon{a, b} {
		if log := d.stderr.String(); !strings.Contains(log, "remote="+clientAddress+":") {
			t.Errorf("the node never logged the client's address %s:\n%s", clientAddress, log)
		}
	}
	step("logins through nginx")

	// A delivery to bob reaches node b, and bob's IDLE through nginx
	// hears it.
	idle, err := lmtptest.IdleOn(proxy, "bob", "bob-pw")
	if err != nil {
		t.Fatalf("IDLE through nginx: %v", err)
	}
	defer idle.Close()
	for req, want := range map[string]string{
		"transport bob+news@example.org": "OK lmtp:inet:" + bLMTP,
		"mailbox bob@example.org":        "OK b",
		"mailbox nobody@example.org":     "NOTFOUND ",
	} {
		if got := socketmapAsk(t, smAddr, req); got != want {
			t.Errorf("socketmap %q: %q; want %q", req, got, want)
		}
	}
	msg := "From: sender@example.net\r\nTo: bob@example.org\r\nSubject: delivered\r\n\r\nhello\r\n"
	if postfixUsable() {
		step("Postfix starting")
		pf := lmtptest.StartPostfixMaps(t, "socketmap:inet:"+smAddr+":transport", "")
		pf.Sendmail("sender@example.net", []string{"bob+news@example.org"}, msg)
		step("sent")
		if err := idle.WaitExists(2, 30*time.Second); err != nil {
			t.Fatalf("IDLE through nginx after a delivery through Postfix: %v\n%s", err, pf.Log())
		}
	} else {
		t.Log("Postfix needs root and the postfix user: delivering over LMTP to the node the socketmap named instead")
		c, err := lmtptest.Dial("tcp", bLMTP)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := lmtptest.Send(c, "sender@example.net", []string{"bob@example.org"}, msg); err != nil {
			t.Fatal(err)
		}
		c.Close()
		if err := idle.WaitExists(2, 30*time.Second); err != nil {
			t.Fatalf("IDLE through nginx after an LMTP delivery: %v", err)
		}
	}
	step("delivered")
	idle.Close()

	// Node a dies: its users hear a clean failure from the proxy; node
	// b's users are unaffected.
	a.cmd.Process.Kill()
	<-a.exited
	res = imaplibThrough(t, proxy, "alice:alice-pw", "bob:bob-pw")
	if !strings.Contains(res[0].Error, "[UNAVAILABLE]") {
		t.Errorf("alice with node a down: %+v", res[0])
	}
	if r := res[1]; r.Error != "" || len(r.Subjects) != 2 {
		t.Errorf("bob with node a down: %+v", r)
	}
	step("node down checks")
	b.stop(10 * time.Second)
}

// postfixUsable says whether lmtptest can start Postfix here.
func postfixUsable() bool {
	if _, err := os.Stat("/usr/sbin/postfix"); err != nil || os.Geteuid() != 0 {
		return false
	}
	_, err := user.Lookup("postfix")
	return err == nil
}

// dialIMAPFrom connects to addr from the local address from.
func dialIMAPFrom(t *testing.T, from, addr string) *imapConn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &imapConn{t: t, conn: c, r: bufio.NewReader(c)}
}
