package gateway_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/gateway"
)

// writeCertificate writes a self-signed certificate and its key into dir
// and returns their paths.
func writeCertificate(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return cert, key
}

// Check refuses, with the file and line of the key at fault, what the
// daemon would refuse at start (issue 8, item 28).
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeCertificate(t, dir)
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not a certificate\n"), 0o600)
	missing := filepath.Join(dir, "missing.pem")
	tls := func(c, k string) string {
		return "[tls]\ncertificate-file = " + quote(c) + "\nkey-file = " + quote(k) + "\n"
	}
	tests := []struct {
		name, text string
		want       []string // substrings, each of one problem; none for a good file
	}{
		{"good, no TLS", "[[server]]\naddress = \"127.0.0.1:1\"\n", nil},
		{"good, with a certificate", "[[server]]\naddress = \"127.0.0.1:1\"\ntls-mode = \"connection\"\n" + tls(cert, key), nil},
		{"tls-mode without a certificate", "[[server]]\naddress = \"127.0.0.1:1\"\n[[server]]\naddress = \"127.0.0.1:2\"\ntls-mode = \"connection\"\n",
			[]string{`test.toml:6: server.tls-mode: "connection" needs a certificate`}},
		{"certificate missing", "[[server]]\naddress = \"127.0.0.1:1\"\n" + tls(missing, key),
			[]string{"test.toml:5: tls.certificate-file: stat " + missing + ": no such file"}},
		{"key missing", tls(cert, missing), []string{"test.toml:4: tls.key-file: stat " + missing}},
		{"certificate does not parse", tls(garbage, key), []string{"test.toml:3: tls.certificate-file: " + garbage + " with key-file"}},
		{"ca-file does not parse", tls(cert, key) + "ca-file = " + quote(garbage) + "\n", []string{"test.toml:5: tls.ca-file: " + garbage + " holds no PEM certificate"}},
		{"lmtp not built", "[lmtp]\nlisten = [\"127.0.0.1:2424\"]\n", []string{"test.toml:3: lmtp.listen: [lmtp] is not implemented yet"}},
		{"acme not built", "[tls.acme]\ndomains = [\"mail.example.org\"]\n", []string{"test.toml:3: tls.acme.domains: [tls.acme] is not implemented yet"}},
		{"preauth by ident is served", "preauth = \"ident\"\n", nil},
		{"log directory missing", "[logging]\ndestination = " + quote(filepath.Join(dir, "no", "m.log")) + "\n",
			[]string{"test.toml:3: logging.destination: the log file's directory: stat " + filepath.Join(dir, "no")}},
		{"several at once", "[[server]]\naddress = \"127.0.0.1:1\"\ntls-mode = \"ondemand\"\n[lmtp]\nlisten = [\"127.0.0.1:2424\"]\n",
			[]string{"test.toml:4: server.tls-mode", "test.toml:6: lmtp.listen"}},
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
