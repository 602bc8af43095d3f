//go:build unix

package lmtptest

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mainCF is a test-only Postfix configuration: no listener, no
// local delivery; example.org goes to mailgate over loopback TCP and
// example.net over a unix socket, through the transport map; anything
// else fails at once.
const mainCF = `compatibility_level = 3.6
queue_directory = {{dir}}/queue
data_directory = {{dir}}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.example.org
mydomain = example.org
myorigin = example.org
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
alias_maps =
alias_database =
transport_maps = {{maps}}
default_transport = error:this test delivers nowhere else
maillog_file = {{dir}}/maillog
maillog_file_prefixes = {{dir}}
biff = no
smtputf8_enable = no
`

// masterCF runs only what a message injected with sendmail needs to
// reach an LMTP server, unchrooted.
const masterCF = `pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`

// Postfix is a running test instance of Debian's Postfix.
type Postfix struct {
	t   testing.TB
	dir string
}

// StartPostfix starts Postfix on a test-only configuration in a
// directory of its own, whose transport map (texthash) is transport, for
// example "example.org lmtp:unix:/run/x/lmtp.sock\n". It has no listener
// and no local delivery; mail to a domain the map lacks fails at once.
// Postfix is stopped and its directory removed when the test ends. The
// test is skipped, saying why, when Postfix is not installed or the test
// does not run as root (Postfix's daemons run as the postfix user).
// settings are main.cf lines added after the test configuration's, which
// they override ("smtputf8_enable = yes").
func StartPostfix(t testing.TB, transport string, settings ...string) *Postfix {
	t.Helper()
	return StartPostfixMaps(t, "texthash:{{dir}}/transport", transport, settings...)
}

// StartPostfixMaps is StartPostfix with transport_maps set to maps, in
// which {{dir}} stands for Postfix's directory (where transport is
// written): "socketmap:inet:127.0.0.1:2425:transport", for one.
func StartPostfixMaps(t testing.TB, maps, transport string, settings ...string) *Postfix {
	t.Helper()
	if _, err := os.Stat("/usr/sbin/postfix"); err != nil {
		t.Skip("Postfix is not installed: apt-get install postfix (with \"No configuration\")")
	}
	if os.Geteuid() != 0 {
		t.Skip("starting Postfix needs root (its daemons then run as the postfix user)")
	}
	if _, err := user.Lookup("postfix"); err != nil {
		t.Skip("there is no postfix user; reinstall the postfix package")
	}
	// Postfix's daemons run as postfix and must reach the queue: a
	// directory of our own, world-searchable, not t.TempDir's 0700 ones.
	dir, err := os.MkdirTemp("", "mailgate-postfix")
	if err != nil {
		t.Fatal(err)
	}
	p := &Postfix{t: t, dir: dir}
	t.Cleanup(p.stop)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := strings.ReplaceAll(strings.ReplaceAll(mainCF, "{{maps}}", maps), "{{dir}}", dir)
	for _, s := range settings {
		conf += s + "\n"
	}
	for name, content := range map[string]string{"main.cf": conf, "master.cf": masterCF, "transport": transport} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, sub := range []string{"queue", "data"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("chown", "postfix", filepath.Join(dir, "data")).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v: %s", err, out)
	}
	if out, err := exec.Command("/usr/sbin/postfix", "-c", dir, "start").CombinedOutput(); err != nil {
		t.Fatalf("postfix start: %v: %s\n%s", err, out, p.Log())
	}
	return p
}

// Log returns Postfix's log so far.
func (p *Postfix) Log() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "maillog"))
	return string(b)
}

// stop stops Postfix and removes its directory.
func (p *Postfix) stop() {
	defer func(start time.Time) { p.t.Logf("stopping Postfix took %v", time.Since(start)) }(time.Now())
	if out, err := exec.Command("/usr/sbin/postfix", "-c", p.dir, "stop").CombinedOutput(); err != nil {
		p.t.Logf("postfix stop: %v: %s", err, out)
	}
	// The master exits once its children have.
	b, _ := os.ReadFile(filepath.Join(p.dir, "queue", "pid", "master.pid"))
	if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
		for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	}
	os.RemoveAll(p.dir)
}

// Sendmail injects a message with Postfix's sendmail(1), envelope sender
// from; the test fails if sendmail does.
func (p *Postfix) Sendmail(from string, rcpts []string, msg string) {
	p.t.Helper()
	cmd := exec.Command("/usr/sbin/sendmail", append([]string{"-C", p.dir, "-f", from}, rcpts...)...)
	cmd.Stdin = strings.NewReader(msg)
	if out, err := cmd.CombinedOutput(); err != nil {
		p.t.Fatalf("sendmail: %v: %s\n%s", err, out, p.Log())
	}
}
