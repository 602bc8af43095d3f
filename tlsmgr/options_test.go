package tlsmgr

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	acme := func(mod func(*ACMEOptions)) Options {
		o := Options{ACME: ACMEOptions{Domains: []string{"mail.example.org"}, Email: "a@example.org", Storage: "/var/lib/mailgate/acme"}}
		if mod != nil {
			mod(&o.ACME)
		}
		return o
	}
	tests := []struct {
		name string
		opts Options
		want string // part of the error; "" for none
	}{
		{"nothing", Options{}, "no certificate"},
		{"certificate without key", Options{CertificateFile: "/c"}, "go together"},
		{"static", Options{CertificateFile: "/c", KeyFile: "/k"}, ""},
		{"bad check", Options{CertificateFile: "/c", KeyFile: "/k", FileChecks: FileChecks{CA: []string{"+awrfil", "nope"}}}, `tls-file-checks ca-file: unknown check "nope"`},
		{"acme", acme(nil), ""},
		{"on-demand alone", Options{ACME: ACMEOptions{OnDemand: AllowList(nil), Email: "a@b.org", Storage: "/s"}}, ""},
		{"email required", acme(func(a *ACMEOptions) { a.Email = "" }), "email is required"},
		{"email malformed", acme(func(a *ACMEOptions) { a.Email = "postmaster" }), "not an email address"},
		{"storage required", acme(func(a *ACMEOptions) { a.Storage = "" }), "storage is required"},
		{"ca not a URL", acme(func(a *ACMEOptions) { a.CA = "letsencrypt" }), "not an https ACME directory URL"},
		{"ca over http", acme(func(a *ACMEOptions) { a.CA = "http://ca.example.org/dir" }), "not an https"},
		{"ca and staging", acme(func(a *ACMEOptions) { a.CA = LetsEncrypt; a.Staging = true }), "exclude each other"},
		{"staging", acme(func(a *ACMEOptions) { a.Staging = true }), ""},
		{"unknown challenge", acme(func(a *ACMEOptions) { a.Challenges = []string{"http-02"} }), `challenge "http-02" is unknown`},
		{"empty challenges", acme(func(a *ACMEOptions) { a.Challenges = []string{} }), "challenges is empty"},
		{"dns-01 mixed", acme(func(a *ACMEOptions) {
			a.Challenges = []string{DNS01, HTTP01}
			a.DNSProvider, a.DNSSettings = "exec", map[string]string{"command": "/bin/hook"}
		}), "cannot be combined"},
		{"dns-01 without provider", acme(func(a *ACMEOptions) { a.Challenges = []string{DNS01} }), "needs dns-provider"},
		{"unknown provider", acme(func(a *ACMEOptions) { a.Challenges = []string{DNS01}; a.DNSProvider = "route53" }), `"route53" is unknown`},
		{"provider without dns-01", acme(func(a *ACMEOptions) { a.DNSProvider = "exec" }), "does not list"},
		{"exec needs command", acme(func(a *ACMEOptions) { a.Challenges = []string{DNS01}; a.DNSProvider = "exec" }), `needs the setting "command"`},
		{"exec relative command", acme(func(a *ACMEOptions) {
			a.Challenges = []string{DNS01}
			a.DNSProvider, a.DNSSettings = "exec", map[string]string{"command": "hook.sh"}
		}), "absolute path"},
		{"rfc2136 unknown setting", acme(func(a *ACMEOptions) {
			a.Challenges = []string{DNS01}
			a.DNSProvider, a.DNSSettings = "rfc2136", map[string]string{"server": "ns:53", "secret": "x"}
		}), `no setting "secret"`},
		{"rfc2136 key without name", acme(func(a *ACMEOptions) {
			a.Challenges = []string{DNS01}
			a.DNSProvider, a.DNSSettings = "rfc2136", map[string]string{"server": "ns:53", "key": "c2VjcmV0"}
		}), "go together"},
		{"rfc2136 key not base64", acme(func(a *ACMEOptions) {
			a.Challenges = []string{DNS01}
			a.DNSProvider, a.DNSSettings = "rfc2136", map[string]string{"server": "ns:53", "key-name": "k", "key": "!!"}
		}), "not base64"},
		{"http address", acme(func(a *ACMEOptions) { a.HTTPAddress = "80" }), "http-address"},
		{"http port", acme(func(a *ACMEOptions) { a.HTTPAddress = ":http" }), "must be a number"},
		{"hosts differ", acme(func(a *ACMEOptions) { a.HTTPAddress = "10.0.0.1:80"; a.TLSALPNAddress = "10.0.0.2:443" }), "same host"},
		{"one challenge, any host", acme(func(a *ACMEOptions) {
			a.Challenges = []string{HTTP01}
			a.HTTPAddress = "10.0.0.1:8080"
			a.TLSALPNAddress = "x"
		}), ""},
		{"domain with scheme", acme(func(a *ACMEOptions) { a.Domains = []string{"https://mail.example.org"} }), "not valid"},
		{"bare label", acme(func(a *ACMEOptions) { a.Domains = []string{"mail"} }), "fully qualified"},
		{"wildcard without dns-01", acme(func(a *ACMEOptions) { a.Domains = []string{"*.example.org"} }), "wildcard name needs"},
		{"bad default name", acme(func(a *ACMEOptions) { a.DefaultServerName = "a..b" }), "default-server-name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate = %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate = %v, want an error with %q", err, tt.want)
			}
		})
	}
}

