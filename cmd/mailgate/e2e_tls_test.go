package main_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/tlsmgr/tlsmgrtest"
)

// TestSIGHUPReloadsCertificate: SIGHUP makes the daemon read its
// certificate files again; new connections get the new certificate while
// a session opened before goes on. The files change as certbot's
// deploy or a Kubernetes secret does, by replacing a symbolic link to
// their directory, which the file watcher cannot see: SIGHUP alone
// notices (issue 9, section 2).
func TestSIGHUPReloadsCertificate(t *testing.T) {
	t.Parallel()
	ca := tlsmgrtest.NewCA(t, "test CA")
	base := t.TempDir()
	serials := map[string]*big.Int{}
	for _, v := range []string{"v1", "v2"} {
		os.Mkdir(filepath.Join(base, v), 0o700)
		c, k := ca.Issue(t, "mail.example.org", x509.ExtKeyUsageServerAuth)
		tlsmgrtest.WriteFile(t, filepath.Join(base, v, "cert.pem"), c, 0o644)
		tlsmgrtest.WriteFile(t, filepath.Join(base, v, "key.pem"), k, 0o600)
		b, _ := pem.Decode(c)
		leaf, _ := x509.ParseCertificate(b.Bytes)
		serials[v] = leaf.SerialNumber
	}
	live := filepath.Join(base, "live")
	if err := os.Symlink("v1", live); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, "[tls]\ncertificate-file = "+quoted(filepath.Join(live, "cert.pem"))+
		"\nkey-file = "+quoted(filepath.Join(live, "key.pem"))+"\n", "tls-mode = \"connection\"\n")
	dialTLS := func() (*imapConn, *big.Int) {
		t.Helper()
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", d.addr,
			&tls.Config{RootCAs: ca.Pool(), ServerName: "mail.example.org", NextProtos: []string{"imap"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		ic := &imapConn{t: t, conn: c, r: bufio.NewReader(c)}
		if g, err := ic.line(5 * time.Second); !strings.HasPrefix(g, "* OK") {
			t.Fatalf("greeting %q, %v", g, err)
		}
		return ic, c.ConnectionState().PeerCertificates[0].SerialNumber
	}
	old, serial := dialTLS()
	if serial.Cmp(serials["v1"]) != 0 {
		t.Fatal("the daemon does not serve the first certificate")
	}
	if l := old.cmd("a", "LOGIN mailgate "+quoted(d.password)); !strings.HasPrefix(l[len(l)-1], "a OK") {
		t.Fatalf("LOGIN: %q", l)
	}
	tmp := live + ".new"
	if err := os.Symlink("v2", tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, live); err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	// The signal is handled in its own time: wait for its outcome.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, serial := dialTLS()
		c.conn.Close()
		if serial.Cmp(serials["v2"]) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new certificate within 10s of SIGHUP:\n%s", d.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if l := old.cmd("b", "SELECT INBOX"); !strings.HasPrefix(l[len(l)-1], "b OK") {
		t.Errorf("the session opened before SIGHUP: %q", l)
	}
	if !strings.Contains(d.stderr.String(), "tls: certificate reloaded") {
		t.Errorf("the reload is not logged:\n%s", d.stderr.String())
	}
	d.stop(10 * time.Second)
}
