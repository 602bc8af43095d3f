package gateway_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/gateway"
	"github.com/mailgate/mailgate/tlsmgr/tlsmgrtest"
)

// Check refuses, with the file and line of the key at fault, what the
// daemon would refuse at start (issue 8, item 28).
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	p := writePair(t, tlsmgrtest.NewCA(t, "test CA"), dir)
	cert, key := p.cert, p.key
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not a certificate\n"), 0o600)
	missing := filepath.Join(dir, "missing.pem")
	tls := func(c, k string) string {
		return "[tls]\ncertificate-file = " + quote(c) + "\nkey-file = " + quote(k) + "\n"
	}
	loose := filepath.Join(dir, "loose-key.pem")
	if data, err := os.ReadFile(key); err != nil || os.WriteFile(loose, data, 0o644) != nil || os.Chmod(loose, 0o644) != nil {
		t.Fatal("copying the key")
	}
	// The auth_http endpoint's secret file must hold a secret: an empty
	// first line would ask nginx for none.
	secretFile, emptySecret := filepath.Join(dir, "proxy-secret"), filepath.Join(dir, "proxy-secret-empty")
	os.WriteFile(secretFile, []byte("s3cret\n"), 0o600)
	os.WriteFile(emptySecret, []byte("\nsecond line\n"), 0o600)
	proxyAuth := func(listen, file string) string {
		return "[proxy-auth]\nlisten = " + quote(listen) + "\nsecret-file = " + quote(file) +
			"\n[[proxy-auth.node]]\nname = \"a\"\nimap = \"10.0.0.1:143\"\n"
	}
	server := func(extra string) string { return "[[server]]\naddress = \"127.0.0.1:1\"\n" + extra }
	tests := []struct {
		name, text string
		want       []string // substrings, each of one problem; none for a good file
	}{
		{"good, no TLS", server(""), nil},
		{"good, with a certificate", server("tls-mode = \"connection\"\n") + tls(cert, key), nil},
		{"good, a [[server]]'s own certificate", server("tls-mode = \"connection\"\ncertificate-file = " + quote(cert) + "\nkey-file = " + quote(key) + "\n"), nil},
		{"good, ACME", server("tls-mode = \"connection\"\n") + "[tls.acme]\ndomains = [\"mail.example.org\"]\nemail = \"pm@example.org\"\n", nil},
		{"tls-mode without a certificate", "[[server]]\naddress = \"127.0.0.1:1\"\n[[server]]\naddress = \"127.0.0.1:2\"\ntls-mode = \"connection\"\n",
			[]string{`test.toml:6: server.tls-mode: "connection" needs a certificate`}},
		{"certificate missing", server("") + tls(missing, key),
			[]string{"test.toml:5: tls.certificate-file: stat " + missing + ": no such file"}},
		{"key missing", tls(cert, missing), []string{"test.toml:4: tls.key-file: stat " + missing}},
		// imap4d 3.15 refuses a 0644 key with "Group readable file".
		{"key group readable", tls(cert, loose), []string{"test.toml:4: tls.key-file: " + loose + ": Group readable file (tls-file-checks grdfil)"}},
		{"key group readable, checks relaxed", tls(cert, loose) + "[tls-file-checks]\nkey-file = [\"-grdfil\", \"-ardfil\"]\n", nil},
		{"a [[server]]'s key group readable", server("certificate-file = " + quote(cert) + "\nkey-file = " + quote(loose) + "\n"),
			[]string{"test.toml:5: server.key-file: " + loose + ": Group readable file"}},
		{"certificate does not parse", tls(garbage, key), []string{"test.toml:3: tls.certificate-file: certificate-file " + garbage + " and key-file"}},
		{"ca-file does not parse", tls(cert, key) + "ca-file = " + quote(garbage) + "\n", []string{"test.toml:5: tls.ca-file: ca-file " + garbage + ": no PEM certificate"}},
		{"acme ca-root missing", "[tls.acme]\ndomains = [\"mail.example.org\"]\nemail = \"pm@example.org\"\nca-root = " + quote(missing) + "\n",
			[]string{"test.toml:5: tls.acme.ca-root: open " + missing}},
		{"lmtp is served", "[lmtp]\nlisten = [\"127.0.0.1:2424\", \"/run/mailgate/lmtp.sock\"]\n", nil},
		{"lmtp socket group missing", "[lmtp]\nlisten = [\"/run/mailgate/lmtp.sock\"]\nsocket-group = \"no-such-group-mailgate\"\n",
			[]string{`test.toml:4: lmtp.socket-group: no group "no-such-group-mailgate"`}},
		{"preauth by ident is served", "preauth = \"ident\"\n", nil},
		{"proxy-auth secret file", proxyAuth("0.0.0.0:9000", secretFile), nil},
		{"proxy-auth secret file empty", proxyAuth("0.0.0.0:9000", emptySecret),
			[]string{"test.toml:4: proxy-auth.secret-file: " + emptySecret + ": the first line is empty"}},
		{"proxy-auth secret file missing", proxyAuth("127.0.0.1:9000", missing),
			[]string{"test.toml:4: proxy-auth.secret-file: open " + missing}},
		{"log directory missing", "[logging]\ndestination = " + quote(filepath.Join(dir, "no", "m.log")) + "\n",
			[]string{"test.toml:3: logging.destination: the log file's directory: stat " + filepath.Join(dir, "no")}},
		{"several at once", "[[server]]\naddress = \"127.0.0.1:1\"\ntls-mode = \"ondemand\"\n[lmtp]\nlisten = [\"/run/l.sock\"]\nsocket-owner = \"no-such-user-mailgate\"\n",
			[]string{"test.toml:4: server.tls-mode", "test.toml:7: lmtp.socket-owner"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte("data-dir = "+quote(filepath.Join(dir, "data"))+"\n"+tt.text), "test.toml")
			if err != nil {
				t.Fatal(err)
			}
			err = gateway.Check(cfg)
			if len(tt.want) == 0 {
				if err != nil {
					t.Errorf("Check: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Check passed, want %q", tt.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Errorf("Check: %d problems, want %d:\n%v", len(lines), len(tt.want), err)
			}
			for i, w := range tt.want {
				if i < len(lines) && !strings.HasPrefix(lines[i], w) {
					t.Errorf("problem %d: %q, want it to start with %q", i+1, lines[i], w)
				}
			}
		})
	}
}