// Each problem names its option, so that a configuration reader can point
// at the key's line.
func TestValidateOption(t *testing.T) {
	tests := []struct {
		opts Options
		want []string
	}{
		{Options{CertificateFile: "/c"}, []string{"certificate-file"}},
		{Options{KeyFile: "/k"}, []string{"key-file"}},
		{Options{CertificateFile: "/c", KeyFile: "/k", FileChecks: FileChecks{Key: []string{"nope"}}}, []string{"tls-file-checks.key-file"}},
		{Options{ACME: ACMEOptions{Domains: []string{"mail"}, Challenges: []string{"dns-01"}, DNSProvider: "exec"}},
			[]string{"acme.email", "acme.storage", "acme.dns", "acme.domains"}},
		{Options{ACME: ACMEOptions{Domains: []string{"a.example.org"}, Email: "a@b.org", Storage: "/s", Staging: true, CA: LetsEncrypt, HTTPAddress: "x"}},
			[]string{"acme.staging", "acme.http-address"}},
	}
	for _, tt := range tests {
		var got []string
		for _, err := range tt.opts.Validate().(interface{ Unwrap() []error }).Unwrap() {
			var oe *OptionError
			if !errors.As(err, &oe) {
				t.Fatalf("%v is not an *OptionError", err)
			}
			got = append(got, oe.Option)
		}
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("%+v: options %q, want %q", tt.opts, got, tt.want)
		}
	}
	o := Options{ACME: ACMEOptions{Domains: []string{"a.example.org"}, Storage: "/s"}}
	err := o.Validate()
	if err == nil || err.Error() != "acme: email is required (the account's contact address)" {
		t.Errorf("Error() = %v", err)
	}
}

func TestTLSConfigALPN(t *testing.T) {
	f := newStaticFiles(t)
	m, err := New(Options{CertificateFile: f.cert, KeyFile: f.key})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.TLSConfig("imap").NextProtos; len(got) != 1 || got[0] != "imap" {
		t.Errorf("static NextProtos = %q; acme-tls/1 only with TLS-ALPN-01", got)
	}
	m, err = New(Options{ACME: ACMEOptions{Domains: []string{"mail.example.org"}, Email: "a@example.org", Storage: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(m.TLSConfig("lmtp", "imap").NextProtos, ","); got != "lmtp,imap,acme-tls/1" {
		t.Errorf("NextProtos = %s", got)
	}
	if err := m.Renew(context.Background()); err == nil {
		t.Error("Renew before Start succeeded")
	}
	m.Stop() // before Start: nothing to stop
}

func TestAllowList(t *testing.T) {
	allow := AllowList([]string{"mail.example.org", "*.Example.NET"})
	for name, ok := range map[string]bool{
		"mail.example.org":  true,
		"MAIL.example.org.": true,
		"imap.example.net":  true,
		"example.net":       false,
		"a.b.example.net":   false,
		"imap.example.org":  false,
		"":                  false,
	} {
		if err := allow(context.Background(), name); (err == nil) != ok {
			t.Errorf("%q: %v, want allowed=%v", name, err, ok)
		}
	}
}
