package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/GehirnInc/crypt/sha512_crypt"

	"github.com/mailgate/mailgate/internal/needs"
)

// ldapServer is a slapd started for a test.
type ldapServer struct {
	url, ldapsURL string
	caFile        string
}

// startSlapd starts slapd on 127.0.0.1 (ldap:// with StartTLS, and
// ldaps://) with a temporary slapd.conf and an mdb database loaded by
// slapadd: ann ({SSHA} "ssha pw"), ben ({CRYPT} SHA-512 "crypt pw"), cid
// (no password), Evan ("evan pw"), two entries named twin, and
// cn=reader,dc=example,dc=org ("reader pw"), the only one that may read
// userPassword.
func startSlapd(t *testing.T) *ldapServer {
	bin := needPrograms(t, "slapd", "slapd", "slapadd")
	if _, err := os.Stat("/etc/ldap/schema/nis.schema"); err != nil {
		needs.Missing(t, "slapd's schema files are missing (apt-get install slapd)")
	}
	dir, _, _ := serverDir(t, "slapd", "")
	cert, key := writeTestCert(t, dir)
	if err := os.Mkdir(filepath.Join(dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "slapd.conf")
	writeFile(t, conf, fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile %[1]s/slapd.pid
TLSCertificateFile %[2]s
TLSCertificateKeyFile %[3]s
database mdb
maxsize 10485760
suffix "dc=example,dc=org"
rootdn "cn=admin,dc=example,dc=org"
directory %[1]s/db
access to attrs=userPassword by dn.exact="cn=reader,dc=example,dc=org" read by anonymous auth by * none
access to * by * read
`, dir, cert, key))
	sha, err := sha512Crypt("crypt pw")
	if err != nil {
		t.Fatal(err)
	}
	ldif := filepath.Join(dir, "data.ldif")
	writeFile(t, ldif, `dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: cn=reader,dc=example,dc=org
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: reader
userPassword: reader pw

dn: ou=people,dc=example,dc=org
objectClass: organizationalUnit
ou: people

dn: ou=other,dc=example,dc=org
objectClass: organizationalUnit
ou: other
`+posixEntry("ann", "people", 2001, "{SSHA}wggy7rU6A1s3xVyFbmyU8sA3KYzNX+1j")+
		posixEntry("ben", "people", 2002, "{CRYPT}"+sha)+
		posixEntry("cid", "people", 2003, "")+
		posixEntry("Evan", "people", 2004, "evan pw")+
		posixEntry("twin", "people", 2005, "twin pw")+
		posixEntry("twin", "other", 2006, "twin pw"))
	run(t, exec.Command(bin["slapadd"], "-f", conf, "-l", ldif))
	port, sport := freePort(t, "tcp"), freePort(t, "tcp")
	urls := fmt.Sprintf("ldap://127.0.0.1:%d/ ldaps://127.0.0.1:%d/", port, sport)
	startServer(t, dir, "slapd", exec.Command(bin["slapd"], "-f", conf, "-h", urls, "-d", "0"))
	waitReady(t, "slapd", tcpReady(fmt.Sprintf("127.0.0.1:%d", port)))
	waitReady(t, "slapd ldaps", tcpReady(fmt.Sprintf("127.0.0.1:%d", sport)))
	return &ldapServer{url: fmt.Sprintf("ldap://127.0.0.1:%d", port), ldapsURL: fmt.Sprintf("ldaps://127.0.0.1:%d", sport), caFile: cert}
}

func posixEntry(uid, ou string, n int, password string) string {
	e := fmt.Sprintf(`
dn: uid=%[1]s,ou=%[2]s,dc=example,dc=org
objectClass: account
objectClass: posixAccount
uid: %[1]s
cn: %[1]s
uidNumber: %[3]d
gidNumber: 2000
homeDirectory: /home/%[1]s
loginShell: /bin/sh
gecos: User %[1]s
`, uid, ou, n)
	if password != "" {
		e += "userPassword: " + password + "\n"
	}
	return e
}

// sha512Crypt hashes password with SHA-512-crypt, as /etc/shadow would.
func sha512Crypt(password string) (string, error) {
	return sha512_crypt.New().Generate([]byte(password), []byte("$6$ldapsalt$"))
}

// writeTestCert writes a self-signed certificate for 127.0.0.1 and its
// key, returning their paths; the certificate is also the CA file.
func writeTestCert(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeFile(t, cert, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	writeFile(t, key, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})))
	return cert, key
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLDAP(t *testing.T) {
	srv := startSlapd(t)
	ctx := context.Background()
	newLDAP := func(t *testing.T, o LDAPOptions) *LDAP {
		t.Helper()
		o.Base = "dc=example,dc=org"
		o.Timeout = 5 * time.Second
		if o.DataDir == "" {
			o.DataDir = "/data"
		}
		l, err := NewLDAP(&o)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	configs := map[string]LDAPOptions{
		"bind":          {URL: srv.url},
		"bind starttls": {URL: srv.url, StartTLS: true, CAFile: srv.caFile},
		"bind ldaps":    {URL: srv.ldapsURL, CAFile: srv.caFile},
		"compare": {URL: srv.url, Method: LDAPCompare, BindDN: "cn=reader,dc=example,dc=org", BindPassword: "reader pw",
			DataDir: t.TempDir()},
	}
	for name, o := range configs {
		t.Run(name, func(t *testing.T) {
			l := newLDAP(t, o)
			u, err := l.Authenticate(ctx, "ann", "ssha pw")
			if err != nil {
				t.Fatal(err)
			}
			want := User{Name: "ann", UID: 2001, GID: 2000, Gecos: "User ann", Home: "/home/ann", Shell: "/bin/sh"}
			if *u != want {
				t.Errorf("ann = %+v, want %+v", *u, want)
			}
			if _, err := l.Authenticate(ctx, "ben", "crypt pw"); err != nil {
				t.Errorf("ben ({CRYPT}): %v", err)
			}
			if u, err := l.Authenticate(ctx, "evan", "evan pw"); err != nil || u.Name != "Evan" {
				t.Errorf("evan = %+v, %v; want the directory's name Evan", u, err)
			}
			for _, tc := range []struct{ name, pw string }{{"ann", "SSHA pw"}, {"cid", "x"}, {"ben", "ssha pw"}} {
				if _, err := l.Authenticate(ctx, tc.name, tc.pw); !errors.Is(err, ErrBadCredentials) || errors.Is(err, ErrNoUser) {
					t.Errorf("%s: %v, want ErrBadCredentials", tc.name, err)
				}
			}
			for _, name := range []string{"nobody", "*", "ann)(uid=*", "an*"} {
				if _, err := l.Authenticate(ctx, name, "ssha pw"); !errors.Is(err, ErrNoUser) {
					t.Errorf("%q: %v, want ErrNoUser", name, err)
				}
			}
			if _, err := l.Authenticate(ctx, "twin", "twin pw"); !errors.Is(err, ErrUnavailable) {
				t.Errorf("twin (two entries): %v, want ErrUnavailable", err)
			}
			if o.Method == LDAPCompare {
				// An unknown name verifies the costliest value seen,
				// ben's SHA-512-crypt, as a known one's wrong password;
				// a new process (each session under inetd) reads from
				// the data directory a value like it, of a random
				// secret.
				for i, l := range []*LDAP{l, newLDAP(t, o)} {
					var verified []string
					l.verifying = func(stored string) { verified = append(verified, stored) }
					l.Authenticate(ctx, "nobody", "x")
					if len(verified) != 1 || !strings.HasPrefix(verified[0], "{CRYPT}$6$") ||
						i == 0 && !strings.HasPrefix(verified[0], "{CRYPT}$6$ldapsalt$") ||
						i == 1 && strings.HasPrefix(verified[0], "{CRYPT}$6$ldapsalt$") {
						t.Errorf("process %d: an unknown name verified %.30q, want {CRYPT}$6$ (ben's in the first)", i, verified)
					}
					if len(verified) == 1 {
						if ok, _ := verifyLDAPPassword(ctx, verified[0], "crypt pw"); ok && i == 1 {
							t.Errorf("ben's password matches the kept decoy")
						}
					}
				}
			}
			// Identify (preauth, EXTERNAL, LMTP) finds the entry
			// without binding as it.
			if u, err := l.Identify(ctx, "ann"); err != nil || *u != want {
				t.Errorf("Identify(ann) = %+v, %v; want %+v", u, err, want)
			}
			if u, err := l.Identify(ctx, "evan"); err != nil || u.Name != "Evan" {
				t.Errorf("Identify(evan) = %+v, %v; want Evan", u, err)
			}
			for _, name := range []string{"nobody", "ann)(uid=*"} {
				if _, err := l.Identify(ctx, name); !errors.Is(err, ErrNoUser) {
					t.Errorf("Identify(%q): %v, want ErrNoUser", name, err)
				}
			}
			if _, err := l.Identify(ctx, "twin"); !errors.Is(err, ErrUnavailable) {
				t.Errorf("Identify(twin): %v, want ErrUnavailable", err)
			}
		})
	}
	t.Run("starttls with an untrusted certificate", func(t *testing.T) {
		l := newLDAP(t, LDAPOptions{URL: srv.url, StartTLS: true})
		if _, err := l.Authenticate(ctx, "ann", "ssha pw"); !errors.Is(err, ErrUnavailable) {
			t.Errorf("got %v, want ErrUnavailable", err)
		}
	})
	t.Run("server down", func(t *testing.T) {
		l := newLDAP(t, LDAPOptions{URL: fmt.Sprintf("ldap://127.0.0.1:%d", freePort(t, "tcp"))})
		if _, err := l.Authenticate(ctx, "ann", "ssha pw"); !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBadCredentials) {
			t.Errorf("got %v, want ErrUnavailable", err)
		}
	})
	t.Run("cache answers while the server is away, failures are not cached", func(t *testing.T) {
		l := newLDAP(t, LDAPOptions{URL: srv.url, CacheTTL: time.Hour})
		if _, err := l.Authenticate(ctx, "ann", "SSHA pw"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
		if _, err := l.Authenticate(ctx, "ann", "ssha pw"); err != nil {
			t.Fatal(err)
		}
		l.opts.URL = fmt.Sprintf("ldap://127.0.0.1:%d", freePort(t, "tcp"))
		if u, err := l.Authenticate(ctx, "ann", "ssha pw"); err != nil || u.UID != 2001 {
			t.Errorf("cached login: %+v, %v", u, err)
		}
		if _, err := l.Authenticate(ctx, "ann", "SSHA pw"); !errors.Is(err, ErrUnavailable) {
			t.Errorf("wrong password, server away: %v, want ErrUnavailable (failures are not cached)", err)
		}
	})
}

func TestNewLDAPRefuses(t *testing.T) {
	for _, o := range []LDAPOptions{
		{URL: "http://127.0.0.1", Base: "dc=x"},
		{URL: "ldap://127.0.0.1", Base: "dc=x", Filter: "(uid=bob)"},
		{URL: "ldap://127.0.0.1", Base: "dc=x", Filter: "(uid=$user"},
		{URL: "ldap://127.0.0.1", Base: "dc=x", Method: "peek"},
	} {
		if _, err := NewLDAP(&o); err == nil {
			t.Errorf("NewLDAP(%+v) accepted", o)
		}
	}
}
